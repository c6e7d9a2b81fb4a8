from django.contrib import admin

from events.models import Event, WebhookDelivery, WebhookSubscription


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["position", "type", "course_slug", "learner_id", "occurred_at"]
    list_filter = ["type"]
    readonly_fields = [f.name for f in Event._meta.fields]
    ordering = ["-id"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["id", "url", "owner", "course", "is_active", "failing_since"]
    list_filter = ["is_active"]
    exclude = ["secret", "previous_secret"]
    readonly_fields = ["lease_until", "failing_since", "disabled_at"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "subscription", "position", "status", "attempt", "status_code", "next_attempt_at"]
    list_filter = ["status"]
    raw_id_fields = ["subscription", "event"]
