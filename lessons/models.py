from django.conf import settings
from django.db import models
from django.db.models import Q

from courseware.models import Retirable, TimeStamped


class Lesson(Retirable, TimeStamped):
    module = models.ForeignKey("courseware.Module", on_delete=models.CASCADE, related_name="lessons")
    # Denormalised from module.course (kept in sync by the services) so per-course reads and
    # counts need no join, and slugs can be unique per course.
    course = models.ForeignKey("courseware.Course", on_delete=models.CASCADE, related_name="lessons")
    slug = models.SlugField(max_length=100)
    title = models.CharField(max_length=200)
    body_markdown = models.TextField(blank=True)
    # Rendered and sanitized once, when the Markdown is saved; reads serve it as stored.
    body_html = models.TextField(blank=True, editable=False)
    estimated_minutes = models.PositiveIntegerField(default=5)
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["module__position", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["module", "position"], condition=Q(removed_at__isnull=True), name="lesson_position_unique"
            ),
            models.UniqueConstraint(
                fields=["course", "slug"], condition=Q(removed_at__isnull=True), name="lesson_slug_unique"
            ),
            models.CheckConstraint(condition=Q(position__gte=1), name="lesson_position_positive"),
            models.CheckConstraint(
                condition=Q(estimated_minutes__gte=1) & Q(estimated_minutes__lte=600), name="lesson_minutes_range"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class LessonCompletion(models.Model):
    """One row per learner and lesson: the source of truth for lesson progress."""

    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_completions")
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="completions")
    course = models.ForeignKey("courseware.Course", on_delete=models.CASCADE, related_name="+")
    completed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["learner", "lesson"], name="lesson_completion_unique")]
        indexes = [
            # Progress of one learner in one course: an index-only range scan.
            models.Index(fields=["learner", "course", "lesson"], name="completion_learner_course_idx"),
            models.Index(fields=["lesson"], name="completion_lesson_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.learner} completed {self.lesson}"
