from django.apps import AppConfig


class CoursewareConfig(AppConfig):
    name = "courseware"
    verbose_name = "Courses"

    def ready(self) -> None:
        from config.throttling import ride_along_register
        from courseware.catalog_cache import connect_signals, version_take, version_wanted
        from courseware.enrollment.emails import welcome_content
        from courseware.structure import versioning
        from notifications.models import OutboundEmail
        from notifications.sending import email_content_register

        connect_signals()
        versioning.register()
        # The request's content-version read travels in the rate-limit counter's round trip.
        ride_along_register(wanted=version_wanted, take=version_take)
        email_content_register(kind=OutboundEmail.Kind.WELCOME, build=welcome_content)
