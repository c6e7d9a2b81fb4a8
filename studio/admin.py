"""Modules in the admin, with their lessons and quizzes inline: the desk where a module's content is
edited together."""

from django import forms
from django.contrib import admin
from django.db.models import Count

from courseware.admin.scoping import InstructorScopedAdmin
from courseware.models import Module
from lessons.admin import LessonInline
from quizzes.admin import QuizInline


class ModuleForm(forms.ModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and "course" in self.fields:
            # A module never changes course (its lessons' and quizzes' ``course`` follow it). Disabled,
            # not read-only: the field stays in the form, so (course, slug) and (course, position)
            # are still validated.
            self.fields["course"].disabled = True


@admin.register(Module)
class ModuleAdmin(InstructorScopedAdmin):
    form = ModuleForm
    content_model = True
    list_display = ("title", "course", "position", "lesson_count", "quiz_count")
    list_filter = (("course", admin.RelatedOnlyFieldListFilter),)
    list_select_related = ("course",)
    search_fields = ("title", "slug", "course__title")
    ordering = ("course__title", "position")
    prepopulated_fields = {"slug": ("title",)}
    fields = ("course", "position", "title", "slug", "summary")

    def get_inlines(self, request, obj):
        # Imported here: lessons.admin and quizzes.admin build on this module's InstructorScopedAdmin.

        return [LessonInline, QuizInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(lesson_total=Count("lessons", distinct=True), quiz_total=Count("quizzes", distinct=True))
        )

    @admin.display(description="Lessons", ordering="lesson_total")
    def lesson_count(self, obj: Module) -> int:
        return obj.lesson_total

    @admin.display(description="Quizzes", ordering="quiz_total")
    def quiz_count(self, obj: Module) -> int:
        return obj.quiz_total
