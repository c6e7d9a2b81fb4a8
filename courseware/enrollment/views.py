"""The roster: a course's enrollments for its instructors (read) and admins (enroll, drop, export)."""

import csv

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import user_is_admin
from config.filters import ordering_description, ordering_schema
from config.openapi import ERRORS_400, ERRORS_401, ERRORS_403, ERRORS_404, ERRORS_406
from config.pagination import PageNumberPagination
from config.parsers import JSONParser
from config.renderers import CSVRenderer, ErrorsAsJSON, FileContentNegotiation
from courseware.access import course_for_write
from courseware.enrollment.selectors import course_roster, enrollment_events, roster_enrollment_get
from courseware.enrollment.serializers import (
    ROSTER_CSV_COLUMNS,
    BulkEnrollCSVInputSerializer,
    BulkEnrollInputSerializer,
    BulkEnrollJSONInputSerializer,
    BulkEnrollOutputSerializer,
    EnrollmentEventOutputSerializer,
    RosterEnrollmentOutputSerializer,
    roster_csv_row,
)
from courseware.enrollment.services import enrollment_drop, enrollments_bulk_create
from courseware.models import Course, Enrollment
from courseware.structure.views import COURSE_DENIED

ADMINS_ONLY = "Only admins may enroll or drop learners."


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
        yield writer.writerow(ROSTER_CSV_COLUMNS)
        for enrollment in queryset.iterator(chunk_size=500):
            yield writer.writerow([_csv_safe(value) for value in roster_csv_row(enrollment)])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


_ROSTER_CSV_COLUMNS_TEXT = ", ".join(ROSTER_CSV_COLUMNS)
ROSTER_ORDERING = ["learner__username", "status", "progress", "enrolled_at", "completed_at", "last_activity_at"]


class _RosterBase(ErrorsAsJSON, GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = RosterEnrollmentOutputSerializer
    queryset = Enrollment.objects.none()  # for the schema; requests use get_queryset
    filterset_fields = ["status"]
    search_fields = ["learner__username", "learner__email"]
    ordering_fields = ROSTER_ORDERING
    ordering = ["learner__username"]
    course: Course

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Enrollment.objects.none()
        return course_roster(course=self.course)


class CourseEnrollmentsView(_RosterBase):
    parser_classes = [JSONParser, MultiPartParser]
    renderer_classes = [JSONRenderer, CSVRenderer]

    def perform_content_negotiation(self, request, force=False):
        """CSV is the roster's download (GET); enrolling answers JSON whatever ``?format=``/``Accept`` says."""
        negotiated = super().perform_content_negotiation(request, force)
        if request.method != "GET":
            return JSONRenderer(), JSONRenderer.media_type
        return negotiated

    @extend_schema(
        summary="The course's roster.",
        description="Admins and the course's instructors. Filter with `?status=`, search usernames and emails with "
        "`?search=`, sort with `?ordering=`. `?format=csv` (or `Accept: text/csv`) downloads the whole "
        f"filtered roster as CSV ({_ROSTER_CSV_COLUMNS_TEXT}) instead of a page." + COURSE_DENIED,
        parameters=[OpenApiParameter("format", str, enum=["json", "csv"], description="`csv` for a CSV download.")],
        responses={
            (200, "application/json"): RosterEnrollmentOutputSerializer(many=True),
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
        return self.get_paginated_response(RosterEnrollmentOutputSerializer(page, many=True).data)

    @extend_schema(
        summary="Enroll learners (admins).",
        description="Admins only (the course's instructors get 403). Learners are named by username or email "
        '(case-insensitive), as JSON `{"learners": [...]}` or as an uploaded CSV `file` (multipart) with a '
        "`username` or `email` column, or a single column. Enrollment window and capacity do not apply; a dropped "
        "enrollment is restored with its progress. Repeats are harmless. → 201 when anyone was enrolled, else 200.",
        request={
            "application/json": BulkEnrollJSONInputSerializer,
            "multipart/form-data": BulkEnrollCSVInputSerializer,
        },
        responses={
            201: OpenApiResponse(BulkEnrollOutputSerializer, description="At least one learner was enrolled."),
            200: OpenApiResponse(BulkEnrollOutputSerializer, description="Nobody new was enrolled."),
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
        data = BulkEnrollInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = enrollments_bulk_create(course=course, identifiers=data.validated_data["learners"], actor=request.user)
        body = BulkEnrollOutputSerializer(report).data
        return Response(body, status=status.HTTP_201_CREATED if report.enrolled else status.HTTP_200_OK)


class CourseEnrollmentsExportView(_RosterBase):
    renderer_classes = [CSVRenderer]
    content_negotiation_class = FileContentNegotiation

    @extend_schema(
        summary="The course's roster as CSV.",
        description=f"Admins and the course's instructors. Columns: {_ROSTER_CSV_COLUMNS_TEXT}. Takes the same "
        "`status`, `search` and `ordering` parameters as the roster." + COURSE_DENIED,
        parameters=[
            OpenApiParameter("status", str, enum=Enrollment.Status.values),
            OpenApiParameter("search", str, description="Part of a username or email."),
            OpenApiParameter(
                "ordering", ordering_schema(ROSTER_ORDERING), description=ordering_description(ROSTER_ORDERING)
            ),
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The roster as CSV."),
            **ERRORS_400,
            **ERRORS_401,
            **ERRORS_403,
            **ERRORS_404,
            **ERRORS_406,
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
        enrollment = roster_enrollment_get(course=course, enrollment_id=enrollment_id)
        if enrollment is None:
            raise NotFound("No enrollment with this id in this course.")
        enrollment_drop(enrollment=enrollment, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class _EventsPagination(PageNumberPagination):
    page_size = 50


class CourseEnrollmentEventsView(GenericAPIView):
    permission_classes = [IsAuthenticated]
    pagination_class = _EventsPagination
    serializer_class = EnrollmentEventOutputSerializer
    filter_backends: list = []

    @extend_schema(
        summary="An enrollment's audit trail.",
        description="Admins and the course's instructors: every change (enrolled, re-enrolled, dropped, completed), "
        "who made it (null for the system) and when, oldest first." + COURSE_DENIED,
        responses={200: EnrollmentEventOutputSerializer(many=True), **ERRORS_401, **ERRORS_403, **ERRORS_404},
    )
    def get(self, request, slug: str, enrollment_id: int):
        course = course_for_write(user=request.user, slug=slug)
        enrollment = roster_enrollment_get(course=course, enrollment_id=enrollment_id)
        if enrollment is None:
            raise NotFound("No enrollment with this id in this course.")
        page = self.paginate_queryset(enrollment_events(enrollment=enrollment))
        return self.get_paginated_response(EnrollmentEventOutputSerializer(page, many=True).data)
