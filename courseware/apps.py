from django.apps import AppConfig


class CoursewareConfig(AppConfig):
    name = "courseware"
    verbose_name = "Courses"

    def ready(self) -> None:
        from config.throttling import ride_along_register
        from courseware.catalog_cache import connect_signals, version_take, version_wanted

        connect_signals()
        # The request's content-version read travels in the rate-limit counter's round trip.
        ride_along_register(wanted=version_wanted, take=version_take)

        from django.core.signals import request_finished, request_started

        from courseware.selectors import prefetched_clear

        request_started.connect(prefetched_clear, dispatch_uid="learner_state.request_started")
        request_finished.connect(prefetched_clear, dispatch_uid="learner_state.request_finished")
