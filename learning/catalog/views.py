"""The catalog and the course page, enrolling, the learner's progress and enrollments; course creation,
changes and publishing ride on the same resource. Thin: validate input, call a service or selector,
shape the output."""

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from drf_orjson_renderer.renderers import ORJSONRenderer
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.generics import get_object_or_404  # a malformed id is a 404, not a 500
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from config.filters import DjangoFilterBackend, OrderingFilter
from config.openapi import ERRORS_400, ERRORS_401, ERRORS_403, ERRORS_404, VERSION_PARAMETER
from courseware.access import course_for_write
from courseware.catalog_cache import PAGE_TIMEOUT, catalog_page_key, local_get, local_peek
from courseware.enrollment.filters import EnrollmentFilter
from courseware.enrollment.selectors import enrollment_list
from courseware.enrollment.services import enrollment_create, enrollment_drop
from courseware.models import Course, Enrollment
from courseware.permissions import IsInstructor
from courseware.structure.selectors import (
    catalog_is_public_for,
    course_can_write,
    course_get,
    course_get_published,
    course_list,
)
from courseware.structure.services import course_create, course_unpublish, course_update
from courseware.versions.services import course_publish
from learning.catalog.filters import CatalogSearchFilter, CourseFilter
from learning.catalog.selectors import (
    catalog_entry,
    catalog_rows,
    course_detail_draft,
    course_detail_public,
    course_detail_public_bytes,
)
from learning.catalog.serializers import (
    CourseCreateInputSerializer,
    CourseDetailOutputSerializer,
    CourseListOutputSerializer,
    CoursePublishInputSerializer,
    CoursePublishOutputSerializer,
    CourseUpdateInputSerializer,
    EnrollmentOutputSerializer,
    ProgressOutputSerializer,
)
from learning.content.access import draft_requested
from learning.progress.selectors import outline_with_learner_state, progress_report, progress_snapshot
from learning.state import StateWanted, learner_header


@extend_schema_view(
    list=extend_schema(summary="Catalog: published courses (plus the caller's own, for instructors)."),
)
class CourseViewSet(viewsets.GenericViewSet):
    lookup_field = "slug"
    lookup_value_regex = "[-a-zA-Z0-9_]+"
    filterset_class = CourseFilter
    filter_backends = [
        DjangoFilterBackend,
        CatalogSearchFilter,  # PostgreSQL full-text search; elsewhere LIKE on search_fields
        OrderingFilter,
    ]
    search_fields = ["title", "summary", "description"]
    ordering_fields = ["title", "published_at", "created_at", "estimated_hours"]
    ordering = ["title"]
    serializer_class = CourseListOutputSerializer

    def dispatch(self, request, *args, **kwargs):
        body = self._ready_made_for_anonymous(request, kwargs.get("slug"))
        if body is None:
            return super().dispatch(request, *args, **kwargs)
        response = HttpResponse(body, content_type="application/json")
        for name, value in self.default_response_headers.items():  # as DRF's finalize_response
            response[name] = value
        return response

    def _ready_made_for_anonymous(self, request, slug: str | None) -> bytes | None:
        """The busiest reads of all, a public course page and catalog pages for anonymous callers,
        answered before DRF builds its request, negotiates, authenticates and checks permissions
        (about a third of such a request's time), when nothing of that can change the answer: a GET
        without credentials (no Authorization header, no session cookie) that accepts JSON, and
        the bytes under the current content version. Throttling still applies; anything else (a
        catalog page not rendered yet, another Accept, ``?format``, a throttled caller) takes the
        ordinary path, which answers the same bytes (``tests/learning/catalog/test_catalog_api.py``).
        A request the throttles counted here is not counted again there (``check_throttles``): a new
        search term costs one hit of the caller's allowance, as every other request does."""
        if (
            request.method != "GET"
            or self.action_map.get("get") not in ("list", "retrieve")  # not the viewset's other routes
            or "HTTP_AUTHORIZATION" in request.META
            or settings.SESSION_COOKIE_NAME in request.COOKIES
            or request.META.get("HTTP_ACCEPT", "*/*") not in ("*/*", "application/json")
            or "format" in request.GET
        ):
            return None
        if slug is not None and request.GET:
            return None
        # Throttles first: the counter's round trip to Redis also brings the content version.
        for throttle in self.get_throttles():
            if not throttle.allow_request(request, self):
                return None  # the ordinary path answers 429 with its Retry-After
        request.throttles_counted = True  # the ordinary path, if it answers, does not count it again
        if slug is None:  # a catalog page this process has rendered (the ordinary path renders it)
            key = catalog_page_key(url=request.build_absolute_uri())
            return local_peek(key, space="pages") if key else None
        course = course_get_published(user=request.user, slug=slug)
        return course_detail_public_bytes(course=course) if course is not None else None

    def check_throttles(self, request):
        if getattr(request._request, "throttles_counted", False):  # counted before DRF (above)
            return
        super().check_throttles(request)

    def learner_state_wanted(self, request) -> StateWanted | None:
        """The course page and progress read the caller's state with their token, in one round trip
        (``accounts.authentication``)."""
        if request.method != "GET" or self.action not in ("retrieve", "progress"):
            return None
        return StateWanted.of("slug", self.kwargs["slug"], items=True)

    def get_permissions(self):
        if self.action in ("list", "retrieve"):
            return [AllowAny()]
        if self.action == "create":
            return [IsAuthenticated(), IsInstructor()]
        return [IsAuthenticated()]

    def get_queryset(self):
        return course_list(user=self.request.user)

    def get_course(self) -> Course:
        course = course_get(user=self.request.user, slug=self.kwargs["slug"])
        if course is None:
            raise NotFound("No course with this slug.")
        return course

    def list(self, request):
        """Pages that everyone sees alike (anonymous callers and learners who teach nothing) come
        ready-made from this process's memory, else from the shared cache, until a course changes."""
        # Both caches hold the rendered bytes: a page one host built is served as it is by the others.
        shared = catalog_is_public_for(user=request.user)
        key = catalog_page_key(url=request.build_absolute_uri()) if shared else None
        if key is None:
            return Response(self._page_data())
        body = local_get(key, lambda: self._page_bytes(key), space="pages")
        return HttpResponse(body, content_type="application/json")

    def _page_bytes(self, key: str) -> bytes:
        body = cache.get(key)
        if body is None:
            body = ORJSONRenderer().render(self._page_data())
            cache.set(key, body, timeout=PAGE_TIMEOUT)
        return body

    def _page_data(self) -> dict:
        page = self.paginate_queryset(self.filter_queryset(catalog_rows(self.get_queryset())))
        return self.get_paginated_response([catalog_entry(course) for course in page]).data

    @extend_schema(
        parameters=[VERSION_PARAMETER],
        responses={200: CourseDetailOutputSerializer, **ERRORS_403, **ERRORS_404},
    )
    def retrieve(self, request, slug=None):
        """The course with its ordered outline, as its published version has it. A published course's
        page comes from this process's memory until the next publish (anonymous callers get the
        ready-made bytes); an enrolled learner's own state is read with their token, in the same
        statement. The course's instructors and admins read the draft's outline with
        ``?version=draft`` (anyone else who can see the course gets 403)."""
        if draft_requested(request):
            return Response(course_detail_draft(course=self._course_for_draft(request, slug)))
        course = course_get_published(user=request.user, slug=slug)
        if course is None:
            raise NotFound("No course with this slug.")
        if not course.published_version and course_can_write(course=course, user=request.user):
            return Response(course_detail_draft(course=course))  # never published: the draft is all there is
        header = learner_header(user=request.user, course_id=course.pk)
        enrollment = header.active_enrollment
        if enrollment is None:
            return HttpResponse(course_detail_public_bytes(course=course), content_type="application/json")
        data = course_detail_public(course=course)
        outline = data["modules"]  # the outline, with the public (empty) learner state to overlay
        snapshot = progress_snapshot(learner_id=request.user.pk, course_id=course.pk, outline=outline)
        enrollment.course = course
        return Response(
            {
                **data,
                "modules": outline_with_learner_state(course=course, outline=outline, snapshot=snapshot),
                "enrollment": EnrollmentOutputSerializer(enrollment).data,
            }
        )

    def _course_for_draft(self, request, slug: str) -> Course:
        course = course_get(user=request.user, slug=slug)
        if course is None:
            raise NotFound("No course with this slug.")
        if not course_can_write(course=course, user=request.user):
            raise PermissionDenied("Only the course's instructors and admins see its draft.")
        return course

    @extend_schema(
        request=CourseCreateInputSerializer,
        responses={201: CourseListOutputSerializer, **ERRORS_400, **ERRORS_401, **ERRORS_403},
    )
    def create(self, request):
        data = CourseCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        course = course_create(actor=request.user, **data.validated_data)
        course = catalog_rows(Course.objects.filter(pk=course.pk)).get()
        return Response(CourseListOutputSerializer(course).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=CourseUpdateInputSerializer,
        responses={200: CourseListOutputSerializer, **ERRORS_400, **ERRORS_401, **ERRORS_403, **ERRORS_404},
    )
    def partial_update(self, request, slug=None):
        course = course_for_write(user=request.user, slug=slug)
        data = CourseUpdateInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        course = course_update(course=course, **data.validated_data)
        course = catalog_rows(Course.objects.filter(pk=course.pk)).get()
        return Response(CourseListOutputSerializer(course).data)

    @extend_schema(
        request=CoursePublishInputSerializer,
        responses={200: CoursePublishOutputSerializer, **ERRORS_400, **ERRORS_401, **ERRORS_403, **ERRORS_404},
        description="Publish the course's draft as a new numbered version (learners read it from now on), "
        "or with `dry_run` only say what that would do to enrolled learners: nothing changes. Publishing a "
        "draft equal to the published version makes no new version, so a repeat is harmless.",
    )
    @action(detail=True, methods=["post"])
    def publish(self, request, slug=None):
        data = CoursePublishInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        course = course_for_write(user=request.user, slug=slug)
        impact = course_publish(course=course, actor=request.user, **data.validated_data)
        course = catalog_rows(Course.objects.filter(pk=course.pk)).get()
        return Response(CoursePublishOutputSerializer({**CourseListOutputSerializer(course).data, **impact}).data)

    @extend_schema(
        request=None,
        responses={200: CourseListOutputSerializer, **ERRORS_401, **ERRORS_403, **ERRORS_404},
    )
    @action(detail=True, methods=["post"])
    def unpublish(self, request, slug=None):
        course = course_unpublish(course=course_for_write(user=request.user, slug=slug))
        return Response(CourseListOutputSerializer(catalog_rows(Course.objects.filter(pk=course.pk)).get()).data)

    @extend_schema(
        request=None,
        responses={
            201: OpenApiResponse(EnrollmentOutputSerializer, description="Enrolled (or re-enrolled)."),
            200: OpenApiResponse(EnrollmentOutputSerializer, description="Already enrolled: the same enrollment."),
            **ERRORS_400,
            **ERRORS_401,
            **ERRORS_404,
        },
    )
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def enroll(self, request, slug=None):
        """Enroll the caller (idempotent). Closed, not yet open or full → 400 saying why."""
        course = course_list(user=request.user).filter(slug=slug, is_published=True).first()
        if course is None:
            raise NotFound("No published course with this slug.")
        enrollment, changed = enrollment_create(learner=request.user, course=course)
        code = status.HTTP_201_CREATED if changed else status.HTTP_200_OK
        return Response(EnrollmentOutputSerializer(enrollment).data, status=code)

    @extend_schema(responses={200: ProgressOutputSerializer, **ERRORS_401, **ERRORS_403, **ERRORS_404})
    @action(detail=True, methods=["get"], permission_classes=[IsAuthenticated])
    def progress(self, request, slug=None):
        """The caller's progress in the course, computed from their completions and attempts."""
        course = course_get_published(user=request.user, slug=slug)
        if course is None:
            raise NotFound("No course with this slug.")
        header = learner_header(user=request.user, course_id=course.pk)
        if header.enrollment is None:
            raise PermissionDenied("You are not enrolled in this course.")
        return Response(progress_report(enrollment=header.enrollment, course=course, certificate=header.certificate))


@extend_schema_view(
    list=extend_schema(summary="The caller's enrollments."),
    retrieve=extend_schema(responses={200: EnrollmentOutputSerializer, **ERRORS_401, **ERRORS_404}),
    destroy=extend_schema(
        summary="Drop the caller's enrollment (progress is kept; enrolling again restores it).",
        responses={204: None, **ERRORS_401, **ERRORS_404},
    ),
)
class EnrollmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated]
    serializer_class = EnrollmentOutputSerializer
    filterset_class = EnrollmentFilter
    ordering_fields = ["enrolled_at", "last_activity_at", "progress"]
    search_fields: list[str] = []

    queryset = Enrollment.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Enrollment.objects.none()
        return enrollment_list(user=self.request.user)

    def destroy(self, request, pk=None):
        enrollment = get_object_or_404(self.get_queryset(), pk=pk)
        enrollment_drop(enrollment=enrollment, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
