"""An email backend for tests that fails the way SMTP servers do, then (optionally) delivers.

Select it with the ``settings`` fixture::

    settings.MAILERS = {"default": {"BACKEND": "tests.notifications.failing_backend.EmailBackend"}}

and say how it fails with ``failing_backend.fail_next(n, error)``: the next ``n`` sends raise
``error``; later sends go to ``django.core.mail.outbox`` like the test runner's locmem backend."""

import pytest
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend

_state: dict = {"remaining": 0, "error": None, "calls": 0}


def fail_next(times: int, error: BaseException) -> None:
    _state.update(remaining=times, error=error, calls=0)


def reset() -> None:
    _state.update(remaining=0, error=None, calls=0)


def calls() -> int:
    return _state["calls"]


class EmailBackend(LocmemBackend):
    def send_messages(self, messages):
        _state["calls"] += 1
        if _state["remaining"]:
            _state["remaining"] -= 1
            raise _state["error"]
        return super().send_messages(messages)


@pytest.fixture
def flaky_mail(settings):
    """Mail goes through this backend; say how it fails with ``flaky_mail.fail_next(n, error)``."""
    import sys

    reset()
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.EmailBackend"}}
    yield sys.modules[__name__]
    reset()
