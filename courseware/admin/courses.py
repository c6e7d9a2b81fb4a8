"""Courses in the admin: the course form (through the structure services), publishing, bulk enrollment."""

import csv
import io

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from accounts.models import User
from accounts.selectors import user_is_instructor
from config.errors import ApplicationError, NotFound
from courseware.admin.scoping import BOTH_LOCATIONS, InstructorScopedAdmin, name_list
from courseware.enrollment.services import enrollments_bulk_create
from courseware.models import Course, Enrollment, Module
from courseware.structure.services import COURSE_FIELDS, course_create, course_unpublish, course_update
from courseware.versions.selectors import version_diff, version_get, version_list
from courseware.versions.services import course_publish, version_restore


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
        (
            "Status",
            {
                "fields": (
                    "is_published",
                    "published_at",
                    "published_version",
                    "content_version",
                    "created_at",
                    "updated_at",
                )
            },
        ),
    )
    readonly_fields = (
        "is_published", "published_at", "published_version", "content_version", "created_at", "updated_at",
    )  # fmt: skip

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
        fields = {name: form.cleaned_data[name] for name in COURSE_FIELDS if name in form.cleaned_data}
        if change:
            changed = {name: value for name, value in fields.items() if name in form.changed_data}
            course = course_update(course=obj, **changed)
        else:
            course = course_create(actor=request.user, **fields)
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
        done = 0
        for course in queryset:
            try:
                if publish:
                    course_publish(course=course, actor=request.user)
                else:
                    course_unpublish(course=course)
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
            path(
                "<path:object_id>/publish-preview/",
                self.admin_site.admin_view(self.publish_preview_view),
                name="{}_{}_publish_preview".format(*info),
            ),
            path(
                "<path:object_id>/versions/",
                self.admin_site.admin_view(self.versions_view),
                name="{}_{}_versions".format(*info),
            ),
            *super().get_urls(),
        ]

    def _course_to_change(self, request, object_id) -> Course:
        course = self.get_object(request, unquote(object_id))
        if course is None:
            raise Http404("No such course.")
        if not self.has_change_permission(request, course):
            raise PermissionDenied
        return course

    def _page(self, request, course: Course, *, title: str, template: str, **extra) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.opts,
            "original": course,
            "has_view_permission": self.has_view_permission(request, course),
            **extra,
        }
        return TemplateResponse(request, f"admin/courseware/course/{template}", context)

    # --- Versions ---------------------------------------------------------------------------------
    def publish_preview_view(self, request, object_id):
        """What publishing the draft would do to enrolled learners (the publish dry run), and the
        button that publishes it."""
        course = self._course_to_change(request, object_id)
        if request.method == "POST":
            try:
                done = course_publish(course=course, actor=request.user, note=request.POST.get("note", ""))
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                what = f"version {done['version']} published" if done["has_changes"] else "nothing new to publish"
                self.message_user(request, f"{course}: {what}.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:courseware_course_change", args=[course.pk]))
        try:
            impact, problem = course_publish(course=course, actor=request.user, dry_run=True), None
        except ApplicationError as exc:
            impact, problem = None, exc.message
        return self._page(
            request, course, title=f"Publish “{course.title}”", template="publish_preview.html",
            impact=impact, problem=problem,
        )  # fmt: skip

    def versions_view(self, request, object_id):
        """The course's versions, newest first; a version's diff against the one before (``?diff=n``);
        restoring one into the draft (POST ``restore=n``)."""
        course = self._course_to_change(request, object_id)
        if request.method == "POST" and request.POST.get("restore", "").isdigit():
            number = int(request.POST["restore"])
            try:
                version_restore(course=course, number=number)
            except NotFound as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(
                    request, f"The draft now holds version {number}; publish to make it live.", messages.SUCCESS
                )
            return HttpResponseRedirect(reverse("admin:courseware_course_publish_preview", args=[course.pk]))
        diff = None
        if request.GET.get("diff", "").isdigit():
            number = int(request.GET["diff"])
            if version_get(course=course, number=number) is not None:
                diff = version_diff(course=course, number=number, against=number - 1)
        return self._page(
            request, course, title=f"Versions of “{course.title}”", template="versions.html",
            versions=version_list(course=course), diff=diff,
        )  # fmt: skip

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
            report = enrollments_bulk_create(
                course=course, identifiers=form.cleaned_data["identifier_list"], actor=request.user
            )
            if report.enrolled:
                self.message_user(
                    request, f"Enrolled {len(report.enrolled)}: {name_list(report.enrolled)}.", messages.SUCCESS
                )
            if report.already_enrolled:
                self.message_user(
                    request,
                    f"Already enrolled {len(report.already_enrolled)}: {name_list(report.already_enrolled)}.",
                    messages.WARNING,
                )
            if report.unknown:
                self.message_user(
                    request,
                    f"Unknown {len(report.unknown)} (no active account with that username or email): "
                    f"{name_list(report.unknown)}.",
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
