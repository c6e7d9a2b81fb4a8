"""Authoring endpoints of course structure: modules and a course's instructors. Thin: check access,
validate input, call one service, shape the output."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.serializers import UsernameInputSerializer
from config.openapi import ERRORS_400, ERRORS_401, ERRORS_403, ERRORS_404, ERRORS_409
from courseware.access import course_for_write, module_for_write
from courseware.structure.selectors import course_instructors
from courseware.structure.serializers import (
    CourseInstructorOutputSerializer,
    ModuleCreateInputSerializer,
    ModuleOutputSerializer,
    ModuleUpdateInputSerializer,
    MoveInputSerializer,
)
from courseware.structure.services import (
    course_instructor_add,
    course_instructor_remove,
    module_create,
    module_delete,
    module_move,
    module_update,
)

COURSE_DENIED = (
    " Learners get 403; a course the caller cannot see (someone else's unpublished course) answers 404; "
    "a published course the caller does not teach answers 403."
)


# --- Co-instructors -----------------------------------------------------------------------------------
def _instructor_data(user: User) -> dict:
    return {"username": user.username, "display_name": user.display_name, "email": user.email}


class CourseInstructorsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="The course's instructors.",
        description="The course's instructors and admins." + COURSE_DENIED,
        responses={200: CourseInstructorOutputSerializer(many=True), **ERRORS_401, **ERRORS_403, **ERRORS_404},
    )
    def get(self, request, slug: str):
        course = course_for_write(user=request.user, slug=slug)
        users = course_instructors(course=course)
        return Response([_instructor_data(user) for user in users])

    @extend_schema(
        summary="Add a co-instructor.",
        description="The course's instructors and admins. The user must hold the instructor role (else 400 on "
        "`username`); unknown username → 400. Already teaching it → 200." + COURSE_DENIED,
        request=UsernameInputSerializer,
        responses={
            201: OpenApiResponse(CourseInstructorOutputSerializer, description="Added."),
            200: OpenApiResponse(CourseInstructorOutputSerializer, description="Already an instructor of it."),
            **ERRORS_400,
            **ERRORS_401,
            **ERRORS_403,
            **ERRORS_404,
        },
    )
    def post(self, request, slug: str):
        course = course_for_write(user=request.user, slug=slug)
        data = UsernameInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user, added = course_instructor_add(course=course, username=data.validated_data["username"])
        return Response(_instructor_data(user), status=status.HTTP_201_CREATED if added else status.HTTP_200_OK)


class CourseInstructorDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Remove a co-instructor.",
        description="The course's instructors and admins. The last instructor cannot be removed (400); a user who "
        "does not teach the course → 404." + COURSE_DENIED,
        responses={204: None, **ERRORS_400, **ERRORS_401, **ERRORS_403, **ERRORS_404},
    )
    def delete(self, request, slug: str, username: str):
        course = course_for_write(user=request.user, slug=slug)
        course_instructor_remove(course=course, username=username)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Modules ------------------------------------------------------------------------------------------
class CourseModulesView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Add a module to a course.",
        description="At `position` (default: after the last; the modules at or after a taken position move down "
        "one). The slug defaults to one made from the title." + COURSE_DENIED,
        request=ModuleCreateInputSerializer,
        responses={201: ModuleOutputSerializer, **ERRORS_400, **ERRORS_401, **ERRORS_403, **ERRORS_404, **ERRORS_409},
    )
    def post(self, request, slug: str):
        course = course_for_write(user=request.user, slug=slug)
        data = ModuleCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        module = module_create(course=course, **data.validated_data)
        return Response(ModuleOutputSerializer(module).data, status=status.HTTP_201_CREATED)


class ModuleDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Change a module's title, slug or summary.",
        description="Positions change through `move/`; other fields in the body are ignored." + COURSE_DENIED,
        request=ModuleUpdateInputSerializer,
        responses={200: ModuleOutputSerializer, **ERRORS_400, **ERRORS_401, **ERRORS_403, **ERRORS_404, **ERRORS_409},
    )
    def patch(self, request, module_id: int):
        module = module_for_write(user=request.user, module_id=module_id)
        data = ModuleUpdateInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        module = module_update(module=module, **data.validated_data)
        return Response(ModuleOutputSerializer(module).data)

    @extend_schema(
        summary="Delete a module with its lessons and quizzes.",
        description="Their completions and attempts go too; learners' progress is recomputed, certificates "
        "already issued stay valid. The modules after it move up one." + COURSE_DENIED,
        responses={204: None, **ERRORS_401, **ERRORS_403, **ERRORS_404},
    )
    def delete(self, request, module_id: int):
        module = module_for_write(user=request.user, module_id=module_id)
        module_delete(module=module)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ModuleMoveView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Move a module to another position in its course.",
        description="The other modules shift so positions stay unique." + COURSE_DENIED,
        request=MoveInputSerializer,
        responses={200: ModuleOutputSerializer, **ERRORS_400, **ERRORS_401, **ERRORS_403, **ERRORS_404},
    )
    def post(self, request, module_id: int):
        module = module_for_write(user=request.user, module_id=module_id)
        data = MoveInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        module = module_move(module=module, position=data.validated_data["position"])
        return Response(ModuleOutputSerializer(module).data)
