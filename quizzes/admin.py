"""Quizzes, questions and choices in the admin, scoped to the instructor's courses.

Quiz page: its questions inline (text, kind, points, position), each linking to the question's own
page, where its key is edited for every kind (choices, a numeric answer and tolerance, accepted texts,
ordering items, matching prompts and options, all as rows with a role) and checked, with a preview of
the question as a learner sees it. Overrides and regrades are listed read-only (they are granted and
run through the API, which audits them)."""

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
from quizzes.models import Choice, Question, Quiz, QuizOverride, Regrade
from quizzes.selectors import question_for_learner

course_content_register(Quiz, course_path="course", structural=True)
course_content_register(Question, course_path="quiz__course", joins=("quiz",))
course_content_register(Choice)


class QuizForm(CourseContentForm):
    """``course`` follows the module."""

    class Meta:
        model = Quiz
        fields = (
            "module", "position", "title", "slug", "description", "pass_percent", "max_attempts", "scoring",
            "reveal_answers", "time_limit_minutes", "shuffle", "draw",
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
    fields = ("position", "text", "kind", "points", "choices_link")
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
                    "draw", "key_version",
                )
            },
        ),
    )  # fmt: skip
    readonly_fields = ("course", "key_version")

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
        kind = self.instance.kind
        roles = [form.cleaned_data.get("role") or Choice.Role.CHOICE for form in kept]
        expected = {
            Question.Kind.ORDERING: {Choice.Role.ITEM},
            Question.Kind.MATCHING: {Choice.Role.PROMPT, Choice.Role.OPTION},
        }.get(kind, {Choice.Role.CHOICE} if kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE) else set())
        if set(roles) - expected:
            raise ValidationError(
                f"A {kind} question takes rows of role {', '.join(sorted(expected)) or 'none'}.", code="row_role"
            )
        if kind == Question.Kind.ORDERING and len(kept) < 2:
            raise ValidationError("An ordering question needs at least 2 items.", code="ordering_items")
        if kind == Question.Kind.MATCHING:
            prompts = [f for f in kept if f.cleaned_data.get("role") == Choice.Role.PROMPT]
            if len(prompts) < 2 or any(
                not f.cleaned_data.get("match") or f.cleaned_data["match"].role != Choice.Role.OPTION for f in prompts
            ):
                raise ValidationError(
                    "A matching question needs at least 2 prompts, each matched to an option of it.",
                    code="matching_pairs",
                )
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
    fields = ("role", "position", "text", "is_correct", "match", "explanation")
    ordering = ("role", "position")
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
    fields = ("quiz", "quiz_link", "position", "kind", "points", "text", "answer", "tolerance", "accepted", "preview")
    readonly_fields = ("quiz_link", "preview")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        Quiz.objects.filter(pk=obj.quiz_id).update(key_version=models.F("key_version") + 1)  # grades are stale

    @admin.display(description="As a learner sees it")
    def preview(self, obj: Question) -> str:
        if not obj.pk:
            return "—"
        shown = question_for_learner(quiz=obj.quiz, question=obj, seed=0)
        rows = shown.get("choices") or shown.get("items") or []
        parts = [format_html("<p><strong>{}</strong> ({} point(s), {})</p>", obj.text, obj.points, obj.kind)]
        if obj.kind in (Question.Kind.NUMERIC, Question.Kind.TEXT):
            parts.append(format_html("<p>[ a {} answer box ]</p>", "number" if obj.kind == "numeric" else "text"))
        if rows:
            parts.append(
                format_html(
                    "<ol>{}</ol>", format_html("".join("<li>{}</li>" for _ in rows), *[r["text"] for r in rows])
                )
            )
        if obj.kind == Question.Kind.MATCHING:
            options = " · ".join(o["text"] for o in shown["options"])
            for prompt in shown["prompts"]:
                parts.append(format_html("<p>{} → [ {} ]</p>", prompt["text"], options))
        return format_html("".join(["{}"] * len(parts)), *parts)

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


@admin.register(QuizOverride)
class QuizOverrideAdmin(InstructorScopedAdmin):
    """Accommodations, read-only: granted (and audited) through ``POST /api/quizzes/{id}/overrides/``."""

    course_path = "course"
    list_display = ("learner", "quiz", "extra_attempts", "extra_minutes", "updated_at")
    list_select_related = ("learner", "quiz")
    search_fields = ("learner__username", "quiz__title")
    readonly_fields = ("quiz", "learner", "course", "extra_attempts", "extra_minutes", "grant_history")
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Grants")
    def grant_history(self, obj: QuizOverride) -> str:
        rows = [
            format_html(
                "<li>{} by {}: +{} attempts, +{} min{} {}</li>",
                g.granted_at.strftime("%Y-%m-%d %H:%M"),
                g.granted_by or "—",
                g.extra_attempts,
                g.extra_minutes,
                " (reopen)" if g.reopened else "",
                g.note,
            )
            for g in obj.grants.all()
        ]
        return format_html("<ul>{}</ul>", format_html("".join(["{}"] * len(rows)), *rows)) if rows else "—"


@admin.register(Regrade)
class RegradeAdmin(InstructorScopedAdmin):
    """The regrade audit, read-only (asked for through ``POST /api/quizzes/{id}/regrade/``)."""

    course_path = "quiz__course"
    list_display = ("quiz", "requested_by", "status", "created_at", "finished_at", "attempts", "attempts_changed")
    list_select_related = ("quiz", "requested_by")
    readonly_fields = (
        "quiz", "requested_by", "status", "key_version", "created_at", "started_at", "finished_at", "attempts",
        "attempts_changed", "newly_passed", "newly_failed",
    )  # fmt: skip
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
