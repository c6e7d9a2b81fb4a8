"""Studio endpoints: import a course archive, export a course, a course's analytics."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.generics import ListAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import BaseRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from config.openapi import ERRORS_400, ERRORS_401, ERRORS_403, ERRORS_404, ERRORS_406, ERRORS_413
from config.renderers import ErrorsAsJSON, FileContentNegotiation
from courseware.access import course_for_write
from courseware.models import CourseVersion
from courseware.structure.views import COURSE_DENIED
from courseware.versions.impact import publish_impact
from courseware.versions.selectors import version_diff, version_get, version_list
from courseware.versions.serializers import (
    VersionDiffOutputSerializer,
    VersionDiffQuerySerializer,
    VersionOutputSerializer,
    VersionRestoreOutputSerializer,
)
from courseware.versions.services import version_restore
from studio.analytics import course_analytics
from studio.coursecode import upload
from studio.coursecode.archive import course_zip_build
from studio.coursecode.upload import UploadTooLarge, course_archive_import
from studio.serializers import (
    CourseAnalyticsOutputSerializer,
    CourseContentInvalidSerializer,
    CourseImportInputSerializer,
    ImportReportOutputSerializer,
)


# --- Courses as code ----------------------------------------------------------------------------------
class ZipRenderer(BaseRenderer):
    media_type = "application/zip"
    format = "zip"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class ZipAsOctetStreamRenderer(ZipRenderer):
    """The same zip for clients that ask for ``application/octet-stream`` (generated clients read that
    media type as bytes; ``application/zip`` is one they skip)."""

    media_type = "application/octet-stream"


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
            f"{upload.COURSE_ARCHIVE_MAX_UPLOAD} bytes → 413."
        ),
        request={"multipart/form-data": CourseImportInputSerializer},
        responses={
            201: OpenApiResponse(ImportReportOutputSerializer, description="Course created."),
            200: OpenApiResponse(ImportReportOutputSerializer, description="Course updated, or a dry run."),
            400: OpenApiResponse(CourseContentInvalidSerializer, description="Invalid archive or content."),
            **ERRORS_401,
            **ERRORS_403,
            **ERRORS_413,
        },
    )
    def post(self, request):
        # Refuse an oversized body before it is read (and spooled to disk); the service checks the file too.
        if int(request.META.get("CONTENT_LENGTH") or 0) > upload.COURSE_ARCHIVE_MAX_UPLOAD + 64 * 1024:
            raise UploadTooLarge(f"The upload is larger than {upload.COURSE_ARCHIVE_MAX_UPLOAD} bytes.")
        data = CourseImportInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        archive = data.validated_data["file"]
        dry_run = data.validated_data["dry_run"]
        report = course_archive_import(actor=request.user, fileobj=archive, size=archive.size, dry_run=dry_run)
        code = status.HTTP_201_CREATED if report.created and not dry_run else status.HTTP_200_OK
        return Response({**report.as_data(), "text": report.as_text()}, status=code)


class CourseExportView(ErrorsAsJSON, APIView):
    permission_classes = [IsAuthenticated]
    renderer_classes = [ZipRenderer, ZipAsOctetStreamRenderer]
    content_negotiation_class = FileContentNegotiation

    @extend_schema(
        summary="Download a course as a zip of its course folder.",
        description="The course's instructors and admins. Uploading the archive to `POST /api/courses/import/` "
        "again yields the same course. The body is the zip, as `application/zip` (or `application/octet-stream` "
        "when that is what the client accepts); any other `Accept` or `?format=` is a 406." + COURSE_DENIED,
        parameters=[OpenApiParameter("format", str, enum=["zip"], description="Only `zip` is offered.")],
        responses={
            (200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY, description="The course folder, zipped."),
            (200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY),
            **ERRORS_401,
            **ERRORS_403,
            **ERRORS_404,
            **ERRORS_406,
        },
    )
    def get(self, request, slug: str):
        course = course_for_write(user=request.user, slug=slug)
        response = HttpResponse(course_zip_build(course=course), content_type=request.accepted_media_type)
        response["Content-Disposition"] = f'attachment; filename="{course.slug}.zip"'
        return response


# --- Analytics ----------------------------------------------------------------------------------------
class CourseAnalyticsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Course analytics.",
        description="The course's instructors and admins: enrollments by status, completion rate, median days "
        "from enrollment to completion, the lesson funnel and, per question, the share of first attempts "
        "answered right. A fixed number of queries whatever the number of learners." + COURSE_DENIED,
        responses={200: CourseAnalyticsOutputSerializer, **ERRORS_401, **ERRORS_403, **ERRORS_404},
    )
    def get(self, request, slug: str):
        course = course_for_write(user=request.user, slug=slug)
        return Response(course_analytics(course=course))


# --- Versions -----------------------------------------------------------------------------------------
class CourseVersionListView(ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = VersionOutputSerializer
    filter_backends: list = []

    @extend_schema(
        summary="A course's versions, newest first.",
        description="Every publish makes a numbered, immutable version; the course's instructors and admins "
        "see the list (who published it, when, how many lessons and quizzes it added, changed, removed)."
        + COURSE_DENIED,
        responses={200: VersionOutputSerializer(many=True), **ERRORS_401, **ERRORS_403, **ERRORS_404},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CourseVersion.objects.none()
        return version_list(course=course_for_write(user=self.request.user, slug=self.kwargs["slug"]))


class CourseVersionDiffView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="What changed between two versions.",
        description="Modules, lessons and quizzes added, changed (with a unified text diff of the Markdown, or "
        "of a quiz's settings, questions and keys) and removed from version `against` (by default the one "
        "before) to version `number`; either may be the later one." + COURSE_DENIED,
        parameters=[VersionDiffQuerySerializer],
        responses={200: VersionDiffOutputSerializer, **ERRORS_400, **ERRORS_401, **ERRORS_403, **ERRORS_404},
    )
    def get(self, request, slug: str, number: int):
        course = course_for_write(user=request.user, slug=slug)
        query = VersionDiffQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        against = query.validated_data.get("against", number - 1)
        for n in {number, against} - {0}:
            if version_get(course=course, number=n) is None:
                raise NotFound(f"This course has no version {n}.")
        return Response(VersionDiffOutputSerializer(version_diff(course=course, number=number, against=against)).data)


class CourseVersionRestoreView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Restore a version into the draft.",
        description="The draft becomes version `number`'s content (the same lesson and quiz ids, so learners' "
        "completions and attempts count again once it is published); nothing reaches learners until the next "
        "publish. Answers what publishing the draft would now do. Restoring twice is harmless." + COURSE_DENIED,
        request=None,
        responses={200: VersionRestoreOutputSerializer, **ERRORS_401, **ERRORS_403, **ERRORS_404},
    )
    def post(self, request, slug: str, number: int):
        course = course_for_write(user=request.user, slug=slug)
        plan = version_restore(course=course, number=number)
        impact = publish_impact(course=course, plan=plan)
        return Response(VersionRestoreOutputSerializer({**impact, "restored": number}).data)
