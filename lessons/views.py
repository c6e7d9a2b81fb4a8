from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from config.openapi import ERRORS_401, ERRORS_403, ERRORS_404
from courseware.access import content_access
from lessons import selectors, services
from lessons import serializers as s
from lessons.models import LessonCompletion


def _link(lesson) -> dict | None:
    return {"id": lesson.pk, "slug": lesson.slug, "title": lesson.title} if lesson else None


class LessonView(APIView):
    permission_classes = [IsAuthenticated]

    def get_lesson(self, lesson_id: int):
        lesson = selectors.lesson_get(lesson_id=lesson_id)
        if lesson is None:
            raise NotFound("No lesson with this id.")
        return lesson


class LessonDetailView(LessonView):
    @extend_schema(responses={200: s.LessonOutputSerializer, **ERRORS_401, **ERRORS_403, **ERRORS_404})
    def get(self, request, lesson_id: int):
        """A lesson to read: sanitized HTML, estimated minutes, previous and next lessons."""
        lesson = self.get_lesson(lesson_id)
        content_access(user=request.user, course=lesson.course, module_id=lesson.module_id)
        completion = LessonCompletion.objects.filter(learner=request.user, lesson=lesson).first()
        neighbours = selectors.lesson_neighbours(lesson=lesson)
        return Response(
            {
                "id": lesson.pk,
                "slug": lesson.slug,
                "title": lesson.title,
                "course": lesson.course.slug,
                "module": {"id": lesson.module_id, "title": lesson.module.title, "position": lesson.module.position},
                "position": lesson.position,
                "estimated_minutes": lesson.estimated_minutes,
                "body_html": lesson.body_html,
                "completed": completion is not None,
                "completed_at": completion.completed_at if completion else None,
                "previous": _link(neighbours.previous),
                "next": _link(neighbours.next),
            }
        )


class LessonCompleteView(LessonView):
    @extend_schema(
        request=None, responses={200: s.LessonCompleteOutputSerializer, **ERRORS_401, **ERRORS_403, **ERRORS_404}
    )
    def post(self, request, lesson_id: int):
        """Mark the lesson completed for the caller. Idempotent: repeating it changes nothing."""
        lesson = self.get_lesson(lesson_id)
        access = content_access(user=request.user, course=lesson.course, module_id=lesson.module_id)
        if access.enrollment is None:
            raise PermissionDenied("You are not enrolled in this course.")
        completion, created = services.lesson_completion_record(
            learner=request.user, lesson=lesson, enrollment=access.enrollment
        )
        return Response(
            {"lesson": lesson.pk, "completed": True, "completed_at": completion.completed_at, "created": created}
        )
