"""/api/webhooks/: admins and instructors subscribe, see and change only their own subscriptions; the
secret is shown once (and on rotation); bad input answers 400 naming the field."""

import pytest

from events.models import WebhookSubscription
from tests.conftest import client_for
from tests.factories import AdminFactory, InstructorFactory, UserFactory, build_course

pytestmark = pytest.mark.django_db

URL = "https://hooks.example.com/courses"


@pytest.fixture(autouse=True)
def _public_dns(monkeypatch, settings):
    """hooks.example.com resolves to a public address (no network in tests)."""
    from events import outbound

    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = False  # production rules: https to public addresses
    real = outbound.resolve
    monkeypatch.setattr(
        outbound, "resolve", lambda host, port: ["93.184.215.14"] if host.endswith("example.com") else real(host, port)
    )


@pytest.fixture
def teacher():
    return InstructorFactory()


@pytest.fixture
def course(teacher):
    course = build_course(modules=1, lessons_per_module=1, quiz_per_module=False)
    course.instructors.add(teacher)
    return course


def test_subscribe_shows_the_secret_once(teacher, course):
    client = client_for(teacher)
    r = client.post("/api/webhooks/", {"url": URL, "events": ["enrollment.created"], "course": course.slug})
    assert r.status_code == 201, r.json()
    body = r.json()
    assert set(body) >= {"id", "url", "events", "course", "secret"}
    assert body["secret"].startswith("whsec_") and body["course"] == course.slug
    listed = client.get("/api/webhooks/").json()
    assert [s["id"] for s in listed] == [body["id"]] and "secret" not in listed[0]
    detail = client.get(f"/api/webhooks/{body['id']}/").json()
    assert "secret" not in detail and detail["events"] == ["enrollment.created"]


def test_rotate_secret_keeps_the_old_one_for_a_grace_period(teacher):
    client = client_for(teacher)
    sub = client.post("/api/webhooks/", {"url": URL, "events": ["lesson.completed"]}).json()
    r = client.post(f"/api/webhooks/{sub['id']}/rotate-secret/")
    assert r.status_code == 200
    new = r.json()["secret"]
    assert new.startswith("whsec_") and new != sub["secret"]
    stored = WebhookSubscription.objects.get(pk=sub["id"])
    assert stored.secret == new and stored.previous_secret == sub["secret"]
    assert stored.previous_secret_expires_at is not None


def test_patch_and_delete(teacher, course):
    client = client_for(teacher)
    sub = client.post("/api/webhooks/", {"url": URL, "events": ["lesson.completed"]}).json()
    r = client.patch(
        f"/api/webhooks/{sub['id']}/",
        {"events": ["course.completed", "certificate.issued"], "course": course.slug, "is_active": False},
    )
    assert r.status_code == 200, r.json()
    assert r.json()["events"] == ["course.completed", "certificate.issued"] and r.json()["is_active"] is False
    assert r.json()["course"] == course.slug
    assert client.patch(f"/api/webhooks/{sub['id']}/", {"course": None}).json()["course"] is None
    assert client.delete(f"/api/webhooks/{sub['id']}/").status_code == 204
    assert client.get(f"/api/webhooks/{sub['id']}/").status_code == 404


def test_learners_are_refused_and_others_subscriptions_are_invisible(teacher):
    sub = client_for(teacher).post("/api/webhooks/", {"url": URL, "events": ["lesson.completed"]}).json()
    learner = client_for(UserFactory())
    assert learner.get("/api/webhooks/").status_code == 403
    assert learner.post("/api/webhooks/", {"url": URL, "events": ["lesson.completed"]}).status_code == 403
    other = client_for(InstructorFactory())
    assert other.get("/api/webhooks/").json() == []
    for method, path in [
        ("get", f"/api/webhooks/{sub['id']}/"),
        ("patch", f"/api/webhooks/{sub['id']}/"),
        ("delete", f"/api/webhooks/{sub['id']}/"),
        ("post", f"/api/webhooks/{sub['id']}/rotate-secret/"),
        ("get", f"/api/webhooks/{sub['id']}/deliveries/"),
        ("post", f"/api/webhooks/{sub['id']}/replay/"),
    ]:
        assert getattr(other, method)(path, {"after": 0} if method == "post" else None).status_code == 404, path
    # Even admins see only their own subscriptions here.
    assert client_for(AdminFactory()).get(f"/api/webhooks/{sub['id']}/").status_code == 404


def test_an_instructor_subscribes_only_to_courses_they_teach(teacher):
    elsewhere = build_course(modules=1, lessons_per_module=1, quiz_per_module=False)
    r = client_for(teacher).post(
        "/api/webhooks/", {"url": URL, "events": ["lesson.completed"], "course": elsewhere.slug}
    )
    assert r.status_code == 404
    admin = client_for(AdminFactory())
    r = admin.post("/api/webhooks/", {"url": URL, "events": ["lesson.completed"], "course": elsewhere.slug})
    assert r.status_code == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": URL, "events": []}, "events"),
        ({"url": URL, "events": ["enrollment.exploded"]}, "events"),
        ({"url": URL}, "events"),
        ({"url": "not a url", "events": ["lesson.completed"]}, "url"),
        ({"events": ["lesson.completed"]}, "url"),
        ({"url": "http://hooks.example.com/", "events": ["lesson.completed"]}, "url"),  # not https
        ({"url": "ftp://hooks.example.com/", "events": ["lesson.completed"]}, "url"),
        ({"url": URL, "events": ["lesson.completed"], "course": "no such/slug"}, "course"),
    ],
)
def test_bad_input_answers_400_naming_the_field(teacher, body, field):
    r = client_for(teacher).post("/api/webhooks/", body)
    assert r.status_code == 400 and field in r.json(), r.json()


def test_replay_and_redeliver_answer_202_or_404(teacher):
    client = client_for(teacher)
    sub = client.post("/api/webhooks/", {"url": URL, "events": ["lesson.completed"]}).json()
    assert client.post(f"/api/webhooks/{sub['id']}/replay/", {"after": 0}).status_code == 202
    assert client.post(f"/api/webhooks/{sub['id']}/replay/", {"after": "x"}).status_code == 400
    assert client.post(f"/api/webhooks/{sub['id']}/deliveries/999/redeliver/").status_code == 404
    assert client.get(f"/api/webhooks/{sub['id']}/deliveries/").json()["results"] == []
