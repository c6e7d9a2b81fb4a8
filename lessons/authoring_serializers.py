"""Input and output shapes of the lesson authoring endpoints. Input serializers list the writable
fields only: anything else in a body (``id``, ``course``, ``module``, ``body_html``...) is ignored."""

from rest_framework import serializers

from courseware.structure.positions import POSITION_MAX
from lessons.models import Lesson
from lessons.services import MINUTES_MAX

_BODY_MAX = 200_000


class LessonCreateInputSerializer(serializers.Serializer):
    slug = serializers.CharField(
        max_length=100, help_text="Lowercase letters, digits and hyphens; unique in the course."
    )
    title = serializers.CharField(max_length=200)
    body_markdown = serializers.CharField(allow_blank=True, max_length=_BODY_MAX, trim_whitespace=False)
    position = serializers.IntegerField(
        min_value=1, max_value=POSITION_MAX, required=False, allow_null=True, help_text="Default: after the last."
    )
    estimated_minutes = serializers.IntegerField(
        min_value=1, max_value=MINUTES_MAX, required=False, allow_null=True, help_text="Default: from the word count."
    )


class LessonUpdateInputSerializer(serializers.Serializer):
    slug = serializers.CharField(max_length=100, required=False)
    title = serializers.CharField(max_length=200, required=False)
    body_markdown = serializers.CharField(allow_blank=True, max_length=_BODY_MAX, trim_whitespace=False, required=False)
    estimated_minutes = serializers.IntegerField(
        min_value=1,
        max_value=MINUTES_MAX,
        required=False,
        allow_null=True,
        help_text="null: estimate it again from the body's word count.",
    )


class LessonMoveInputSerializer(serializers.Serializer):
    module = serializers.IntegerField(
        min_value=1, required=False, allow_null=True, help_text="Id of a module of the same course; default: its own."
    )
    position = serializers.IntegerField(min_value=1, max_value=POSITION_MAX)


class LessonAuthorOutputSerializer(serializers.ModelSerializer):
    course = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Lesson
        fields = [
            "id", "course", "module", "slug", "title", "position", "estimated_minutes", "body_markdown",
            "body_html", "created_at", "updated_at",
        ]  # fmt: skip
