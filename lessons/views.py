from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from config.openapi import ERRORS_400, ERRORS_401, ERRORS_403, ERRORS_404, ERRORS_409
from courseware.access import authoring_gate, course_write_access, module_for_write, module_of_course
from lessons import authoring_serializers as authoring
from lessons import selectors, services


class LessonAuthoringView(APIView):
    permission_classes = [IsAuthenticated]

    def get_lesson(self, lesson_id: int):
        lesson = selectors.lesson_get(lesson_id=lesson_id)
        if lesson is None:
            raise NotFound("No lesson with this id.")
        return lesson


class LessonDetailAuthoringView(LessonAuthoringView):
    """PATCH and DELETE of ``lessons/{id}/``; ``learning`` adds the learner's GET on the same path."""

    @extend_schema(
        summary="Change a lesson (its course's instructors and admins).",
        description="Any of `slug`, `title`, `body_markdown` (rendered to sanitized HTML at once), "
        "`estimated_minutes`; other fields are ignored, positions change through `move/`. Learners get 403; a "
        "lesson of a course the caller cannot see answers 404; another instructor's published course 403.",
        request=authoring.LessonUpdateInputSerializer,
        responses={
            200: authoring.LessonAuthorOutputSerializer,
            **ERRORS_400,
            **ERRORS_401,
            **ERRORS_403,
            **ERRORS_404,
            **ERRORS_409,
        },
    )
    def patch(self, request, lesson_id: int):
        authoring_gate(user=request.user)
        lesson = self.get_lesson(lesson_id)
        course_write_access(user=request.user, course=lesson.course)
        data = authoring.LessonUpdateInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        lesson = services.lesson_update(lesson=lesson, **data.validated_data)
        return Response(authoring.LessonAuthorOutputSerializer(lesson).data)

    @extend_schema(
        summary="Delete a lesson (its course's instructors and admins).",
        description="Its completions go too; learners' progress is recomputed and certificates already issued stay "
        "valid. The lessons after it move up one.",
        responses={204: None, **ERRORS_401, **ERRORS_403, **ERRORS_404},
    )
    def delete(self, request, lesson_id: int):
        authoring_gate(user=request.user)
        lesson = self.get_lesson(lesson_id)
        course_write_access(user=request.user, course=lesson.course)
        services.lesson_delete(lesson=lesson)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Authoring --------------------------------------------------------------------------------------
class ModuleLessonsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Add a lesson to a module (its course's instructors and admins).",
        description="At `position` (default: after the last lesson; the lessons at or after a taken position move "
        "down one). The Markdown body is rendered to sanitized HTML at once; `estimated_minutes` defaults to the "
        "reading time. Enrolled learners' progress is recomputed (a new lesson must be completed too); "
        "certificates already issued stay valid. Learners get 403; a module of a course the caller cannot see "
        "answers 404; another instructor's published course 403.",
        request=authoring.LessonCreateInputSerializer,
        responses={
            201: authoring.LessonAuthorOutputSerializer,
            **ERRORS_400,
            **ERRORS_401,
            **ERRORS_403,
            **ERRORS_404,
            **ERRORS_409,
        },
    )
    def post(self, request, module_id: int):
        module = module_for_write(user=request.user, module_id=module_id)
        data = authoring.LessonCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lesson = services.lesson_create(module=module, **data.validated_data)
        return Response(authoring.LessonAuthorOutputSerializer(lesson).data, status=status.HTTP_201_CREATED)


class LessonMoveView(LessonAuthoringView):
    @extend_schema(
        summary="Move a lesson to another position, or another module of its course.",
        description="The other lessons shift so positions stay unique. Its course's instructors and admins.",
        request=authoring.LessonMoveInputSerializer,
        responses={
            200: authoring.LessonAuthorOutputSerializer,
            **ERRORS_400,
            **ERRORS_401,
            **ERRORS_403,
            **ERRORS_404,
        },
    )
    def post(self, request, lesson_id: int):
        authoring_gate(user=request.user)
        lesson = self.get_lesson(lesson_id)
        course_write_access(user=request.user, course=lesson.course)
        data = authoring.LessonMoveInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        module = module_of_course(module_id=data.validated_data.get("module"), course_id=lesson.course_id)
        lesson = services.lesson_move(lesson=lesson, module=module, position=data.validated_data["position"])
        return Response(authoring.LessonAuthorOutputSerializer(lesson).data)
