"""Every queue the project routes to is declared, so a worker started the usual way (no ``-Q``) consumes
them all; /healthz shows each queue's depth and its oldest message's age, and names a stuck queue."""

import json
import time

import pytest
from django.conf import settings
from django.test import override_settings
from rest_framework.test import APIClient

from config.health import queue_report
from lessons.models import Lesson
from notifications.models import OutboundEmail
from tests.conftest import client_for
from tests.factories import EnrollmentFactory, build_course
from tests.worker import live_celery_fixture, requires_worker, wait_until  # noqa: F401


def test_every_routed_queue_is_declared():
    declared = {queue.name for queue in settings.CELERY_TASK_QUEUES}
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    assert routed | {settings.CELERY_TASK_DEFAULT_QUEUE} <= declared


def test_beat_keeps_its_schedule_under_var_dir():
    assert str(settings.CELERY_BEAT_SCHEDULE_FILENAME).startswith(str(settings.VAR_DIR))


class _FakeRedis:
    """The two reads ``queue_report`` makes, over a dict of lists (oldest message last, as kombu keeps them)."""

    def __init__(self, lists):
        self.lists, self.calls = lists, []

    def pipeline(self):
        return self

    def llen(self, name):
        self.calls.append(len(self.lists.get(name, [])))

    def lindex(self, name, index):
        items = self.lists.get(name, [])
        self.calls.append(items[index] if items else None)

    def execute(self):
        calls, self.calls = self.calls, []
        return calls


def test_queue_report_gives_depth_and_oldest_age():
    message = json.dumps({"headers": {"sent_at": 1000.0, "task": "x"}}).encode()
    report = queue_report(_FakeRedis({"progress": [b"{}", message]}), now=1042.0)
    assert report["progress"] == {"depth": 2, "oldest_age_seconds": 42.0}
    assert report["email"] == {"depth": 0, "oldest_age_seconds": None}


@pytest.mark.worker
@requires_worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(120)
def test_a_worker_without_q_runs_every_queue_and_healthz_shows_a_stuck_queue(live_celery):
    course = build_course(modules=1, lessons_per_module=1, quiz_per_module=False)
    enrollment = EnrollmentFactory(course=course)
    (lesson,) = Lesson.objects.filter(course=course)
    # No worker yet: the completion's progress task waits in its queue, and /healthz says so.
    assert client_for(enrollment.learner).post(f"/api/lessons/{lesson.pk}/complete/").status_code == 200
    time.sleep(1.1)
    with override_settings(HEALTHZ_QUEUE_MAX_AGE_SECONDS=1):
        body = APIClient().get("/healthz").json()
    assert body["queues"]["progress"]["depth"] >= 1 and body["queues"]["progress"]["oldest_age_seconds"] >= 1
    # The completion's progress task waits; so does its outbox dispatch (``webhooks``), also unconsumed.
    assert "progress" in body["stuck_queues"] and set(body["stuck_queues"]) <= {"progress", "webhooks"}
    live_celery.start_worker(queues="")  # as `celery -A config worker` starts: every declared queue
    wait_until(
        lambda: OutboundEmail.objects.filter(kind="certificate", status=OutboundEmail.Status.SENT).exists(),
        timeout=60,
        what="the certificate email (progress queue, then email queue)",
    )
    live_celery.wait_idle()
    body = APIClient().get("/healthz").json()
    assert body["stuck_queues"] == [] and body["queues"]["progress"]["depth"] == 0
