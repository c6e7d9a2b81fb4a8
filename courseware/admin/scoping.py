"""What every course-owned admin shares: rows scoped to the courses the staff member teaches, foreign-key
pickers limited the same way, content edits reported once per request to the structure services,
and the forms lessons and quizzes build on. The apps above register their content models here
(``course_content_register``), so this module names none of them."""

from django import forms
from django.contrib import admin
from django.contrib.admin import ActionLocation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet

from accounts.models import User
from accounts.selectors import user_is_admin
from courseware.models import Course, Enrollment, Module
from courseware.structure.changes import course_draft_changed, course_touch

BOTH_LOCATIONS = [ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM]

# How each course-owned model reaches its course ("" for the course itself), and what to join when
# it is offered as a choice (``Module.__str__`` shows its course's slug).
_COURSE_PATHS: dict[type, tuple[str, tuple[str, ...]]] = {
    Course: ("", ()),
    Module: ("course", ("course",)),
    Enrollment: ("course", ("course", "learner")),
}
# Models whose rows make up a course's structure: adding, removing or moving one makes stored
# progress stale (``course_content_changed``); any other edit of course content only invalidates
# cached outlines (``course_touch``).
_STRUCTURE_MODELS: set[type] = {Module}
_CONTENT_MODELS: set[type] = {Module}
_STRUCTURE_FIELDS = frozenset({"position", "module"})


def course_content_register(
    model: type, *, course_path: str | None = None, joins: tuple[str, ...] = (), structural: bool = False
) -> None:
    """Declare ``model`` course content (from its app's admin module): ``course_path`` leads from a
    row to its course (None: never offered as a choice), ``joins`` are selected with it when it is
    offered as one, ``structural`` rows make up the course's structure (adding, removing or moving
    one makes stored progress stale)."""
    _CONTENT_MODELS.add(model)
    if structural:
        _STRUCTURE_MODELS.add(model)
    if course_path is not None:
        _COURSE_PATHS[model] = (course_path, joins)


def taught_course_ids(user: User) -> QuerySet:
    return Course.objects.filter(instructors=user).values("pk")


def scope_to_taught(qs: QuerySet, *, user: User, course_path: str) -> QuerySet:
    """``qs`` limited to rows of courses ``user`` teaches (``course_path`` leads from a row to its course)."""
    lookup = f"{course_path}__in" if course_path else "pk__in"
    return qs.filter(**{lookup: taught_course_ids(user)})


def formset_content_change(formset) -> bool | None:
    """After ``formset.save()``: None if it saved nothing, True if it changed a course's structure,
    False if it changed only content text."""
    new = getattr(formset, "new_objects", [])
    changed = getattr(formset, "changed_objects", [])
    deleted = getattr(formset, "deleted_objects", [])
    if not (new or changed or deleted):
        return None
    if formset.model in _STRUCTURE_MODELS:
        moved = any(_STRUCTURE_FIELDS & set(fields) for _, fields in changed)
        return bool(new or deleted or moved)
    return False


class InstructorScopedAdmin(admin.ModelAdmin):
    """An admin whose rows belong to a course. Admins see every row; anyone else (instructors are
    staff) sees only the rows of the courses they teach, and foreign-key pickers offer only those.
    Rows outside the scope are simply absent: their change pages redirect as for a missing object.

    Saving or deleting course content through it tells the courseware services, once per request
    and course, whether the course's structure changed (``course_content_changed``: progress is
    recomputed) or only its text (``course_touch``: cached outlines are dropped)."""

    course_path = "course"  # from a row of this model to its course; "" for Course itself
    content_model = False  # rows are course content (modules, lessons, quizzes, questions)

    @staticmethod
    def sees_every_course(request) -> bool:
        return user_is_admin(request.user)

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if self.sees_every_course(request):
            return qs
        return scope_to_taught(qs, user=request.user, course_path=self.course_path)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.related_model
        if related in _COURSE_PATHS:
            course_path, joins = _COURSE_PATHS[related]
            qs = kwargs.get("queryset", related._default_manager.all())
            if joins:
                qs = qs.select_related(*joins)
            if not self.sees_every_course(request):
                qs = scope_to_taught(qs, user=request.user, course_path=course_path)
            kwargs["queryset"] = qs
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    # --- Course of a row and content-change bookkeeping -----------------------------------------
    def course_id_of(self, obj) -> int:
        if not self.course_path:
            return obj.pk
        *hops, last = self.course_path.split("__")
        for hop in hops:
            obj = getattr(obj, hop)
        return getattr(obj, f"{last}_id")

    @staticmethod
    def _pending_changes(request) -> dict[int, bool]:
        # course id -> structural; kept on the request so one save bumps a course once.
        return request.__dict__.setdefault("_course_content_changes", {})

    def note_content_change(self, request, course_id: int, *, structural: bool) -> None:
        pending = self._pending_changes(request)
        pending[course_id] = pending.get(course_id, False) or structural

    def flush_content_changes(self, request) -> None:
        pending = self._pending_changes(request)
        for course_id, structural in sorted(pending.items()):
            if structural:
                course_draft_changed(course_id=course_id)
            else:
                course_touch(course_id=course_id)
        pending.clear()

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if self.content_model:
            structural = self.model in _STRUCTURE_MODELS and (
                not change or bool(_STRUCTURE_FIELDS & set(form.changed_data))
            )
            self.note_content_change(request, self.course_id_of(obj), structural=structural)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        for formset in formsets:
            if formset.model not in _CONTENT_MODELS:
                continue
            structural = formset_content_change(formset)
            if structural is not None:
                self.note_content_change(request, self.course_id_of(form.instance), structural=structural)
        self.flush_content_changes(request)

    def delete_model(self, request, obj):
        course_id = self.course_id_of(obj) if self.content_model else None
        super().delete_model(request, obj)
        if course_id is not None:
            self.note_content_change(request, course_id, structural=self.model in _STRUCTURE_MODELS)
            self.flush_content_changes(request)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            course_ids = set(queryset.values_list(self.course_path or "pk", flat=True)) if self.content_model else ()
            super().delete_queryset(request, queryset)
            for course_id in course_ids:
                self.note_content_change(request, course_id, structural=self.model in _STRUCTURE_MODELS)
            self.flush_content_changes(request)


class CourseContentForm(forms.ModelForm):
    """Lessons and quizzes: ``course`` is not editable, it always follows the module; slugs are
    unique per course (checked here because ``course`` is not a form field)."""

    def clean(self):
        cleaned = super().clean()
        module = cleaned.get("module") or (self.instance.module if self.instance.module_id else None)
        if module is None:
            return cleaned
        if self.instance.pk and self.instance.course_id and module.course_id != self.instance.course_id:
            self.add_error("module", "Choose a module of the same course; content cannot move between courses.")
            return cleaned
        slug = cleaned.get("slug", self.instance.slug)
        model = self._meta.model
        if slug and model.objects.filter(course_id=module.course_id, slug=slug).exclude(pk=self.instance.pk).exists():
            self.add_error("slug", f"This course already has a {model._meta.verbose_name} with this slug.")
        return cleaned

    def save(self, commit=True):
        obj = super().save(commit=False)
        obj.course_id = obj.module.course_id
        self.prepare(obj)
        if commit:
            obj.save()
            self.save_m2m()
        return obj

    def prepare(self, obj) -> None:
        """Hook: derive further non-editable fields before the row is saved."""


class UniqueSlugInlineFormSet(BaseInlineFormSet):
    """Two new rows of one formset may not share a slug (the per-form check only sees saved rows)."""

    def clean(self):
        super().clean()
        seen: set[str] = set()
        for form in self.forms:
            if not form.cleaned_data or form.cleaned_data.get("DELETE"):
                continue
            slug = form.cleaned_data.get("slug")
            if slug in seen:
                raise ValidationError(f"Two rows have the slug “{slug}”; slugs are unique per course.")
            if slug:
                seen.add(slug)


def name_list(names: list[str], limit: int = 20) -> str:
    shown = ", ".join(names[:limit])
    return f"{shown} and {len(names) - limit} more" if len(names) > limit else shown
