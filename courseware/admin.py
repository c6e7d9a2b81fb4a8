"""The admin site as the instructors' and admins' desk: courses, modules, enrollments, certificates.

The admin is an interface: writes go through the services of the app that owns the model. Admins
(superusers) see everything; every other staff member sees only the courses they teach, and the
modules, lessons, quizzes, questions and enrollments of those courses (``InstructorScopedAdmin``).
"""

import csv
import io

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import ActionLocation
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from accounts.models import User
from accounts.selectors import user_is_admin, user_is_instructor
from courseware import services
from courseware.models import Certificate, Course, Enrollment, EnrollmentEvent, Module
from lessons.models import Lesson
from quizzes.models import Choice, Question, Quiz

admin.site.site_header = "Courses admin"
admin.site.site_title = "Courses admin"
admin.site.index_title = "Courses, learners and certificates"

BOTH_LOCATIONS = [ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM]

# How each course-owned model reaches its course ("" for the course itself), and what to join when
# it is offered as a choice (``Module.__str__`` shows its course's slug).
_COURSE_PATHS: dict[type, tuple[str, tuple[str, ...]]] = {
    Course: ("", ()),
    Module: ("course", ("course",)),
    Lesson: ("course", ()),
    Quiz: ("course", ()),
    Question: ("quiz__course", ("quiz",)),
    Enrollment: ("course", ("course", "learner")),
}
# Models whose rows make up a course's structure: adding, removing or moving one makes stored
# progress stale (``course_content_changed``); any other edit of course content only invalidates
# cached outlines (``course_touch``).
_STRUCTURE_MODELS = (Module, Lesson, Quiz)
_CONTENT_MODELS = (Module, Lesson, Quiz, Question, Choice)
_STRUCTURE_FIELDS = frozenset({"position", "module"})


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
                services.course_content_changed(course_id=course_id)
            else:
                services.course_touch(course_id=course_id)
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


# --- Courses --------------------------------------------------------------------------------------
class ModuleInline(admin.TabularInline):
    model = Module
    fields = ("position", "title", "slug", "summary")
    ordering = ("position",)
    extra = 0
    show_change_link = True
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 40})}}


class BulkEnrollForm(forms.Form):
    MAX_IDENTIFIERS = 2000
    MAX_FILE_BYTES = 1024 * 1024

    identifiers = forms.CharField(
        required=False,
        label="Usernames or emails",
        help_text="One per line, or separated by commas.",
        widget=forms.Textarea(attrs={"rows": 10, "cols": 60}),
    )
    csv_file = forms.FileField(
        required=False,
        label="CSV file",
        help_text="Optional, UTF-8. Uses the column headed “email” or “username” if there is one, "
        "otherwise the first column.",
    )

    def clean_csv_file(self):
        upload = self.cleaned_data.get("csv_file")
        if not upload:
            return []
        if upload.size > self.MAX_FILE_BYTES:
            raise ValidationError("The CSV file is larger than 1 MB.")
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError("The CSV file must be UTF-8 text.")
        try:
            rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
        except csv.Error as exc:
            raise ValidationError(f"The CSV file could not be read: {exc}")
        if not rows:
            return []
        header = [cell.strip().lower() for cell in rows[0]]
        for name in ("email", "username"):
            if name in header:
                column = header.index(name)
                return [row[column] for row in rows[1:] if len(row) > column]
        return [row[0] for row in rows]

    def clean(self):
        cleaned = super().clean()
        typed = (cleaned.get("identifiers") or "").replace(",", "\n").splitlines()
        identifiers = [ident.strip() for ident in [*typed, *(cleaned.get("csv_file") or [])] if ident.strip()]
        if not identifiers and not self.errors:
            raise ValidationError("Enter at least one username or email, or upload a CSV file.")
        if len(identifiers) > self.MAX_IDENTIFIERS:
            raise ValidationError(f"At most {self.MAX_IDENTIFIERS} learners per request; split the list.")
        cleaned["identifier_list"] = identifiers
        return cleaned


def _name_list(names: list[str], limit: int = 20) -> str:
    shown = ", ".join(names[:limit])
    return f"{shown} and {len(names) - limit} more" if len(names) > limit else shown


@admin.register(Course)
class CourseAdmin(InstructorScopedAdmin):
    course_path = ""
    list_display = ("title", "slug", "is_published", "instructor_names", "enrollment_count", "updated_at")
    list_filter = ("is_published", "sequential", ("instructors", admin.RelatedOnlyFieldListFilter))
    search_fields = ("title", "slug", "summary", "instructors__username", "instructors__email")
    prepopulated_fields = {"slug": ("title",)}
    autocomplete_fields = ("instructors",)
    inlines = (ModuleInline,)
    actions = ("publish", "unpublish")
    fieldsets = (
        (None, {"fields": ("title", "slug", "summary", "description", "instructors")}),
        (
            "Enrollment",
            {"fields": ("capacity", "enrollment_opens_at", "enrollment_closes_at", "sequential", "estimated_hours")},
        ),
        ("Status", {"fields": ("is_published", "published_at", "content_version", "created_at", "updated_at")}),
    )
    readonly_fields = ("is_published", "published_at", "content_version", "created_at", "updated_at")

    def get_queryset(self, request):
        active = (
            Enrollment.objects.filter(course=OuterRef("pk"))
            .exclude(status=Enrollment.Status.DROPPED)
            .order_by()
            .values("course")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return (
            super()
            .get_queryset(request)
            .annotate(enrollment_count=Coalesce(Subquery(active), 0))
            .prefetch_related(Prefetch("instructors", queryset=User.objects.order_by("username")))
        )

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if not self.sees_every_course(request):
            # Who teaches a course is the admins' decision; a new course is taught by its creator.
            fields = (*fields, "instructors")
        return fields

    def has_add_permission(self, request):
        return super().has_add_permission(request) and user_is_instructor(request.user)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "instructors":
            # Only holders of the instructor role (who are staff, so can use this desk) may teach.
            kwargs["queryset"] = (
                User.objects.filter(Q(groups__name=settings.INSTRUCTORS_GROUP) | Q(is_superuser=True))
                .distinct()
                .order_by("username")
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @admin.display(description="Instructors")
    def instructor_names(self, obj: Course) -> str:
        return ", ".join(user.display_name for user in obj.instructors.all()) or "—"

    @admin.display(description="Enrollments", ordering="enrollment_count")
    def enrollment_count(self, obj: Course) -> int:
        return obj.enrollment_count

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in services.COURSE_FIELDS if name in form.cleaned_data}
        if change:
            changed = {name: value for name, value in fields.items() if name in form.changed_data}
            course = services.course_update(course=obj, **changed)
        else:
            course = services.course_create(actor=request.user, **fields)
        # The admin goes on with ``obj`` (inlines, many-to-many, redirect): make it the saved row.
        for name in ("id", "created_at", "updated_at", "content_version", "is_published", "published_at"):
            setattr(obj, name, getattr(course, name))
        obj._state.adding = False
        obj._state.db = course._state.db

    @admin.action(description="Publish selected courses", permissions=["change"], location=BOTH_LOCATIONS)
    def publish(self, request, queryset):
        self._set_published(request, queryset, publish=True)

    @admin.action(description="Unpublish selected courses", permissions=["change"], location=BOTH_LOCATIONS)
    def unpublish(self, request, queryset):
        self._set_published(request, queryset, publish=False)

    def _set_published(self, request, queryset, *, publish: bool) -> None:
        from config.errors import ApplicationError

        done = 0
        for course in queryset:
            try:
                if publish:
                    services.course_publish(course=course)
                else:
                    services.course_unpublish(course=course)
                done += 1
            except ApplicationError as exc:  # e.g. no lessons yet: report it, go on with the rest
                self.message_user(request, f"{course}: {exc.message}", messages.ERROR)
        if done:
            verb = "published" if publish else "unpublished"
            self.message_user(request, f"{done} course(s) {verb}.", messages.SUCCESS)

    # --- Bulk enrollment -------------------------------------------------------------------------
    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/bulk-enroll/",
                self.admin_site.admin_view(self.bulk_enroll_view),
                name="{}_{}_bulk_enroll".format(*info),
            ),
            *super().get_urls(),
        ]

    def has_bulk_enroll_permission(self, request, obj=None) -> bool:
        return self.has_change_permission(request, obj)

    def bulk_enroll_view(self, request, object_id):
        course = self.get_object(request, unquote(object_id))
        if course is None:
            raise Http404("No such course.")
        if not self.has_bulk_enroll_permission(request, course):
            raise PermissionDenied
        form = BulkEnrollForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            report = services.enrollments_bulk_create(
                course=course, identifiers=form.cleaned_data["identifier_list"], actor=request.user
            )
            if report.enrolled:
                self.message_user(
                    request, f"Enrolled {len(report.enrolled)}: {_name_list(report.enrolled)}.", messages.SUCCESS
                )
            if report.already_enrolled:
                self.message_user(
                    request,
                    f"Already enrolled {len(report.already_enrolled)}: {_name_list(report.already_enrolled)}.",
                    messages.WARNING,
                )
            if report.unknown:
                self.message_user(
                    request,
                    f"Unknown {len(report.unknown)} (no active account with that username or email): "
                    f"{_name_list(report.unknown)}.",
                    messages.ERROR,
                )
            return HttpResponseRedirect(reverse("admin:courseware_course_change", args=[course.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Bulk enroll into “{course.title}”",
            "opts": self.opts,
            "original": course,
            "form": form,
            "has_view_permission": self.has_view_permission(request, course),
        }
        return TemplateResponse(request, "admin/courseware/course/bulk_enroll.html", context)


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
        from lessons.admin import LessonInline
        from quizzes.admin import QuizInline

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


# --- Enrollments ------------------------------------------------------------------------------
class EnrollmentEventInline(admin.TabularInline):
    """The audit trail: read-only."""

    model = EnrollmentEvent
    fields = ("action", "actor", "at")
    readonly_fields = fields
    ordering = ("-at", "-id")
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Enrollment)
class EnrollmentAdmin(InstructorScopedAdmin):
    """Read-only rows; enrollments change only through the services (bulk enroll, drop)."""

    list_display = ("learner", "course", "status", "progress_percent", "enrolled_at", "last_activity_at")
    list_filter = (("course", admin.RelatedOnlyFieldListFilter), "status")
    list_select_related = ("learner", "course")
    search_fields = ("learner__username", "learner__email", "course__title", "course__slug")
    inlines = (EnrollmentEventInline,)
    actions = ("drop",)
    fields = (
        "learner", "course", "status", "progress", "completed_items", "progress_version", "progress_computed_at",
        "enrolled_at", "completed_at", "dropped_at", "last_activity_at", "reminder_sent_at",
    )  # fmt: skip
    readonly_fields = fields

    def has_add_permission(self, request):
        return False  # enroll through the course's "Bulk enroll" page

    def has_change_permission(self, request, obj=None):
        return False  # every field is derived or audited: the page is a view; use the actions

    def has_drop_permission(self, request) -> bool:
        return request.user.has_perm("courseware.change_enrollment")

    @admin.display(description="Progress", ordering="progress")
    def progress_percent(self, obj: Enrollment) -> str:
        return f"{obj.progress}%"

    @admin.action(description="Drop selected enrollments", permissions=["drop"], location=BOTH_LOCATIONS)
    def drop(self, request, queryset):
        dropped = 0
        for enrollment in queryset:
            if enrollment.status != Enrollment.Status.DROPPED:
                services.enrollment_drop(enrollment=enrollment, actor=request.user)
                dropped += 1
        self.message_user(request, f"Dropped {dropped} enrollment(s).", messages.SUCCESS)


# --- Certificates (admins only: plain model permissions, no instructor scope) -------------------
@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
    """Certificates are issued by the progress pipeline; here they are looked up, revoked,
    reinstated, reissued and re-sent, all through the services."""

    list_display = ("code", "learner_name", "course_title", "issued_at", "revoked")
    list_filter = ("revoked", ("course", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("learner", "course")
    search_fields = ("=code", "learner_name", "learner__username", "learner__email", "course_title")
    actions = ("revoke", "reinstate", "reissue", "resend_email")
    fields = (
        "code", "public_page", "learner", "learner_name", "course", "course_title", "issued_at",
        "revoked", "revoked_at", "revoked_reason",
    )  # fmt: skip
    readonly_fields = fields

    def view_on_site(self, obj: Certificate) -> str:
        return f"/certificates/{obj.code}/"

    @admin.display(description="Public page")
    def public_page(self, obj: Certificate) -> str:
        url = self.view_on_site(obj)
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, url)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # the page is a view; certificates change only through the actions

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: a deleted certificate would be issued again

    def has_manage_permission(self, request) -> bool:
        return request.user.has_perm("courseware.change_certificate")

    @admin.action(description="Revoke selected certificates", permissions=["manage"], location=BOTH_LOCATIONS)
    def revoke(self, request, queryset):
        for certificate in queryset:
            services.certificate_revoke(certificate=certificate)
        self.message_user(request, f"Revoked {len(queryset)} certificate(s).", messages.SUCCESS)

    @admin.action(description="Reinstate selected certificates", permissions=["manage"], location=BOTH_LOCATIONS)
    def reinstate(self, request, queryset):
        for certificate in queryset:
            services.certificate_reinstate(certificate=certificate)
        self.message_user(request, f"Reinstated {len(queryset)} certificate(s).", messages.SUCCESS)

    @admin.action(
        description="Reissue selected certificates (new code, current names; emailed)",
        permissions=["manage"],
        location=BOTH_LOCATIONS,
    )
    def reissue(self, request, queryset):
        reissued = [services.certificate_reissue(certificate=certificate) for certificate in queryset]
        self.message_user(
            request,
            f"Reissued {len(reissued)} certificate(s); the old codes no longer verify. "
            f"New codes: {_name_list([c.code for c in reissued])}.",
            messages.SUCCESS,
        )
        if len(reissued) == 1:  # the old row is gone: show the new one
            return HttpResponseRedirect(reverse("admin:courseware_certificate_change", args=[reissued[0].pk]))
        return None

    @admin.action(description="Resend certificate email", permissions=["manage"], location=BOTH_LOCATIONS)
    def resend_email(self, request, queryset):
        sent = 0
        for certificate in queryset.select_related("learner"):
            if certificate.revoked:
                self.message_user(request, f"{certificate.code} is revoked: not sent.", messages.WARNING)
                continue
            if not certificate.learner.email:
                self.message_user(request, f"{certificate.code}: the learner has no email address.", messages.WARNING)
                continue
            services.certificate_email_queue(certificate=certificate, resend=True)
            sent += 1
        if sent:
            self.message_user(request, f"Queued {sent} certificate email(s) to be sent again.", messages.SUCCESS)
