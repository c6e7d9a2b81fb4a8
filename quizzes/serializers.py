from rest_framework import serializers

from quizzes.kinds_serializers import AnswerInputField, QuestionOutputField, QuestionResultSerializer
from quizzes.models import QuizAttempt


class QuizOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    course = serializers.CharField(help_text="The course's slug.")
    module = serializers.IntegerField()
    pass_percent = serializers.IntegerField()
    max_attempts = serializers.IntegerField()
    scoring = serializers.CharField()
    time_limit_minutes = serializers.IntegerField(allow_null=True)
    shuffle = serializers.BooleanField()
    draw = serializers.IntegerField(allow_null=True, help_text="Questions drawn per attempt (null: all).")
    attempts_used = serializers.IntegerField()
    attempts_left = serializers.IntegerField(
        help_text="Attempts the caller may still take (allowed after passing too: the best score counts)."
    )
    passed = serializers.BooleanField(help_text="The caller passed this quiz in some attempt.")
    best_score = serializers.FloatField(allow_null=True)
    open_attempt = serializers.IntegerField(allow_null=True, help_text="Id of the started, unsubmitted attempt.")
    questions = serializers.ListField(
        child=QuestionOutputField(), help_text="One shape per kind; the key only for instructors and admins."
    )


class AttemptInputSerializer(serializers.Serializer):
    answers = serializers.ListField(child=AnswerInputField(), min_length=1, max_length=1000)  # nothing: 400


class ChoiceFeedbackSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    selected = serializers.BooleanField()
    explanation = serializers.CharField(
        allow_null=True, help_text="For the choices the learner picked; for all once answers are revealed."
    )
    is_correct = serializers.BooleanField(allow_null=True, help_text="Only once answers are revealed.")


class QuestionFeedbackSerializer(serializers.Serializer):
    question = serializers.IntegerField()
    text = serializers.CharField()
    correct = serializers.BooleanField(allow_null=True, help_text="Choice kinds; null for the others (see results).")
    selected = serializers.ListField(child=serializers.IntegerField())
    choices = ChoiceFeedbackSerializer(many=True)


class AttemptOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    quiz = serializers.IntegerField()
    number = serializers.IntegerField()
    status = serializers.ChoiceField(choices=QuizAttempt.Status.choices)
    started_at = serializers.DateTimeField()
    deadline = serializers.DateTimeField(allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    score = serializers.FloatField(allow_null=True, help_text="0–100")
    passed = serializers.BooleanField()
    answers_revealed = serializers.BooleanField()
    feedback = QuestionFeedbackSerializer(many=True, allow_null=True, help_text="Per question, choice by choice.")
    results = QuestionResultSerializer(
        many=True, allow_null=True, help_text="Per question: points; the key once answers are revealed."
    )


class AttemptStartOutputSerializer(AttemptOutputSerializer):
    questions = serializers.ListField(
        child=QuestionOutputField(), help_text="This attempt's questions (drawn), in its order (shuffled quizzes)."
    )
