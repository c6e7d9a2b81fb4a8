from rest_framework import serializers

from quizzes.models import Question, QuizAttempt


class ChoiceOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    is_correct = serializers.BooleanField(required=False, help_text="Only for the course's instructors and admins.")
    explanation = serializers.CharField(required=False, help_text="Only for the course's instructors and admins.")


class QuestionOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    kind = serializers.ChoiceField(choices=Question.Kind.choices)
    position = serializers.IntegerField()
    choices = ChoiceOutputSerializer(many=True)


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
    attempts_used = serializers.IntegerField()
    attempts_left = serializers.IntegerField(
        help_text="Attempts the caller may still take (allowed after passing too: the best score counts)."
    )
    passed = serializers.BooleanField(help_text="The caller passed this quiz in some attempt.")
    best_score = serializers.FloatField(allow_null=True)
    open_attempt = serializers.IntegerField(allow_null=True, help_text="Id of the started, unsubmitted attempt.")
    questions = QuestionOutputSerializer(many=True)


class AnswerInputSerializer(serializers.Serializer):
    question = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    choices = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), max_length=100)


class AttemptInputSerializer(serializers.Serializer):
    answers = AnswerInputSerializer(many=True, min_length=1, max_length=1000)  # answering nothing is a 400


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
    correct = serializers.BooleanField()
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
    feedback = QuestionFeedbackSerializer(many=True, allow_null=True)


class AttemptStartOutputSerializer(AttemptOutputSerializer):
    questions = QuestionOutputSerializer(many=True, help_text="In this attempt's order (shuffled quizzes).")
