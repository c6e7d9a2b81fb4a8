from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from config.openapi import ERRORS_400, ERRORS_401, ERRORS_403, ERRORS_404, ERRORS_409
from config.pagination import PageNumberPagination
from courseware.access import authoring_gate, course_write_access, module_for_write, module_of_course
from quizzes import authoring_serializers as authoring
from quizzes import selectors, services
from quizzes.regrade import services as regrade
from quizzes.regrade.request import quiz_regrade_request


class QuizAuthoringView(APIView):
    permission_classes = [IsAuthenticated]

    def get_quiz(self, quiz_id: int):
        quiz = selectors.quiz_get(quiz_id=quiz_id)
        if quiz is None:
            raise NotFound("No quiz with this id.")
        return quiz


class QuizDetailAuthoringView(QuizAuthoringView):
    """PATCH and DELETE of ``quizs/{id}/``; ``learning`` adds the learner's GET on the same path."""

    @extend_schema(
        summary="Change a quiz (its course's instructors and admins).",
        description="Any quiz field; `questions` (when given) replaces the questions, matched by position: updated "
        "in place, created, extras deleted. Errors name the path of what is wrong (`questions[2].choices`). Other "
        "fields are ignored; positions change through `move/`. Learners get 403; a quiz of a course the caller "
        "cannot see answers 404; another instructor's published course 403.",
        request=authoring.QuizUpdateInputSerializer,
        responses={
            200: authoring.QuizAuthorOutputSerializer,
            **ERRORS_400,
            **ERRORS_401,
            **ERRORS_403,
            **ERRORS_404,
            **ERRORS_409,
        },
    )
    def patch(self, request, quiz_id: int):
        authoring_gate(user=request.user)
        quiz = self.get_quiz(quiz_id)
        course_write_access(user=request.user, course=quiz.course)
        data = authoring.QuizUpdateInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        quiz = services.quiz_update(quiz=quiz, **data.validated_data)
        return Response(quiz_author_data(quiz))

    @extend_schema(
        summary="Delete a quiz (its course's instructors and admins).",
        description="Its questions and attempts go too; learners' progress is recomputed and certificates already "
        "issued stay valid. The quizzes after it move up one.",
        responses={204: None, **ERRORS_401, **ERRORS_403, **ERRORS_404},
    )
    def delete(self, request, quiz_id: int):
        authoring_gate(user=request.user)
        quiz = self.get_quiz(quiz_id)
        course_write_access(user=request.user, course=quiz.course)
        services.quiz_delete(quiz=quiz)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Authoring --------------------------------------------------------------------------------------
def quiz_author_data(quiz) -> dict:
    """A quiz as its authors see it: every field, and the questions with the right answers."""
    quiz = selectors.quiz_get(quiz_id=quiz.pk)
    return {
        "id": quiz.pk,
        "course": quiz.course.slug,
        "module": quiz.module_id,
        "slug": quiz.slug,
        "title": quiz.title,
        "description": quiz.description,
        "position": quiz.position,
        "pass_percent": quiz.pass_percent,
        "max_attempts": quiz.max_attempts,
        "scoring": quiz.scoring,
        "reveal_answers": quiz.reveal_answers,
        "time_limit_minutes": quiz.time_limit_minutes,
        "shuffle": quiz.shuffle,
        "draw": quiz.draw,
        "created_at": quiz.created_at,
        "updated_at": quiz.updated_at,
        "questions": selectors.questions_for_staff(questions=selectors.quiz_questions(quiz=quiz)),
    }


class ModuleQuizzesView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Add a quiz, with its questions and choices, to a module (its course's instructors and admins).",
        description="One request holds the whole quiz. A single-choice question needs exactly one correct choice, a "
        "multiple-choice one at least one; every question at least 2 choices; a quiz at least one question. Errors "
        "name the path of what is wrong (`questions[2].choices`, indexes from 0). At `position` (default: after "
        "the last quiz). Enrolled learners' progress is recomputed. Learners get 403; a module of a course the "
        "caller cannot see answers 404; another instructor's published course 403.",
        request=authoring.QuizCreateInputSerializer,
        responses={
            201: authoring.QuizAuthorOutputSerializer,
            **ERRORS_400,
            **ERRORS_401,
            **ERRORS_403,
            **ERRORS_404,
            **ERRORS_409,
        },
    )
    def post(self, request, module_id: int):
        module = module_for_write(user=request.user, module_id=module_id)
        data = authoring.QuizCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        quiz = services.quiz_create(module=module, **data.validated_data)
        return Response(quiz_author_data(quiz), status=status.HTTP_201_CREATED)


class QuizMoveView(QuizAuthoringView):
    @extend_schema(
        summary="Move a quiz to another position, or another module of its course.",
        description="The other quizzes shift so positions stay unique. Its course's instructors and admins.",
        request=authoring.QuizMoveInputSerializer,
        responses={
            200: authoring.QuizAuthorOutputSerializer,
            **ERRORS_400,
            **ERRORS_401,
            **ERRORS_403,
            **ERRORS_404,
        },
    )
    def post(self, request, quiz_id: int):
        authoring_gate(user=request.user)
        quiz = self.get_quiz(quiz_id)
        course_write_access(user=request.user, course=quiz.course)
        data = authoring.QuizMoveInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        module = module_of_course(module_id=data.validated_data.get("module"), course_id=quiz.course_id)
        quiz = services.quiz_move(quiz=quiz, module=module, position=data.validated_data["position"])
        return Response(quiz_author_data(quiz))


# --- Regrade ----------------------------------------------------------------------------------------
class QuizRegradeView(QuizAuthoringView):
    @extend_schema(
        summary="Regrade a quiz's attempts against its current key (its course's instructors and admins).",
        description='`{"dry_run": true}` → 200: every submitted attempt graded again, nothing saved: who changes '
        "score and pass. `{}` → 202 `{regrade}`: a task grades every attempt again, audits each change "
        "(`regrades/`), and the learners' progress and completion follow; a learner who now completes gets the "
        "certificate once. A regrade never revokes an issued certificate, nor un-completes a course. Attempts "
        "submitted after their deadline keep their 0. While one regrade of the quiz is open, asking again "
        "answers it.",
        request=authoring.RegradeInputSerializer,
        responses={
            200: OpenApiResponse(authoring.RegradeDryRunOutputSerializer, description="The dry run."),
            202: OpenApiResponse(authoring.RegradeQueuedOutputSerializer, description="The regrade is queued."),
            **ERRORS_400,
            **ERRORS_401,
            **ERRORS_403,
            **ERRORS_404,
        },
    )
    def post(self, request, quiz_id: int):
        authoring_gate(user=request.user)
        quiz = self.get_quiz(quiz_id)
        course_write_access(user=request.user, course=quiz.course)
        data = authoring.RegradeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if data.validated_data["dry_run"]:
            return Response(regrade.quiz_regrade_preview(quiz=quiz))
        run, _ = quiz_regrade_request(quiz=quiz, user=request.user)
        return Response({"regrade": run.pk, "status": run.status}, status=status.HTTP_202_ACCEPTED)


class _RegradePagination(PageNumberPagination):
    page_size = 20


class QuizRegradesView(QuizAuthoringView):
    pagination_class = _RegradePagination

    @extend_schema(
        summary="The regrade audit of a quiz: who asked, when, which attempts changed (newest first).",
        responses={200: authoring.RegradeOutputSerializer(many=True), **ERRORS_401, **ERRORS_403, **ERRORS_404},
    )
    def get(self, request, quiz_id: int):
        authoring_gate(user=request.user)
        quiz = self.get_quiz(quiz_id)
        course_write_access(user=request.user, course=quiz.course)
        paginator = _RegradePagination()
        page = paginator.paginate_queryset(regrade.regrade_list(quiz=quiz), request, view=self)
        return paginator.get_paginated_response([regrade_data(r) for r in page])


def regrade_data(run) -> dict:
    return {
        "id": run.pk,
        "requested_by": run.requested_by.username if run.requested_by else None,
        "status": run.status,
        "created_at": run.created_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "key_version": run.key_version,
        "attempts": run.attempts,
        "attempts_changed": run.attempts_changed,
        "newly_passed": run.newly_passed,
        "newly_failed": run.newly_failed,
        "changes": [
            {
                "attempt": c.attempt_id,
                "learner": c.learner.username,
                "old_score": float(c.old_score) if c.old_score is not None else None,
                "new_score": float(c.new_score),
                "old_passed": c.old_passed,
                "new_passed": c.new_passed,
            }
            for c in run.changes.all()
        ],
    }


# --- Overrides (accommodations) --------------------------------------------------------------------
class QuizOverridesView(QuizAuthoringView):
    @extend_schema(
        summary="Per-learner overrides of a quiz (its course's instructors and admins), with their audit.",
        responses={200: authoring.OverrideOutputSerializer(many=True), **ERRORS_401, **ERRORS_403, **ERRORS_404},
    )
    def get(self, request, quiz_id: int):
        authoring_gate(user=request.user)
        quiz = self.get_quiz(quiz_id)
        course_write_access(user=request.user, course=quiz.course)
        return Response([override_data(o, quiz) for o in selectors.quiz_override_list(quiz=quiz)])

    @extend_schema(
        summary="Grant one learner extra attempts or time on a quiz, or reopen it (an accommodation).",
        description="The values replace the learner's previous ones (left out: kept); `reopen` gives as many extra "
        "attempts as leave them one from now. Audited (who, when, why). The learner's quiz (`max_attempts`, "
        "`attempts_left`), the progress's `next_step` and timed starts follow at once; answers are revealed "
        "only once the extra attempts are used too. The learner must be enrolled (400 naming `learner`).",
        request=authoring.OverrideInputSerializer,
        responses={
            200: authoring.OverrideOutputSerializer,
            **ERRORS_400,
            **ERRORS_401,
            **ERRORS_403,
            **ERRORS_404,
        },
    )
    def post(self, request, quiz_id: int):
        authoring_gate(user=request.user)
        quiz = self.get_quiz(quiz_id)
        course_write_access(user=request.user, course=quiz.course)
        data = authoring.OverrideInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        learner = selectors.learner_by_name(name=values.pop("learner"))
        if learner is None:
            raise ValidationError({"learner": ["No user with this username or email."]})
        override = services.quiz_override_grant(quiz=quiz, learner=learner, granted_by=request.user, **values)
        override = selectors.quiz_override_list(quiz=quiz).get(pk=override.pk)
        return Response(override_data(override, quiz))


def override_data(override, quiz) -> dict:
    return {
        "id": override.pk,
        "learner": override.learner.username,
        "extra_attempts": override.extra_attempts,
        "extra_minutes": override.extra_minutes,
        "attempts_allowed": quiz.max_attempts + override.extra_attempts,
        "updated_at": override.updated_at,
        "grants": [
            {
                "granted_by": g.granted_by.username if g.granted_by else None,
                "granted_at": g.granted_at,
                "extra_attempts": g.extra_attempts,
                "extra_minutes": g.extra_minutes,
                "reopened": g.reopened,
                "note": g.note,
            }
            for g in override.grants.all()
        ],
    }
