"""Enrollments in the admin: the roster with its history, and dropping through the service."""

from django.contrib import admin, messages

from courseware.admin.scoping import BOTH_LOCATIONS, InstructorScopedAdmin
from courseware.enrollment.services import enrollment_drop
from courseware.models import Enrollment, EnrollmentEvent


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
                enrollment_drop(enrollment=enrollment, actor=request.user)
                dropped += 1
        self.message_user(request, f"Dropped {dropped} enrollment(s).", messages.SUCCESS)
