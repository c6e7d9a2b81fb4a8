"""Certificates in the admin: read-only rows; revoke, reinstate, reissue and resend through the services."""

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html

from courseware.admin.scoping import BOTH_LOCATIONS, name_list
from courseware.models import Certificate
from learning.certificates.services import (
    certificate_email_queue,
    certificate_reinstate,
    certificate_reissue,
    certificate_revoke,
)


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
            certificate_revoke(certificate=certificate)
        self.message_user(request, f"Revoked {len(queryset)} certificate(s).", messages.SUCCESS)

    @admin.action(description="Reinstate selected certificates", permissions=["manage"], location=BOTH_LOCATIONS)
    def reinstate(self, request, queryset):
        for certificate in queryset:
            certificate_reinstate(certificate=certificate)
        self.message_user(request, f"Reinstated {len(queryset)} certificate(s).", messages.SUCCESS)

    @admin.action(
        description="Reissue selected certificates (new code, current names; emailed)",
        permissions=["manage"],
        location=BOTH_LOCATIONS,
    )
    def reissue(self, request, queryset):
        reissued = [certificate_reissue(certificate=certificate) for certificate in queryset]
        self.message_user(
            request,
            f"Reissued {len(reissued)} certificate(s); the old codes no longer verify. "
            f"New codes: {name_list([c.code for c in reissued])}.",
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
            certificate_email_queue(certificate=certificate, resend=True)
            sent += 1
        if sent:
            self.message_user(request, f"Queued {sent} certificate email(s) to be sent again.", messages.SUCCESS)
