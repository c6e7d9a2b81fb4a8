"""The learner's side of lessons: reading a lesson and completing it. Access (enrollment, locked modules) and the
caller's state come from ``learning``; writes are ``lessons.services``'; PATCH and DELETE of the same
path are ``lessons.views``'."""

from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from config.openapi import ERRORS_401, ERRORS_403, ERRORS_404, VERSION_PARAMETER
from courseware.structure.selectors import course_can_write
from learning.content.access import content_access, draft_requested
from learning.content.lesson_pages import LessonPage, lesson_page, lesson_page_draft
from learning.state import StateWanted
from lessons import serializers as s
from lessons import services
from lessons.views import LessonAuthoringView, LessonDetailAuthoringView


class LessonView(LessonAuthoringView):
    learner_methods: tuple[str, ...] = ()  # the methods that read the caller's state in the lesson's course

    def learner_state_wanted(self, request) -> StateWanted | None:
        """Read with the caller's token, in one round trip (``accounts.authentication``)."""
        if request.method not in self.learner_methods:
            return None
        lesson_id = self.kwargs["lesson_id"]
        return StateWanted.of("lesson", lesson_id, lesson_id=lesson_id)


def page_for(request, lesson_id: int) -> LessonPage:
    """The published lesson; the draft's for its course's instructors and admins who ask for it
    (``?version=draft``) or when no published version holds the lesson yet."""
    wants_draft = draft_requested(request)
    page = None if wants_draft else lesson_page(lesson_id=lesson_id)
    if page is not None:
        return page
    draft = lesson_page_draft(lesson_id=lesson_id)
    if draft is None or not course_can_write(course=draft.course, user=request.user):
        if draft is not None and wants_draft and request.user.is_authenticated:
            raise PermissionDenied("Only the course's instructors and admins see its draft.")
        raise NotFound("No lesson with this id.")
    return draft


class LessonDetailView(LessonView, LessonDetailAuthoringView):
    learner_methods = ("GET",)

    @extend_schema(
        parameters=[VERSION_PARAMETER],
        responses={200: s.LessonOutputSerializer, **ERRORS_401, **ERRORS_403, **ERRORS_404},
    )
    def get(self, request, lesson_id: int):
        """A lesson to read, as the course's published version has it: sanitized HTML, estimated
        minutes, previous and next lessons. The page is shared by every reader (kept in memory until
        the next publish); the caller's access and completion come from one query. The course's
        instructors and admins read the draft with ``?version=draft``."""
        page = page_for(request, lesson_id)
        access = content_access(
            user=request.user, course=page.course_copy(), module_id=page.module_id, lesson_id=lesson_id
        )
        completed_at = access.header.lesson_completed_at
        return Response({**page.body, "completed": completed_at is not None, "completed_at": completed_at})


class LessonCompleteView(LessonView):
    learner_methods = ("POST",)

    @extend_schema(
        request=None, responses={200: s.LessonCompleteOutputSerializer, **ERRORS_401, **ERRORS_403, **ERRORS_404}
    )
    def post(self, request, lesson_id: int):
        """Mark the lesson completed for the caller. Idempotent: repeating it changes nothing."""
        page = lesson_page(lesson_id=lesson_id)
        if page is None:
            draft = lesson_page_draft(lesson_id=lesson_id)
            if draft is not None and course_can_write(course=draft.course, user=request.user):
                raise PermissionDenied("This lesson is not published yet: there is nothing to complete.")
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
