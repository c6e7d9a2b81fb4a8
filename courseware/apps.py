from django.apps import AppConfig


class CoursewareConfig(AppConfig):
    name = "courseware"
    verbose_name = "Courses"

    def ready(self) -> None:
        from courseware.catalog_cache import connect_signals

        connect_signals()

        from django.core.signals import request_finished, request_started

        from courseware.selectors import prefetched_clear

        request_started.connect(prefetched_clear, dispatch_uid="learner_state.request_started")
        request_finished.connect(prefetched_clear, dispatch_uid="learner_state.request_finished")
