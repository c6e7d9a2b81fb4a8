from django.apps import AppConfig


class CoursewareConfig(AppConfig):
    name = "courseware"
    verbose_name = "Courses"

    def ready(self) -> None:
        from courseware.catalog_cache import connect_signals

        connect_signals()
