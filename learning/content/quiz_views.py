"""The learner's side of quizzes: taking a quiz (the quiz, attempts, timed starts). Access
(enrollment, locked modules) and the caller's state come from ``learning``; writes are
``quizzes.services``'; PATCH and DELETE of the same path are ``quizzes.views``'."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from config.openapi import ERRORS_400, ERRORS_401, ERRORS_403, ERRORS_404, ERRORS_409, VERSION_PARAMETER
from config.pagination import PageNumberPagination
from config.throttling import ScopedRateThrottle
from courseware.structure.selectors import course_can_write
from learning.content.access import content_access, draft_requested
from learning.state import StateWanted
from quizzes import selectors, services
from quizzes import serializers as s
from quizzes.views import QuizAuthoringView, QuizDetailAuthoringView


class QuizView(QuizAuthoringView):
    learner_methods: tuple[str, ...] = ()  # the methods that read the caller's state in the quiz's course

    def learner_state_wanted(self, request) -> StateWanted | None:
        """Read with the caller's token, in one round trip (``accounts.authentication``)."""
        if request.method not in self.learner_methods:
            return None
        return StateWanted.of("quiz", self.kwargs["quiz_id"])

    def get_quiz_for_learner(self, quiz_id: int, *, draft_allowed: bool = False):
        """The published quiz; on reads (``draft_allowed``), the draft's for its course's instructors
        and admins who ask for it (``?version=draft``) or while no published version holds it."""
        wants_draft = draft_allowed and draft_requested(self.request)
        quiz = None if wants_draft else selectors.quiz_get_for_learner(quiz_id=quiz_id)
        if quiz is not None:
            return quiz
        row = selectors.quiz_get(quiz_id=quiz_id) if draft_allowed else None
        if row is None or not course_can_write(course=row.course, user=self.request.user):
            if row is not None and wants_draft and self.request.user.is_authenticated:
                raise PermissionDenied("Only the course's instructors and admins see its draft.")
            raise NotFound("No quiz with this id.")
        return row

    def extra_attempts(self, request, quiz) -> int:
        """The caller's override on this quiz (an accommodation): extra attempts beyond ``max_attempts``."""
        override = selectors.quiz_override_get(quiz=quiz, learner_id=request.user.pk)
        return override.extra_attempts if override else 0

    def learner_access(self, request, quiz):
        access = content_access(user=request.user, course=quiz.course, module_id=quiz.module_id)
        if access.enrollment is None:
            raise PermissionDenied("You are not enrolled in this course.")
        return access


class QuizDetailView(QuizView, QuizDetailAuthoringView):
    learner_methods = ("GET",)

    @extend_schema(
        parameters=[VERSION_PARAMETER],
        responses={200: s.QuizOutputSerializer, **ERRORS_401, **ERRORS_403, **ERRORS_404},
    )
    def get(self, request, quiz_id: int):
        """A quiz to take, as the course's published version has it. Learners never see which
        choices are right; the course's instructors and admins also get ``is_correct`` and
        ``explanation`` on each choice, and read the draft with ``?version=draft``."""
        quiz = self.get_quiz_for_learner(quiz_id, draft_allowed=True)
        access = content_access(user=request.user, course=quiz.course, module_id=quiz.module_id)
        questions = selectors.quiz_questions(quiz=quiz)
        attempts = list(selectors.attempt_list(quiz=quiz, user=request.user))
        submitted = [a for a in attempts if a.status == "submitted"]
        open_attempt = next((a for a in attempts if a.status == "in_progress"), None)
        if access.is_staff_view:
            shown = selectors.questions_for_staff(questions=questions)
        else:
            number = open_attempt.number if open_attempt else len(attempts) + 1
            seed = selectors.attempt_seed(quiz_id=quiz.pk, learner_id=request.user.pk, number=number)
            drawn = open_attempt.question_ids if open_attempt else None
            shown = selectors.questions_for_learner(quiz=quiz, questions=questions, seed=seed, question_ids=drawn)
        scores = [a.score for a in submitted if a.score is not None]
        allowed = quiz.max_attempts + self.extra_attempts(request, quiz)
        return Response(
            {
                "id": quiz.pk,
                "slug": quiz.slug,
                "title": quiz.title,
                "description": quiz.description,
                "course": quiz.course.slug,
                "module": quiz.module_id,
                "pass_percent": quiz.pass_percent,
                "max_attempts": allowed,
                "scoring": quiz.scoring,
                "time_limit_minutes": quiz.time_limit_minutes,
                "shuffle": quiz.shuffle,
                "draw": quiz.draw,
                "attempts_used": len(attempts),
                "attempts_left": max(0, allowed - len(attempts)),
                "passed": any(a.passed for a in submitted),
                "best_score": float(max(scores)) if scores else None,
                "open_attempt": open_attempt.pk if open_attempt else None,
                "questions": shown,
            }
        )


class _Pagination(PageNumberPagination):
    page_size = 50


class QuizAttemptsView(QuizView):
    learner_methods = ("GET", "POST")
    pagination_class = _Pagination  # so the schema describes the page that GET answers, not a bare list

    def get_throttles(self):
        if self.request.method == "POST":
            self.throttle_scope = "quiz_submit"
            return [*super().get_throttles(), ScopedRateThrottle()]
        return super().get_throttles()

    @extend_schema(responses={200: s.AttemptOutputSerializer(many=True), **ERRORS_401, **ERRORS_403, **ERRORS_404})
    def get(self, request, quiz_id: int):
        """The caller's attempts on this quiz, oldest first, with feedback."""
        quiz = self.get_quiz_for_learner(quiz_id)
        self.learner_access(request, quiz)
        attempts = list(selectors.attempt_list(quiz=quiz, user=request.user))
        revealed = selectors.answers_revealed(
            quiz=quiz, attempts=attempts, extra_attempts=self.extra_attempts(request, quiz)
        )
        paginator = _Pagination()
        page = paginator.paginate_queryset(attempts, request, view=self)
        data = [
            selectors.attempt_data(
                attempt=a, questions=selectors.attempt_quiz_questions(quiz=quiz, attempt=a), revealed=revealed
            )
            for a in page
        ]
        return paginator.get_paginated_response(data)

    @extend_schema(
        request=s.AttemptInputSerializer,
        responses={
            201: s.AttemptOutputSerializer,
            **ERRORS_400,
            **ERRORS_401,
            **ERRORS_403,
            **ERRORS_404,
            **ERRORS_409,
        },
    )
    def post(self, request, quiz_id: int):
        """Submit answers; the server grades them. Over ``max_attempts`` or past a started attempt's
        deadline → 409. The right answers are revealed once the caller passed or used every attempt."""
        quiz = self.get_quiz_for_learner(quiz_id)
        access = self.learner_access(request, quiz)
        data = s.AttemptInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        submission = services.quiz_attempt_submit(
            quiz=quiz, learner=request.user, enrollment=access.enrollment, answers=data.validated_data["answers"]
        )
        questions = selectors.attempt_quiz_questions(quiz=quiz, attempt=submission.attempt)
        body = selectors.attempt_data(
            attempt=submission.attempt, questions=questions, revealed=submission.answers_revealed
        )
        return Response(body, status=status.HTTP_201_CREATED)


class QuizAttemptStartView(QuizView):
    learner_methods = ("POST",)

    @extend_schema(
        request=None,
        responses={
            201: s.AttemptStartOutputSerializer,
            200: OpenApiResponse(s.AttemptStartOutputSerializer, description="The attempt already open."),
            **ERRORS_401,
            **ERRORS_403,
            **ERRORS_404,
            **ERRORS_409,
        },
    )
    def post(self, request, quiz_id: int):
        """Start an attempt (for timed or shuffled quizzes): the server keeps its deadline and its
        question order. Idempotent: returns the open attempt if there is one."""
        quiz = self.get_quiz_for_learner(quiz_id)
        access = self.learner_access(request, quiz)
        attempt, created = services.quiz_attempt_start(quiz=quiz, learner=request.user, enrollment=access.enrollment)
        questions = selectors.attempt_quiz_questions(quiz=quiz, attempt=attempt)
        body = selectors.attempt_data(attempt=attempt, questions=questions, revealed=False)
        body["questions"] = selectors.questions_for_learner(
            quiz=quiz, questions=questions, seed=attempt.seed, question_ids=attempt.question_ids
        )
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
