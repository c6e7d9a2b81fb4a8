"""The email log: every outbound message, read-only, with a "Resend" action. Admins only (plain
model permissions: instructors hold none on it)."""

from django.contrib import admin, messages
from django.utils.text import Truncator

from notifications.models import OutboundEmail
from notifications.services import email_queue


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    list_display = ("kind", "recipient", "status", "attempts", "short_error", "created_at", "sent_at")
    list_filter = ("kind", "status")
    search_fields = ("recipient",)
    list_select_related = ("user",)
    actions = ("resend",)
    fields = (
        "kind", "key", "user", "recipient", "subject", "status", "attempts", "last_error", "context",
        "created_at", "updated_at", "sent_at",
    )  # fmt: skip
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # a log: rows change only by sending

    def has_delete_permission(self, request, obj=None):
        return False

    def has_resend_permission(self, request) -> bool:
        return request.user.has_perm("notifications.change_outboundemail")

    @admin.display(description="Last error")
    def short_error(self, obj: OutboundEmail) -> str:
        return Truncator(obj.last_error).chars(80)

    @admin.action(
        description="Resend selected emails",
        permissions=["resend"],
        location=[admin.ActionLocation.CHANGE_LIST, admin.ActionLocation.CHANGE_FORM],
    )
    def resend(self, request, queryset):
        queued = 0
        for email in queryset.select_related("user"):
            if email.user is None or not email.user.email:
                self.message_user(request, f"{email}: the user is gone or has no email address.", messages.WARNING)
                continue
            email_queue(kind=email.kind, key=email.key, user=email.user, context=email.context, resend=True)
            queued += 1
        if queued:
            self.message_user(request, f"Queued {queued} email(s) to be sent again.", messages.SUCCESS)
