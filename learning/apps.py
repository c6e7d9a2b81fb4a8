from django.apps import AppConfig


class LearningConfig(AppConfig):
    name = "learning"
    verbose_name = "Learning"

    def ready(self) -> None:
        from django.core.signals import request_finished, request_started

        from learning import state
        from learning.certificates.emails import certificate_content
        from learning.progress import receivers
        from learning.progress.reminders import reminder_content
        from notifications.models import OutboundEmail
        from notifications.sending import email_content_register

        receivers.connect()
        # What the token authentication read ahead lives for one request.
        request_started.connect(state.prefetched_clear, dispatch_uid="learner_state.request_started")
        request_finished.connect(state.prefetched_clear, dispatch_uid="learner_state.request_finished")
        email_content_register(kind=OutboundEmail.Kind.CERTIFICATE, build=certificate_content)
        email_content_register(kind=OutboundEmail.Kind.REMINDER, build=reminder_content)
