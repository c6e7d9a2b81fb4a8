from tests.notifications.failing_backend import flaky_mail  # noqa: F401
