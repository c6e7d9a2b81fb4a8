"""Input and output shapes of module and instructor authoring."""

from rest_framework import serializers

from courseware.models import Module
from courseware.structure.positions import POSITION_MAX

# --- Modules ------------------------------------------------------------------------------------------
_position = {"min_value": 1, "max_value": POSITION_MAX}


class ModuleCreateInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    position = serializers.IntegerField(
        **_position, required=False, allow_null=True, help_text="Default: after the last module."
    )
    slug = serializers.CharField(max_length=100, required=False, help_text="Default: made from the title.")
    summary = serializers.CharField(required=False, allow_blank=True, max_length=10_000)


class ModuleUpdateInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    slug = serializers.CharField(max_length=100, required=False)
    summary = serializers.CharField(required=False, allow_blank=True, max_length=10_000)


class MoveInputSerializer(serializers.Serializer):
    position = serializers.IntegerField(**_position, help_text="The new position; the others shift to make room.")


class ModuleOutputSerializer(serializers.ModelSerializer):
    course = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Module
        fields = ["id", "course", "slug", "title", "summary", "position", "created_at", "updated_at"]


# --- Instructors --------------------------------------------------------------------------------------
class CourseInstructorOutputSerializer(serializers.Serializer):
    username = serializers.CharField()
    display_name = serializers.CharField()
    email = serializers.EmailField()
