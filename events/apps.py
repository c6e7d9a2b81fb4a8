from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = "Outbound events"

    def ready(self) -> None:
        from events.emails import webhook_disabled_content
        from notifications.models import OutboundEmail
        from notifications.sending import email_content_register

        email_content_register(kind=OutboundEmail.Kind.WEBHOOK_DISABLED, build=webhook_disabled_content)
