"""Input and output shapes of the quiz authoring endpoints. A quiz is written with its questions and
choices in one request; every error is keyed by the path of what is wrong (``questions[2].choices``,
``questions[0].choices[1].text``; indexes from 0). Input serializers list the writable fields only:
anything else in a body is ignored."""

from rest_framework import serializers

from courseware.structure.positions import POSITION_MAX
from quizzes.kinds_serializers import QuestionInputField, QuestionOutputField
from quizzes.models import Quiz
from quizzes.services import SMALLINT_MAX


def _flatten(detail, path: str = "") -> dict[str, list]:
    """DRF's nested error structure → ``{"questions[1].choices[0].text": [...]}``."""
    out: dict[str, list] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            if key == "non_field_errors" and path:
                sub = path
            elif isinstance(key, int):
                sub = f"{path}[{key}]"
            else:
                sub = f"{path}.{key}" if path else str(key)
            out.update(_flatten(value, sub))
    elif isinstance(detail, list) and detail and all(isinstance(item, str) for item in detail):
        out[path or "non_field_errors"] = list(detail)
    elif isinstance(detail, list):
        for index, item in enumerate(detail):
            if item:
                out.update(_flatten(item, f"{path}[{index}]"))
    else:
        out[path or "non_field_errors"] = [detail]
    return out


class PathErrorsMixin:
    """Report nested errors flat, keyed by path, like the quiz services do."""

    def is_valid(self, *, raise_exception: bool = False) -> bool:
        valid = super().is_valid(raise_exception=False)
        if not valid:
            self._errors = _flatten(self._errors)
            if raise_exception:
                raise serializers.ValidationError(self._errors)
        return valid


class _QuizOptionsSerializer(serializers.Serializer):
    description = serializers.CharField(required=False, allow_blank=True, max_length=50_000)
    scoring = serializers.ChoiceField(choices=Quiz.Scoring.choices, required=False)
    reveal_answers = serializers.ChoiceField(choices=Quiz.Reveal.choices, required=False)
    time_limit_minutes = serializers.IntegerField(min_value=1, max_value=SMALLINT_MAX, required=False, allow_null=True)
    shuffle = serializers.BooleanField(
        required=False, help_text="Default true for new quizzes: choice, item and option order differ per attempt."
    )
    draw = serializers.IntegerField(
        min_value=1,
        max_value=SMALLINT_MAX,
        required=False,
        allow_null=True,
        help_text="Each attempt gets this many questions drawn from the quiz's (null: all).",
    )


class QuizCreateInputSerializer(PathErrorsMixin, _QuizOptionsSerializer):
    title = serializers.CharField(max_length=200)
    slug = serializers.CharField(max_length=100, required=False, help_text="Default: made from the title.")
    position = serializers.IntegerField(
        min_value=1, max_value=POSITION_MAX, required=False, allow_null=True, help_text="Default: after the last quiz."
    )
    pass_percent = serializers.IntegerField(min_value=0, max_value=100, default=70)
    max_attempts = serializers.IntegerField(min_value=1, max_value=SMALLINT_MAX, default=3)
    questions = serializers.ListField(
        child=QuestionInputField(), max_length=500, help_text="At least one; one shape per kind."
    )


class QuizUpdateInputSerializer(PathErrorsMixin, _QuizOptionsSerializer):
    title = serializers.CharField(max_length=200, required=False)
    slug = serializers.CharField(max_length=100, required=False)
    pass_percent = serializers.IntegerField(min_value=0, max_value=100, required=False)
    max_attempts = serializers.IntegerField(min_value=1, max_value=SMALLINT_MAX, required=False)
    questions = serializers.ListField(
        child=QuestionInputField(),
        max_length=500,
        required=False,
        help_text="Replaces the questions: matched by `id` where given, else by position; updated in place "
        "(attempts keep pointing at them, so a regrade can follow), created, extras deleted.",
    )


class QuizMoveInputSerializer(serializers.Serializer):
    module = serializers.IntegerField(
        min_value=1, required=False, allow_null=True, help_text="Id of a module of the same course; default: its own."
    )
    position = serializers.IntegerField(min_value=1, max_value=POSITION_MAX)


class QuizAuthorOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    course = serializers.CharField(help_text="The course's slug.")
    module = serializers.IntegerField()
    slug = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    position = serializers.IntegerField()
    pass_percent = serializers.IntegerField()
    max_attempts = serializers.IntegerField()
    scoring = serializers.ChoiceField(choices=Quiz.Scoring.choices)
    reveal_answers = serializers.ChoiceField(choices=Quiz.Reveal.choices)
    time_limit_minutes = serializers.IntegerField(allow_null=True)
    shuffle = serializers.BooleanField()
    draw = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    questions = serializers.ListField(child=QuestionOutputField(), help_text="With the right answers: authors only.")


class RegradeInputSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField(default=False, help_text="true: say what would change, change nothing.")


class RegradeAttemptChangeSerializer(serializers.Serializer):
    attempt = serializers.IntegerField()
    learner = serializers.CharField(help_text="The learner's username.")
    old_score = serializers.FloatField(allow_null=True)
    new_score = serializers.FloatField()
    old_passed = serializers.BooleanField()
    new_passed = serializers.BooleanField()


class RegradeDryRunOutputSerializer(serializers.Serializer):
    attempts = serializers.IntegerField(help_text="Submitted attempts graded again.")
    changed = RegradeAttemptChangeSerializer(many=True, help_text="The attempts whose score or pass would change.")
    newly_passed = serializers.ListField(
        child=serializers.CharField(), help_text="Learners (usernames) who would start passing the quiz."
    )
    newly_failed = serializers.ListField(
        child=serializers.CharField(),
        help_text="Learners who would stop passing it (an issued certificate stays; a completed course stays "
        "completed).",
    )


class RegradeQueuedOutputSerializer(serializers.Serializer):
    regrade = serializers.IntegerField(help_text="The run's id (see regrades/); the one already open, if any.")
    status = serializers.CharField()


class RegradeOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    requested_by = serializers.CharField(allow_null=True, help_text="Username of who asked.")
    status = serializers.ChoiceField(choices=["pending", "running", "done"])
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    key_version = serializers.IntegerField()
    attempts = serializers.IntegerField()
    attempts_changed = serializers.IntegerField()
    newly_passed = serializers.IntegerField()
    newly_failed = serializers.IntegerField()
    changes = RegradeAttemptChangeSerializer(many=True)


class OverrideInputSerializer(serializers.Serializer):
    learner = serializers.CharField(max_length=150, help_text="Username, email or id of an enrolled learner.")
    extra_attempts = serializers.IntegerField(
        min_value=0, max_value=1000, required=False, help_text="Attempts beyond max_attempts (replaces the last)."
    )
    extra_minutes = serializers.IntegerField(
        min_value=0, max_value=10_000, required=False, help_text="Minutes added to a timed quiz's limit."
    )
    reopen = serializers.BooleanField(
        default=False, help_text="Give as many extra attempts as leave the learner one, from now."
    )
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, help_text="Why (kept in the audit).")


class OverrideGrantSerializer(serializers.Serializer):
    granted_by = serializers.CharField(allow_null=True)
    granted_at = serializers.DateTimeField()
    extra_attempts = serializers.IntegerField()
    extra_minutes = serializers.IntegerField()
    reopened = serializers.BooleanField()
    note = serializers.CharField(allow_blank=True)


class OverrideOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    learner = serializers.CharField(help_text="The learner's username.")
    extra_attempts = serializers.IntegerField()
    extra_minutes = serializers.IntegerField()
    attempts_allowed = serializers.IntegerField(help_text="max_attempts + extra_attempts.")
    updated_at = serializers.DateTimeField()
    grants = OverrideGrantSerializer(many=True, help_text="The audit, newest first.")
