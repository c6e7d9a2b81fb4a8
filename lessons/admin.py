"""Lessons in the admin: scoped to the instructor's courses, Markdown rendered once on save."""

from django.contrib import admin
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from courseware.admin.scoping import (
    CourseContentForm,
    InstructorScopedAdmin,
    UniqueSlugInlineFormSet,
    course_content_register,
)
from lessons.markdown import render_markdown, sanitize_html
from lessons.models import Lesson

course_content_register(Lesson, course_path="course", structural=True)


class LessonForm(CourseContentForm):
    """``course`` follows the module; ``body_html`` is rendered (and sanitized) from the Markdown.

    The rendering belongs in a lessons service (e.g. ``lesson_body_set``) shared with the API; until
    there is one, this form is the admin's single place for it."""

    class Meta:
        model = Lesson
        fields = ("module", "position", "title", "slug", "estimated_minutes", "body_markdown")

    def prepare(self, obj: Lesson) -> None:
        obj.body_html = render_markdown(obj.body_markdown)


class LessonInline(admin.TabularInline):
    model = Lesson
    form = LessonForm
    formset = UniqueSlugInlineFormSet
    fields = ("position", "title", "slug", "estimated_minutes")
    ordering = ("position",)
    extra = 0
    show_change_link = True


@admin.register(Lesson)
class LessonAdmin(InstructorScopedAdmin):
    form = LessonForm
    content_model = True
    list_display = ("title", "course", "module", "position", "estimated_minutes", "updated_at")
    list_filter = (("course", admin.RelatedOnlyFieldListFilter),)
    list_select_related = ("course", "module__course")
    search_fields = ("title", "slug")
    ordering = ("course__title", "module__position", "position")
    prepopulated_fields = {"slug": ("title",)}
    fields = ("module", "course", "position", "title", "slug", "estimated_minutes", "body_markdown", "preview")
    readonly_fields = ("course", "preview")

    @admin.display(description="Preview")
    def preview(self, obj: Lesson) -> str:
        if obj is None or not obj.pk:
            return "Saved lessons show their rendered body here."
        # body_html is sanitized (nh3) whenever it is saved; sanitizing again costs little and keeps
        # a row written by any other path from running script on this page.
        body = mark_safe(sanitize_html(obj.body_html))  # noqa: S308 - sanitized just above
        return format_html('<div class="lesson-preview">{}</div>', body)
