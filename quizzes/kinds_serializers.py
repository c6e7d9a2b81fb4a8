"""Per-kind shapes of a question and of an answer, for the schema's ``oneOf`` (discriminated by
``kind`` where the shape carries it) and for reading request bodies: a learner's view of a question,
the author's input, and an attempt's answer (API.md, "Question kinds and answers")."""

from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from quizzes.models import Question

KINDS = Question.Kind.values
ID_MAX = 2**63 - 1
LIST_MAX = 100


class _Id(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()


# --- What a learner (or, with the key fields, an author) sees --------------------------------------------
class _QuestionBase(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    kind = serializers.ChoiceField(choices=Question.Kind.choices)
    position = serializers.IntegerField()
    points = serializers.IntegerField(help_text="What a fully right answer is worth.")


class ChoiceOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    is_correct = serializers.BooleanField(required=False, help_text="Only for the course's instructors and admins.")
    explanation = serializers.CharField(required=False, help_text="Only for the course's instructors and admins.")


class ChoiceQuestionSerializer(_QuestionBase):
    kind = serializers.ChoiceField(choices=["single", "multiple"])
    choices = ChoiceOutputSerializer(many=True, help_text="In this attempt's order when the quiz shuffles.")


class NumericQuestionSerializer(_QuestionBase):
    kind = serializers.ChoiceField(choices=["numeric"])
    answer = serializers.FloatField(required=False, help_text="Only for the course's instructors and admins.")
    tolerance = serializers.FloatField(required=False, help_text="Only for the course's instructors and admins.")


class TextQuestionSerializer(_QuestionBase):
    kind = serializers.ChoiceField(choices=["text"])
    accepted = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="Only for the course's instructors and admins."
    )


class OrderingQuestionSerializer(_QuestionBase):
    kind = serializers.ChoiceField(choices=["ordering"])
    items = _Id(many=True, help_text="Shuffled for learners (per attempt); in the right order for authors.")


class _PromptSerializer(_Id):
    option = serializers.IntegerField(required=False, help_text="The right option: authors only.")


class _PairTextSerializer(serializers.Serializer):
    prompt = serializers.CharField()
    option = serializers.CharField()


class MatchingQuestionSerializer(_QuestionBase):
    kind = serializers.ChoiceField(choices=["matching"])
    prompts = _PromptSerializer(many=True)
    options = _Id(many=True, help_text="Shuffled per attempt for learners; distractors included.")
    pairs = _PairTextSerializer(many=True, required=False, help_text="Authors only.")
    distractors = serializers.ListField(child=serializers.CharField(), required=False, help_text="Authors only.")


QUESTION_OUTPUT = {
    "single": ChoiceQuestionSerializer,
    "multiple": ChoiceQuestionSerializer,
    "numeric": NumericQuestionSerializer,
    "text": TextQuestionSerializer,
    "ordering": OrderingQuestionSerializer,
    "matching": MatchingQuestionSerializer,
}


@extend_schema_field(
    PolymorphicProxySerializer(
        component_name="QuizQuestion",
        serializers=dict(QUESTION_OUTPUT.items()),
        resource_type_field_name="kind",
    )
)
class QuestionOutputField(serializers.Field):
    def to_representation(self, value):
        return value


# --- What an author writes ---------------------------------------------------------------------------
class _QuestionInputBase(serializers.Serializer):
    id = serializers.IntegerField(
        min_value=1, max_value=ID_MAX, required=False, help_text="Update this question in place (PATCH)."
    )
    text = serializers.CharField(max_length=10_000)
    kind = serializers.ChoiceField(choices=Question.Kind.choices, default=Question.Kind.SINGLE)
    points = serializers.IntegerField(min_value=1, max_value=1000, default=1)


class ChoiceInputSerializer(serializers.Serializer):
    id = serializers.IntegerField(
        min_value=1, max_value=ID_MAX, required=False, help_text="Update this choice in place (PATCH)."
    )
    text = serializers.CharField(max_length=500)
    is_correct = serializers.BooleanField(default=False)
    explanation = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=10_000, help_text="Feedback shown after submitting."
    )


class ChoiceQuestionInputSerializer(_QuestionInputBase):
    kind = serializers.ChoiceField(choices=["single", "multiple"], default="single")
    choices = ChoiceInputSerializer(many=True, max_length=LIST_MAX)


class NumericQuestionInputSerializer(_QuestionInputBase):
    kind = serializers.ChoiceField(choices=["numeric"])
    answer = serializers.DecimalField(max_digits=23, decimal_places=8, coerce_to_string=False)
    tolerance = serializers.DecimalField(
        max_digits=23, decimal_places=8, min_value=0, default=0, coerce_to_string=False, help_text="Absolute, ≥ 0."
    )


class TextQuestionInputSerializer(_QuestionInputBase):
    kind = serializers.ChoiceField(choices=["text"])
    accepted = serializers.ListField(
        child=serializers.CharField(max_length=500),
        min_length=1,
        max_length=50,
        help_text="Compared after Unicode NFKC, case fold, trimmed and collapsed whitespace.",
    )


class ItemInputSerializer(serializers.Serializer):
    id = serializers.IntegerField(min_value=1, max_value=ID_MAX, required=False)
    text = serializers.CharField(max_length=500)


class OrderingQuestionInputSerializer(_QuestionInputBase):
    kind = serializers.ChoiceField(choices=["ordering"])
    items = ItemInputSerializer(many=True, min_length=2, max_length=LIST_MAX, help_text="In the right order.")


class PairInputSerializer(serializers.Serializer):
    prompt = serializers.CharField(max_length=500)
    option = serializers.CharField(max_length=500)


class MatchingQuestionInputSerializer(_QuestionInputBase):
    kind = serializers.ChoiceField(choices=["matching"])
    pairs = PairInputSerializer(many=True, min_length=2, max_length=LIST_MAX)
    distractors = serializers.ListField(
        child=serializers.CharField(max_length=500),
        max_length=LIST_MAX,
        default=list,
        help_text="Options that match no prompt.",
    )


QUESTION_INPUT = {
    "single": ChoiceQuestionInputSerializer,
    "multiple": ChoiceQuestionInputSerializer,
    "numeric": NumericQuestionInputSerializer,
    "text": TextQuestionInputSerializer,
    "ordering": OrderingQuestionInputSerializer,
    "matching": MatchingQuestionInputSerializer,
}


@extend_schema_field(
    PolymorphicProxySerializer(
        component_name="QuestionInput",
        serializers=dict(QUESTION_INPUT.items()),
        resource_type_field_name="kind",
    )
)
class QuestionInputField(serializers.Field):
    """One question of the author's ``questions``: read by the serializer of its ``kind``."""

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError("Must be an object.")
        kind = data.get("kind", Question.Kind.SINGLE)
        if kind not in QUESTION_INPUT:
            raise serializers.ValidationError({"kind": [f"Must be one of {', '.join(KINDS)}."]})
        serializer = QUESTION_INPUT[kind](data=data)
        if not serializer.is_valid():
            raise serializers.ValidationError(serializer.errors)
        return dict(serializer.validated_data)

    def to_representation(self, value):
        return value


# --- What a learner answers ---------------------------------------------------------------------------
class _AnswerBase(serializers.Serializer):
    question = serializers.IntegerField(min_value=1, max_value=ID_MAX)


class ChoicesAnswerSerializer(_AnswerBase):
    choices = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=ID_MAX), max_length=LIST_MAX)


class _ValueField(serializers.Field):
    """Text, or a number sent as a JSON number (kept as its text)."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, str | int | float):
            raise serializers.ValidationError("Must be text (or a number).")
        value = data if isinstance(data, str) else repr(data)
        if len(value) > 1000:
            raise serializers.ValidationError("At most 1000 characters.")
        return value

    def to_representation(self, value):
        return value


@extend_schema_field({"type": "string", "example": "3.5"})
class ValueField(_ValueField):
    pass


class ValueAnswerSerializer(_AnswerBase):
    value = ValueField(help_text='numeric: "3.5", "3,5" or "1e3"; text: the answer.')


class OrderAnswerSerializer(_AnswerBase):
    order = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=ID_MAX), max_length=LIST_MAX)


class PairAnswerSerializer(serializers.Serializer):
    prompt = serializers.IntegerField(min_value=1, max_value=ID_MAX)
    option = serializers.IntegerField(min_value=1, max_value=ID_MAX)


class PairsAnswerSerializer(_AnswerBase):
    pairs = PairAnswerSerializer(many=True, max_length=LIST_MAX)


ANSWER_SHAPES = (
    ("choices", ChoicesAnswerSerializer),
    ("value", ValueAnswerSerializer),
    ("order", OrderAnswerSerializer),
    ("pairs", PairsAnswerSerializer),
)


@extend_schema_field(
    PolymorphicProxySerializer(
        component_name="AttemptAnswerInput",
        serializers=[cls for _, cls in ANSWER_SHAPES],
        resource_type_field_name=None,
    )
)
class AnswerInputField(serializers.Field):
    """One answer: ``choices`` (single, multiple), ``value`` (numeric, text), ``order`` (ordering) or
    ``pairs`` (matching), besides ``question``."""

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError("Must be an object.")
        present = [name for name, _ in ANSWER_SHAPES if name in data] or ["choices"]  # v1: choices required
        if len(present) > 1:
            raise serializers.ValidationError(
                {"non_field_errors": ["Give exactly one of choices, value, order or pairs."]}
            )
        serializer = dict(ANSWER_SHAPES)[present[0]](data=data)
        if not serializer.is_valid():
            raise serializers.ValidationError(serializer.errors)
        answer = dict(serializer.validated_data)
        if "pairs" in answer:
            answer["pairs"] = [dict(p) for p in answer["pairs"]]
        return answer

    def to_representation(self, value):
        return value


# --- What an attempt's results say -------------------------------------------------------------------
class QuestionResultSerializer(serializers.Serializer):
    question = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Question.Kind.choices)
    points_awarded = serializers.FloatField()
    points_possible = serializers.IntegerField()
    correct = serializers.BooleanField(help_text="Full credit.")
    answer = serializers.JSONField(allow_null=True, help_text="The learner's answer (choices / value / order / pairs).")
    key = serializers.JSONField(
        allow_null=True,
        help_text="Only once answers are revealed: {choices: [ids]} for choice kinds, else the author's shape "
        "(answer + tolerance, accepted, items in order, pairs + prompts with their option id).",
    )
