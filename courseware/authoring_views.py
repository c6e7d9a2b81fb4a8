"""Authoring and enrollment-management endpoints of courses: co-instructors, modules, courses as code
(zip import and export), the roster and analytics. Thin: validate input, call a service or selector,
shape the output.

Who may call them, in this order:
- users who neither hold the instructor role nor teach a course (learners) → 403 on every call;
- a course the caller cannot see at all (someone else's unpublished course) → 404, as if it did
  not exist;
- a course the caller can see but does not teach (another instructor's published course) → 403;
- the course's instructors and admins → allowed; enrolling and dropping learners → admins only.
"""

import csv

from django.http import HttpResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.selectors import user_is_admin
from accounts.serializers import UsernameInputSerializer
from config.openapi import ERRORS_400, ERRORS_401, ERRORS_403, ERRORS_404, ERRORS_409
from config.pagination import PageNumberPagination
from config.parsers import JSONParser
from courseware import analytics, selectors, services
from courseware import authoring_serializers as s
from courseware.access import (
    course_for_write,
    module_for_write,
)
from courseware.coursecode import course_zip_build
from courseware.models import Course, Enrollment

ADMINS_ONLY = "Only admins may enroll or drop learners."


_COURSE_DENIED = (
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
        description="The course's instructors and admins." + _COURSE_DENIED,
        responses={200: s.CourseInstructorOutputSerializer(many=True), **ERRORS_401, **ERRORS_403, **ERRORS_404},
    )
    def get(self, request, slug: str):
        course = course_for_write(user=request.user, slug=slug)
        users = selectors.course_instructors(course=course)
        return Response([_instructor_data(user) for user in users])

    @extend_schema(
        summary="Add a co-instructor.",
        description="The course's instructors and admins. The user must hold the instructor role (else 400 on "
        "`username`); unknown username → 400. Already teaching it → 200." + _COURSE_DENIED,
        request=UsernameInputSerializer,
        responses={
            201: OpenApiResponse(s.CourseInstructorOutputSerializer, description="Added."),
            200: OpenApiResponse(s.CourseInstructorOutputSerializer, description="Already an instructor of it."),
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
        user, added = services.course_instructor_add(course=course, username=data.validated_data["username"])
        return Response(_instructor_data(user), status=status.HTTP_201_CREATED if added else status.HTTP_200_OK)


class CourseInstructorDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Remove a co-instructor.",
        description="The course's instructors and admins. The last instructor cannot be removed (400); a user who "
        "does not teach the course → 404." + _COURSE_DENIED,
        responses={204: None, **ERRORS_400, **ERRORS_401, **ERRORS_403, **ERRORS_404},
    )
    def delete(self, request, slug: str, username: str):
        course = course_for_write(user=request.user, slug=slug)
        services.course_instructor_remove(course=course, username=username)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Modules ------------------------------------------------------------------------------------------
class CourseModulesView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Add a module to a course.",
        description="At `position` (default: after the last; the modules at or after a taken position move down "
        "one). The slug defaults to one made from the title." + _COURSE_DENIED,
        request=s.ModuleCreateInputSerializer,
        responses={201: s.ModuleOutputSerializer, **ERRORS_400, **ERRORS_401, **ERRORS_403, **ERRORS_404, **ERRORS_409},
    )
    def post(self, request, slug: str):
        course = course_for_write(user=request.user, slug=slug)
        data = s.ModuleCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        module = services.module_create(course=course, **data.validated_data)
        return Response(s.ModuleOutputSerializer(module).data, status=status.HTTP_201_CREATED)


class ModuleDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Change a module's title, slug or summary.",
        description="Positions change through `move/`; other fields in the body are ignored." + _COURSE_DENIED,
        request=s.ModuleUpdateInputSerializer,
        responses={200: s.ModuleOutputSerializer, **ERRORS_400, **ERRORS_401, **ERRORS_403, **ERRORS_404, **ERRORS_409},
    )
    def patch(self, request, module_id: int):
        module = module_for_write(user=request.user, module_id=module_id)
        data = s.ModuleUpdateInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        module = services.module_update(module=module, **data.validated_data)
        return Response(s.ModuleOutputSerializer(module).data)

    @extend_schema(
        summary="Delete a module with its lessons and quizzes.",
        description="Their completions and attempts go too; learners' progress is recomputed, certificates "
        "already issued stay valid. The modules after it move up one." + _COURSE_DENIED,
        responses={204: None, **ERRORS_401, **ERRORS_403, **ERRORS_404},
    )
    def delete(self, request, module_id: int):
        module = module_for_write(user=request.user, module_id=module_id)
        services.module_delete(module=module)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ModuleMoveView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Move a module to another position in its course.",
        description="The other modules shift so positions stay unique." + _COURSE_DENIED,
        request=s.MoveInputSerializer,
        responses={200: s.ModuleOutputSerializer, **ERRORS_400, **ERRORS_401, **ERRORS_403, **ERRORS_404},
    )
    def post(self, request, module_id: int):
        module = module_for_write(user=request.user, module_id=module_id)
        data = s.MoveInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        module = services.module_move(module=module, position=data.validated_data["position"])
        return Response(s.ModuleOutputSerializer(module).data)


# --- Courses as code ----------------------------------------------------------------------------------
class ZipRenderer(BaseRenderer):
    media_type = "application/zip"
    format = "zip"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class _ErrorsAsJSON:
    """Errors answer JSON even when the client asked for a file type (zip, CSV)."""

    def finalize_response(self, request, response, *args, **kwargs):
        if getattr(response, "exception", False):
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


class CourseImportView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser]

    @extend_schema(
        summary="Create or update a course from a zip of a course folder.",
        description=(
            "Instructors and admins. Upload `file` (multipart), a zip of a course folder as described in "
            "docs/content-format.md (as `GET /api/courses/{slug}/export/` downloads it); `dry_run=true` reports "
            "what would change and saves nothing. The course's slug must be new or one the caller teaches "
            "(else 403); a new course names the caller among its instructors. Modules, lessons and quizzes are "
            "matched by slug, so learners' progress is kept. Invalid content → 400 with every problem in "
            "`errors: [{file, field, message}]` and nothing written; unsafe archives (paths leaving the folder, "
            "links, zip bombs) and non-zip uploads → 400; uploads over "
            f"{services.COURSE_ARCHIVE_MAX_UPLOAD} bytes → 413."
        ),
        request={"multipart/form-data": s.CourseImportInputSerializer},
        responses={
            201: OpenApiResponse(s.ImportReportOutputSerializer, description="Course created."),
            200: OpenApiResponse(s.ImportReportOutputSerializer, description="Course updated, or a dry run."),
            400: OpenApiResponse(s.CourseContentInvalidSerializer, description="Invalid archive or content."),
            **ERRORS_401,
            **ERRORS_403,
            413: OpenApiResponse(description="Upload too large."),
        },
    )
    def post(self, request):
        # Refuse an oversized body before it is read (and spooled to disk); the service checks the file too.
        if int(request.META.get("CONTENT_LENGTH") or 0) > services.COURSE_ARCHIVE_MAX_UPLOAD + 64 * 1024:
            raise services.UploadTooLarge(f"The upload is larger than {services.COURSE_ARCHIVE_MAX_UPLOAD} bytes.")
        data = s.CourseImportInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        dry_run = data.validated_data["dry_run"]
        report = services.course_archive_import(actor=request.user, fileobj=upload, size=upload.size, dry_run=dry_run)
        code = status.HTTP_201_CREATED if report.created and not dry_run else status.HTTP_200_OK
        return Response({**report.as_data(), "text": report.as_text()}, status=code)


class CourseExportView(_ErrorsAsJSON, APIView):
    permission_classes = [IsAuthenticated]
    renderer_classes = [JSONRenderer, ZipRenderer]

    @extend_schema(
        summary="Download a course as a zip of its course folder.",
        description="The course's instructors and admins. Uploading the archive to `POST /api/courses/import/` "
        "again yields the same course." + _COURSE_DENIED,
        responses={
            (200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY, description="The course folder, zipped."),
            **ERRORS_401,
            **ERRORS_403,
            **ERRORS_404,
        },
    )
    def get(self, request, slug: str):
        course = course_for_write(user=request.user, slug=slug)
        response = HttpResponse(course_zip_build(course=course), content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{course.slug}.zip"'
        return response


# --- Roster -------------------------------------------------------------------------------------------
def _csv_safe(value) -> object:
    """Neutralise spreadsheet formulas (CSV injection) in text cells."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return f"'{value}"
    return value


class _Echo:
    def write(self, value: str) -> str:
        return value


def _roster_csv(queryset, *, filename: str) -> StreamingHttpResponse:
    """The roster as CSV, streamed row by row (constant memory whatever the class size)."""
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(s.ROSTER_CSV_COLUMNS)
        for enrollment in queryset.iterator(chunk_size=500):
            yield writer.writerow([_csv_safe(value) for value in s.roster_csv_row(enrollment)])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


_ROSTER_CSV_COLUMNS_TEXT = ", ".join(s.ROSTER_CSV_COLUMNS)


class _RosterBase(_ErrorsAsJSON, GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = s.RosterEnrollmentOutputSerializer
    queryset = Enrollment.objects.none()  # for the schema; requests use get_queryset
    filterset_fields = ["status"]
    search_fields = ["learner__username", "learner__email"]
    ordering_fields = ["learner__username", "status", "progress", "enrolled_at", "completed_at", "last_activity_at"]
    ordering = ["learner__username"]
    course: Course

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Enrollment.objects.none()
        return selectors.course_roster(course=self.course)


class CourseEnrollmentsView(_RosterBase):
    parser_classes = [JSONParser, MultiPartParser]
    renderer_classes = [JSONRenderer, CSVRenderer]

    @extend_schema(
        summary="The course's roster.",
        description="Admins and the course's instructors. Filter with `?status=`, search usernames and emails with "
        "`?search=`, sort with `?ordering=`. `?format=csv` (or `Accept: text/csv`) downloads the whole "
        f"filtered roster as CSV ({_ROSTER_CSV_COLUMNS_TEXT}) instead of a page." + _COURSE_DENIED,
        parameters=[OpenApiParameter("format", str, enum=["json", "csv"], description="`csv` for a CSV download.")],
        responses={
            (200, "application/json"): s.RosterEnrollmentOutputSerializer(many=True),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The roster as CSV."),
            **ERRORS_401,
            **ERRORS_403,
            **ERRORS_404,
        },
    )
    def get(self, request, slug: str):
        self.course = course_for_write(user=request.user, slug=slug)
        queryset = self.filter_queryset(self.get_queryset())
        if request.accepted_renderer.format == "csv":
            return _roster_csv(queryset, filename=f"{self.course.slug}-roster.csv")
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(s.RosterEnrollmentOutputSerializer(page, many=True).data)

    @extend_schema(
        summary="Enroll learners (admins).",
        description="Admins only (the course's instructors get 403). Learners are named by username or email "
        '(case-insensitive), as JSON `{"learners": [...]}` or as an uploaded CSV `file` (multipart) with a '
        "`username` or `email` column, or a single column. Enrollment window and capacity do not apply; a dropped "
        "enrollment is restored with its progress. Repeats are harmless. → 201 when anyone was enrolled, else 200.",
        request={
            "application/json": s.BulkEnrollJSONInputSerializer,
            "multipart/form-data": s.BulkEnrollCSVInputSerializer,
        },
        responses={
            201: OpenApiResponse(s.BulkEnrollOutputSerializer, description="At least one learner was enrolled."),
            200: OpenApiResponse(s.BulkEnrollOutputSerializer, description="Nobody new was enrolled."),
            **ERRORS_400,
            **ERRORS_401,
            **ERRORS_403,
            **ERRORS_404,
        },
    )
    def post(self, request, slug: str):
        course = course_for_write(user=request.user, slug=slug)
        if not user_is_admin(request.user):
            raise PermissionDenied(ADMINS_ONLY)
        data = s.BulkEnrollInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = services.enrollments_bulk_create(
            course=course, identifiers=data.validated_data["learners"], actor=request.user
        )
        body = s.BulkEnrollOutputSerializer(report).data
        return Response(body, status=status.HTTP_201_CREATED if report.enrolled else status.HTTP_200_OK)


class CourseEnrollmentsExportView(_RosterBase):
    renderer_classes = [CSVRenderer, JSONRenderer]

    @extend_schema(
        summary="The course's roster as CSV.",
        description=f"Admins and the course's instructors. Columns: {_ROSTER_CSV_COLUMNS_TEXT}. Takes the same "
        "`status`, `search` and `ordering` parameters as the roster." + _COURSE_DENIED,
        parameters=[
            OpenApiParameter("status", str, enum=Enrollment.Status.values),
            OpenApiParameter("search", str, description="Part of a username or email."),
            OpenApiParameter("ordering", str, description="A field of the roster; `-` before it for descending."),
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The roster as CSV."),
            **ERRORS_401,
            **ERRORS_403,
            **ERRORS_404,
        },
    )
    def get(self, request, slug: str):
        self.course = course_for_write(user=request.user, slug=slug)
        return _roster_csv(self.filter_queryset(self.get_queryset()), filename=f"{self.course.slug}-roster.csv")


class CourseEnrollmentDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Drop a learner's enrollment (admins).",
        description="Admins only (the course's instructors get 403). Idempotent; progress, completions, attempts "
        "and any certificate are kept, and enrolling again restores them. The event is recorded with the admin "
        "as its actor.",
        responses={204: None, **ERRORS_401, **ERRORS_403, **ERRORS_404},
    )
    def delete(self, request, slug: str, enrollment_id: int):
        course = course_for_write(user=request.user, slug=slug)
        if not user_is_admin(request.user):
            raise PermissionDenied(ADMINS_ONLY)
        enrollment = selectors.roster_enrollment_get(course=course, enrollment_id=enrollment_id)
        if enrollment is None:
            raise NotFound("No enrollment with this id in this course.")
        services.enrollment_drop(enrollment=enrollment, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class _EventsPagination(PageNumberPagination):
    page_size = 50


class CourseEnrollmentEventsView(GenericAPIView):
    permission_classes = [IsAuthenticated]
    pagination_class = _EventsPagination
    serializer_class = s.EnrollmentEventOutputSerializer
    filter_backends: list = []

    @extend_schema(
        summary="An enrollment's audit trail.",
        description="Admins and the course's instructors: every change (enrolled, re-enrolled, dropped, completed), "
        "who made it (null for the system) and when, oldest first." + _COURSE_DENIED,
        responses={200: s.EnrollmentEventOutputSerializer(many=True), **ERRORS_401, **ERRORS_403, **ERRORS_404},
    )
    def get(self, request, slug: str, enrollment_id: int):
        course = course_for_write(user=request.user, slug=slug)
        enrollment = selectors.roster_enrollment_get(course=course, enrollment_id=enrollment_id)
        if enrollment is None:
            raise NotFound("No enrollment with this id in this course.")
        page = self.paginate_queryset(selectors.enrollment_events(enrollment=enrollment))
        return self.get_paginated_response(s.EnrollmentEventOutputSerializer(page, many=True).data)


# --- Analytics ----------------------------------------------------------------------------------------
class CourseAnalyticsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Course analytics.",
        description="The course's instructors and admins: enrollments by status, completion rate, median days "
        "from enrollment to completion, the lesson funnel and, per question, the share of first attempts "
        "answered right. A fixed number of queries whatever the number of learners." + _COURSE_DENIED,
        responses={200: s.CourseAnalyticsOutputSerializer, **ERRORS_401, **ERRORS_403, **ERRORS_404},
    )
    def get(self, request, slug: str):
        course = course_for_write(user=request.user, slug=slug)
        return Response(analytics.course_analytics(course=course))
