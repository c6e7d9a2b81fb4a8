"""Shapes of course versions: the impact of a publish, the version list, a diff between two versions."""

from rest_framework import serializers


class ProgressChangeSerializer(serializers.Serializer):
    """``learners`` enrolled learners would move from ``from`` % to ``to`` %."""

    to = serializers.IntegerField(min_value=0, max_value=100)
    learners = serializers.IntegerField(min_value=1)

    def get_fields(self):  # ``from`` is a Python keyword: it cannot be declared as an attribute
        fields = super().get_fields()
        return {"from": serializers.IntegerField(min_value=0, max_value=100), **fields}


class VersionItemChangeSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["module", "lesson", "quiz"])
    id = serializers.IntegerField()
    slug = serializers.CharField()
    title = serializers.CharField()
    change = serializers.ChoiceField(choices=["added", "changed", "removed"])
    learners = serializers.IntegerField(
        allow_null=True,
        help_text="Enrolled learners the change touches: all of them for an item added; those who completed "
        "(lesson) or attempted (quiz) it for one changed or removed; null for a module.",
    )


class PublishImpactFieldsSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        help_text="The published version after this publish (with dry_run: the number it would have)."
    )
    has_changes = serializers.BooleanField(help_text="False: the draft equals the published version.")
    items_added = serializers.IntegerField(help_text="Lessons and quizzes added.")
    items_changed = serializers.IntegerField()
    items_removed = serializers.IntegerField()
    learners_enrolled = serializers.IntegerField(help_text="Enrolled learners (not dropped).")
    learners_affected = serializers.IntegerField(
        help_text="Enrolled learners whose progress moves or who completed or attempted an item changed or removed."
    )
    progress_changes = ProgressChangeSerializer(many=True)
    completed_learners = serializers.IntegerField(
        help_text="Learners who completed the course: they stay completed, with their certificates."
    )
    changes = VersionItemChangeSerializer(many=True)


class VersionOutputSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    published_at = serializers.DateTimeField()
    published_by = serializers.CharField(
        source="published_by.username", allow_null=True, default=None, help_text="Who published it (null: unknown)."
    )
    items_added = serializers.IntegerField(help_text="Lessons and quizzes added.")
    items_changed = serializers.IntegerField()
    items_removed = serializers.IntegerField()
    note = serializers.CharField(allow_blank=True)
    is_published = serializers.SerializerMethodField(help_text="The version learners read now.")

    def get_is_published(self, version) -> bool:
        return version.number == version.course.published_version


class DiffItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField(allow_blank=True)
    title = serializers.CharField(allow_blank=True)


class DiffChangedItemSerializer(DiffItemSerializer):
    moved = serializers.BooleanField(help_text="Its module or position changed.")
    diff = serializers.CharField(
        allow_blank=True, help_text="A unified diff of its Markdown (a lesson) or of its questions and keys (a quiz)."
    )


class DiffSectionSerializer(serializers.Serializer):
    added = DiffItemSerializer(many=True)
    changed = DiffChangedItemSerializer(many=True)
    removed = DiffItemSerializer(many=True)


class VersionDiffOutputSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    against = serializers.IntegerField(help_text="The version compared with (0: nothing, before the first).")
    modules = DiffSectionSerializer()
    lessons = DiffSectionSerializer()
    quizzes = DiffSectionSerializer()


class VersionDiffQuerySerializer(serializers.Serializer):
    against = serializers.IntegerField(
        min_value=0, required=False, help_text="The version to compare with; by default the one before."
    )


class VersionRestoreOutputSerializer(PublishImpactFieldsSerializer):
    """The draft now holds version ``restored``'s content; the rest is what publishing it would do."""

    restored = serializers.IntegerField()
