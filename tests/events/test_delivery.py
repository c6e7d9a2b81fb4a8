"""Webhook delivery against a real receiver on loopback that verifies every signature with the
``standardwebhooks`` package: signed bodies matching the feed; in order per subscription; retried
with the same ``webhook-id`` through refusals, 500s and timeouts; given up, disabled (with an email),
redelivered and replayed. Tasks run eagerly here; ``drain`` runs the periodic sweep as beat would."""

import time

import pytest
from django.core import mail

from events.models import Event, WebhookDelivery, WebhookSubscription
from notifications.models import OutboundEmail
from tests.conftest import client_for
from tests.events.conftest import drain, event_ids
from tests.events.receiver import Receiver
from tests.factories import AdminFactory, UserFactory, build_course

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]
ALL = list(Event.Type.values)


def subscribe(client, receiver: Receiver, events=ALL, **extra) -> dict:
    r = client.post("/api/webhooks/", {"url": receiver.url, "events": events, **extra})
    assert r.status_code == 201, r.json()
    receiver.secrets = [r.json()["secret"]]
    return r.json()


def enrollments(n: int, course=None) -> None:
    course = course or build_course(modules=1, lessons_per_module=1, quiz_per_module=False)
    for _ in range(n):
        assert client_for(UserFactory()).post(f"/api/courses/{course.slug}/enroll/").status_code == 201


def pending() -> int:
    return WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING).count()


@pytest.fixture
def admin():
    return client_for(AdminFactory())


def test_deliveries_are_signed_and_say_what_the_feed_says(admin, receiver):
    subscribe(admin, receiver)
    course = build_course(modules=1, lessons_per_module=1, quiz_per_module=False)
    learner = client_for(UserFactory())
    learner.post(f"/api/courses/{course.slug}/enroll/")
    learner.post(f"/api/lessons/{course.lessons.get().pk}/complete/")
    drain(lambda: pending() == 0, what="deliveries")
    feed = admin.get("/api/events/").json()["results"]
    assert [e["type"] for e in feed] == [
        "enrollment.created",
        "lesson.completed",
        "course.completed",
        "certificate.issued",
    ]
    assert receiver.ids() == [e["id"] for e in feed]  # once each, in commit order
    assert receiver.all_verified()
    for got, item in zip(receiver.requests, feed, strict=True):
        assert set(got.body) == {"type", "timestamp", "data"}
        assert got.body["type"] == item["type"] and got.body["timestamp"] == item["occurred_at"]
        assert got.body["data"]["id"] == item["id"] and got.body["data"]["course"] == course.slug
        assert abs(int(got.timestamp) - time.time()) < 60
        assert got.signature.startswith("v1,") and " " not in got.signature  # one secret, one signature
    log = admin.get(f"/api/webhooks/{WebhookSubscription.objects.get().pk}/deliveries/").json()
    assert log["count"] == 4
    first = log["results"][0]  # newest first
    assert set(first) >= {"id", "event", "attempt", "status_code", "error", "delivered_at", "next_attempt_at"}
    assert first["event"] == feed[-1]["id"] and first["attempt"] == 1 and first["status_code"] == 200
    assert first["delivered_at"] and first["next_attempt_at"] is None and first["error"] == ""


def test_only_the_types_and_courses_subscribed(admin, receiver):
    mine, other = (build_course(modules=1, lessons_per_module=1, quiz_per_module=False) for _ in range(2))
    subscribe(admin, receiver, events=["enrollment.created"], course=mine.slug)
    enrollments(2, mine)
    enrollments(2, other)
    drain(lambda: pending() == 0)
    assert receiver.ids() == event_ids(type="enrollment.created", course=mine)


def test_receiver_down_then_up_everything_arrives_once_in_order(admin, receiver):
    subscribe(admin, receiver)
    receiver.stop()  # connections refused
    enrollments(5)
    subscription = WebhookSubscription.objects.get()
    drain(lambda: WebhookDelivery.objects.filter(attempt__gte=3).exists(), what="three failed tries")
    tried = list(WebhookDelivery.objects.order_by("position").values_list("attempt", flat=True))
    assert tried[0] >= 3 and tried[1:] == [0, 0, 0, 0]  # the first holds back the rest: order
    first = WebhookDelivery.objects.order_by("position").first()
    assert first.status_code is None and "Connection" in first.error and first.next_attempt_at is not None
    receiver.start()
    drain(lambda: pending() == 0, what="delivery after the outage")
    assert receiver.ids() == event_ids()  # once each, in order, ids as in the feed
    assert receiver.all_verified()
    assert WebhookSubscription.objects.get(pk=subscription.pk).failing_since is None  # a success clears it


def test_500s_are_retried_with_the_same_id_and_body(admin, receiver):
    subscribe(admin, receiver)
    receiver.status = 500
    enrollments(2)
    drain(lambda: len(receiver.requests) >= 3, what="three tries")
    head = WebhookDelivery.objects.order_by("position").first()
    assert head.status_code == 500 and head.error == "HTTP 500"
    receiver.status = 200
    drain(lambda: pending() == 0)
    ids = receiver.ids()
    first, second = event_ids()
    assert set(ids[:-1]) == {first} and ids[-1] == second  # retries carry the same webhook-id ...
    assert len({r.raw for r in receiver.requests[:-1]}) == 1  # ... and the same body
    assert WebhookDelivery.objects.get(event__uid=first).attempt == len(ids) - 1


def test_a_timeout_is_a_failure_and_the_retry_carries_the_same_id(admin, receiver, settings):
    settings.WEBHOOKS_TIMEOUT_SECONDS = 0.5
    subscribe(admin, receiver)
    receiver.delay = 1.5  # answers, but too late
    enrollments(1)
    drain(lambda: WebhookDelivery.objects.filter(attempt__gte=1).exists())
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending" and "Timed out" in delivery.error
    receiver.delay = 0
    drain(lambda: pending() == 0)
    # The receiver saw the timed-out request too: a duplicate, recognisable by its webhook-id.
    assert len(receiver.ids()) >= 2 and set(receiver.ids()) == set(event_ids())


def test_a_slow_receiver_within_the_timeout_is_fine(admin, receiver):
    receiver.delay = 0.3
    subscribe(admin, receiver)
    enrollments(2)
    drain(lambda: pending() == 0)
    assert receiver.ids() == event_ids()


def test_a_dead_receiver_does_not_hold_back_another_subscription(admin, receiver):
    dead = Receiver()  # never started: refused
    subscribe(admin, dead)
    subscribe(admin, receiver)
    enrollments(3)
    drain(lambda: len(receiver.requests) == 3)
    assert receiver.ids() == event_ids()
    assert WebhookDelivery.objects.filter(subscription__url=dead.url, status="pending").count() == 3


def test_given_up_after_the_retry_window_then_the_next_is_sent(admin, receiver, settings):
    settings.WEBHOOKS_RETRY_FOR_SECONDS = 0.3
    subscribe(admin, receiver)
    receiver.status = 500
    enrollments(2)
    drain(lambda: WebhookDelivery.objects.filter(status="failed").count() == 2, what="both given up")
    first, second = WebhookDelivery.objects.order_by("position")
    assert first.error.startswith("Gave up after") and first.next_attempt_at is None
    assert first.last_attempt_at <= second.first_attempt_at  # the second waited for the first
    receiver.status = 200  # the sender moved on; a redeliver sends a given-up one again
    sub = WebhookSubscription.objects.get()
    assert admin.post(f"/api/webhooks/{sub.pk}/deliveries/{first.pk}/redeliver/").status_code == 202
    drain(lambda: WebhookDelivery.objects.get(pk=first.pk).status == "delivered")
    assert receiver.ids()[-1] == str(first.event.uid)


def test_failing_for_days_disables_the_subscription_and_emails_the_owner(receiver, settings):
    settings.WEBHOOKS_DISABLE_AFTER_SECONDS = 0.3
    owner = AdminFactory()
    client = client_for(owner)
    sub = subscribe(client, receiver)
    receiver.status = 503
    enrollments(1)
    drain(lambda: not WebhookSubscription.objects.get(pk=sub["id"]).is_active, what="auto-disable")
    stored = WebhookSubscription.objects.get(pk=sub["id"])
    assert stored.disabled_at and "failed since" in stored.disabled_reason
    email = OutboundEmail.objects.get(kind="webhook_disabled")
    assert email.user == owner and email.status == OutboundEmail.Status.SENT
    assert [m.to for m in mail.outbox if "webhook" in m.subject.lower()] == [[owner.email]]
    assert receiver.url.split("?")[0] in mail.outbox[-1].body
    tries = len(receiver.requests)
    enrollments(1)  # a disabled subscription gets nothing new
    drain(lambda: True)
    assert len(receiver.requests) == tries
    # Turned back on, it resumes where it stopped; a replay brings what it missed.
    receiver.status = 200
    assert client.patch(f"/api/webhooks/{sub['id']}/", {"is_active": True}).json()["is_active"] is True
    assert client.post(f"/api/webhooks/{sub['id']}/replay/", {"after": 0}).json() == {"queued": 2}
    drain(lambda: pending() == 0)
    assert receiver.ids()[-2:] == event_ids()


def test_a_rotated_secret_signs_beside_the_old_one_during_the_grace_period(admin, receiver, settings):
    sub = subscribe(admin, receiver)
    old = receiver.secrets[0]
    new = admin.post(f"/api/webhooks/{sub['id']}/rotate-secret/").json()["secret"]
    receiver.secrets = [old, new]
    enrollments(1)
    drain(lambda: pending() == 0)
    last = receiver.requests[-1]
    assert last.verified_with == [0, 1] and len(last.signature.split(" ")) == 2
    settings.WEBHOOKS_SECRET_GRACE_SECONDS = 0
    admin.post(f"/api/webhooks/{sub['id']}/rotate-secret/")  # grace over at once: only the newest signs
    newest = WebhookSubscription.objects.get(pk=sub["id"]).secret
    receiver.secrets = [old, new, newest]
    enrollments(1)
    drain(lambda: pending() == 0)
    assert receiver.requests[-1].verified_with == [2]


def test_replay_from_a_cursor(admin, receiver):
    enrollments(4)  # before the subscription existed
    sub = subscribe(admin, receiver)
    assert receiver.requests == []
    ids = event_ids()
    cursor = Event.objects.get(uid=ids[1]).position
    r = admin.post(f"/api/webhooks/{sub['id']}/replay/", {"after": cursor})
    assert r.status_code == 202 and r.json() == {"queued": 2}
    drain(lambda: pending() == 0)
    assert receiver.ids() == ids[2:]
    assert admin.post(f"/api/webhooks/{sub['id']}/replay/", {"after": 0}).json() == {"queued": 4}
    drain(lambda: pending() == 0)
    assert receiver.ids() == ids[2:] + ids  # again, from the start, in order
