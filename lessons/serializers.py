from rest_framework import serializers


class LessonLinkSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    title = serializers.CharField()


class LessonModuleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    position = serializers.IntegerField()


class LessonOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    title = serializers.CharField()
    course = serializers.CharField(help_text="The course's slug.")
    module = LessonModuleSerializer()
    position = serializers.IntegerField()
    estimated_minutes = serializers.IntegerField()
    body_html = serializers.CharField(help_text="Sanitized HTML rendered from the lesson's Markdown.")
    completed = serializers.BooleanField()
    completed_at = serializers.DateTimeField(allow_null=True)
    previous = LessonLinkSerializer(allow_null=True)
    next = LessonLinkSerializer(allow_null=True)


class LessonCompleteOutputSerializer(serializers.Serializer):
    lesson = serializers.IntegerField()
    completed = serializers.BooleanField()
    completed_at = serializers.DateTimeField()
    created = serializers.BooleanField(help_text="False when the lesson was already completed (nothing changed).")
