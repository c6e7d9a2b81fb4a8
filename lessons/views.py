from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from config.openapi import ERRORS_400, ERRORS_401, ERRORS_403, ERRORS_404, ERRORS_409
from courseware.access import authoring_gate, content_access, course_write_access, module_for_write, module_of_course
from courseware.selectors import StateWanted
from lessons import authoring_serializers as authoring
from lessons import selectors, services
from lessons import serializers as s


class LessonView(APIView):
    permission_classes = [IsAuthenticated]
    learner_methods: tuple[str, ...] = ()  # the methods that read the caller's state in the lesson's course

    def learner_state_wanted(self, request) -> StateWanted | None:
        """Read with the caller's token, in one round trip (``accounts.authentication``)."""
        if request.method not in self.learner_methods:
            return None
        lesson_id = self.kwargs["lesson_id"]
        return StateWanted.of("lesson", lesson_id, lesson_id=lesson_id)

    def get_lesson(self, lesson_id: int):
        lesson = selectors.lesson_get(lesson_id=lesson_id)
        if lesson is None:
            raise NotFound("No lesson with this id.")
        return lesson


class LessonDetailView(LessonView):
    learner_methods = ("GET",)

    @extend_schema(responses={200: s.LessonOutputSerializer, **ERRORS_401, **ERRORS_403, **ERRORS_404})
    def get(self, request, lesson_id: int):
        """A lesson to read: sanitized HTML, estimated minutes, previous and next lessons. The page
        is shared by every reader (kept in memory until the course changes); the caller's access
        and completion come from one query."""
        page = selectors.lesson_page(lesson_id=lesson_id)
        if page is None:
            raise NotFound("No lesson with this id.")
        access = content_access(
            user=request.user, course=page.course_copy(), module_id=page.module_id, lesson_id=lesson_id
        )
        completed_at = access.header.lesson_completed_at
        return Response({**page.body, "completed": completed_at is not None, "completed_at": completed_at})

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


class LessonCompleteView(LessonView):
    learner_methods = ("POST",)

    @extend_schema(
        request=None, responses={200: s.LessonCompleteOutputSerializer, **ERRORS_401, **ERRORS_403, **ERRORS_404}
    )
    def post(self, request, lesson_id: int):
        """Mark the lesson completed for the caller. Idempotent: repeating it changes nothing."""
        page = selectors.lesson_page(lesson_id=lesson_id)
        if page is None:
            raise NotFound("No lesson with this id.")
        access = content_access(
            user=request.user, course=page.course_copy(), module_id=page.module_id, lesson_id=lesson_id
        )
        if access.enrollment is None:
            raise PermissionDenied("You are not enrolled in this course.")
        if access.header.lesson_completed_at is not None:  # a repeat: nothing to write
            completed_at = access.header.lesson_completed_at
            return Response({"lesson": lesson_id, "completed": True, "completed_at": completed_at, "created": False})
        lesson = page.lesson_ref()
        completion, created = services.lesson_completion_record(
            learner=request.user, lesson=lesson, enrollment=access.enrollment
        )
        return Response(
            {"lesson": lesson.pk, "completed": True, "completed_at": completion.completed_at, "created": created}
        )


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


class LessonMoveView(LessonView):
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
