from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from config.openapi import ERRORS_400, ERRORS_401, ERRORS_403, ERRORS_404, ERRORS_409
from courseware.access import authoring_gate, course_write_access, module_for_write, module_of_course
from quizzes import authoring_serializers as authoring
from quizzes import selectors, services


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
