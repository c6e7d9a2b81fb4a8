"""Quizzes, questions and choices in the admin, scoped to the instructor's courses.

Quiz page: its questions inline (text, kind, position), each linking to the question's own page,
where its choices are edited and checked: a single-choice question needs exactly one correct
choice, a multiple-choice question at least one."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils.html import format_html

from courseware.admin.scoping import (
    CourseContentForm,
    InstructorScopedAdmin,
    UniqueSlugInlineFormSet,
    course_content_register,
)
from quizzes.models import Choice, Question, Quiz

course_content_register(Quiz, course_path="course", structural=True)
course_content_register(Question, course_path="quiz__course", joins=("quiz",))
course_content_register(Choice)


class QuizForm(CourseContentForm):
    """``course`` follows the module."""

    class Meta:
        model = Quiz
        fields = (
            "module", "position", "title", "slug", "description", "pass_percent", "max_attempts", "scoring",
            "reveal_answers", "time_limit_minutes", "shuffle",
        )  # fmt: skip


class QuizInline(admin.TabularInline):
    model = Quiz
    form = QuizForm
    formset = UniqueSlugInlineFormSet
    fields = ("position", "title", "slug", "pass_percent", "max_attempts")
    ordering = ("position",)
    extra = 0
    show_change_link = True


class QuestionInline(admin.TabularInline):
    model = Question
    fields = ("position", "text", "kind", "choices_link")
    readonly_fields = ("choices_link",)
    ordering = ("position",)
    extra = 0
    show_change_link = True
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 50})}}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(choice_total=Count("choices"))

    @admin.display(description="Choices")
    def choices_link(self, obj: Question) -> str:
        if not obj.pk:
            return "Save, then edit the choices."
        url = reverse("admin:quizzes_question_change", args=[obj.pk])
        total = getattr(obj, "choice_total", None)
        label = f"Edit choices ({total})" if total is not None else "Edit choices"
        return format_html('<a href="{}">{}</a>', url, label)


@admin.register(Quiz)
class QuizAdmin(InstructorScopedAdmin):
    form = QuizForm
    content_model = True
    inlines = (QuestionInline,)
    list_display = ("title", "course", "module", "position", "question_count", "pass_percent", "max_attempts")
    list_filter = (("course", admin.RelatedOnlyFieldListFilter), "scoring")
    list_select_related = ("course", "module__course")
    search_fields = ("title", "slug")
    ordering = ("course__title", "module__position", "position")
    prepopulated_fields = {"slug": ("title",)}
    fieldsets = (
        (None, {"fields": ("module", "course", "position", "title", "slug", "description")}),
        (
            "Rules",
            {
                "fields": (
                    "pass_percent", "max_attempts", "scoring", "reveal_answers", "time_limit_minutes", "shuffle",
                )
            },
        ),
    )  # fmt: skip
    readonly_fields = ("course",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(question_total=Count("questions"))

    @admin.display(description="Questions", ordering="question_total")
    def question_count(self, obj: Quiz) -> int:
        return obj.question_total


class ChoiceInlineFormSet(BaseInlineFormSet):
    """The choices of one question, checked against its kind (as posted on the same page)."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        kept = [form for form in self.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")]
        correct = sum(1 for form in kept if form.cleaned_data.get("is_correct"))
        if self.instance.kind == Question.Kind.SINGLE and correct != 1:
            raise ValidationError(
                f"A single-choice question needs exactly one correct choice; {correct} are marked correct.",
                code="single_choice_correct",
            )
        if self.instance.kind == Question.Kind.MULTIPLE and correct < 1:
            raise ValidationError(
                "A multiple-choice question needs at least one correct choice.", code="multiple_choice_correct"
            )


class ChoiceInline(admin.TabularInline):
    model = Choice
    formset = ChoiceInlineFormSet
    fields = ("position", "text", "is_correct", "explanation")
    ordering = ("position",)
    extra = 0
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 40})}}


@admin.register(Question)
class QuestionAdmin(InstructorScopedAdmin):
    course_path = "quiz__course"
    content_model = True
    inlines = (ChoiceInline,)
    list_display = ("short_text", "quiz", "kind", "position", "choice_count")
    list_filter = (("quiz__course", admin.RelatedOnlyFieldListFilter), ("quiz", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("quiz",)
    search_fields = ("text", "quiz__title")
    ordering = ("quiz__course__title", "quiz__module__position", "quiz__position", "position")
    fields = ("quiz", "quiz_link", "position", "kind", "text")
    readonly_fields = ("quiz_link",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(choice_total=Count("choices"))

    @admin.display(description="Question", ordering="text")
    def short_text(self, obj: Question) -> str:
        return str(obj)

    @admin.display(description="Choices", ordering="choice_total")
    def choice_count(self, obj: Question) -> int:
        return obj.choice_total

    @admin.display(description="Back to")
    def quiz_link(self, obj: Question) -> str:
        if not obj.pk:
            return "—"
        url = reverse("admin:quizzes_quiz_change", args=[obj.quiz_id])
        return format_html('<a href="{}">{}</a>', url, obj.quiz)
