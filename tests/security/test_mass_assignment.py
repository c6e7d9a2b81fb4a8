"""Mass assignment and data exposure. Every POST/PATCH of the schema, sent by an actor it allows with
fields a client must never set, changes none of them; no serializer lists ``"__all__"``; and nothing a
learner can GET carries a right answer, a password hash, a token or another learner's email."""

import importlib
import json
import pkgutil
from pathlib import Path

import pytest
from django.apps import apps
from rest_framework import serializers

from accounts.models import User
from courseware.models import Certificate, Enrollment
from events.models import WebhookSubscription
from lessons.models import LessonCompletion
from quizzes.models import Choice, QuizAttempt
from tests.conftest import token_for
from tests.security.test_authorization_matrix import MATRIX, call, schema_operations
from tests.security.world import World, build_world

ROOT = Path(__file__).resolve().parents[2]
SENTINEL_ID = 987654
SENTINEL_TIME = "2001-02-03T04:05:06Z"
QUESTION_KINDS = {"single", "multiple", "numeric", "text", "ordering", "matching"}
KEY_FIELDS = {"answer", "tolerance", "accepted", "pairs", "distractors", "explanation"}


def extras(world: World) -> dict:
    other = world.users["other_learner"]
    return {
        "user": other.pk,
        "learner": other.pk,
        "is_staff": True,
        "is_superuser": True,
        "score": 100,
        "passed": True,
        "status": "completed",
        "completed_at": SENTINEL_TIME,
        "code": "FORGED-CODE",
        "is_correct": True,
        "id": SENTINEL_ID,
        "course": world.course_b.slug,
        "revoked": True,
        "progress": 100,
        "number": 99,
        "deadline": SENTINEL_TIME,
    }


def allowed_actor(key) -> str | None:
    expected = MATRIX[key]
    for actor in ("learner", "instructor", "admin", "other_instructor", "anonymous"):
        if 200 <= expected[actor] < 300:
            return actor
    return None


WRITES = [key for key in MATRIX if key[0] in {"POST", "PATCH"} and key != ("POST", "/api/courses/import/")]


def snapshot() -> dict:
    return {
        "users": {u.pk: (u.is_staff, u.is_superuser, u.username, u.email, u.password) for u in User.objects.all()},
        "enrollments": {
            e.pk: (e.learner_id, e.course_id, e.status, e.progress, e.completed_at) for e in Enrollment.objects.all()
        },
        "attempts": {
            a.pk: (a.learner_id, a.quiz_id, a.score, a.passed, a.number, a.deadline) for a in QuizAttempt.objects.all()
        },
        "certificates": {c.pk: (c.code, c.learner_id, c.course_id, c.revoked) for c in Certificate.objects.all()},
        "choices": {c.pk: c.is_correct for c in Choice.objects.all()},
        "completions": {c.pk: (c.learner_id, c.lesson_id) for c in LessonCompletion.objects.all()},
    }


@pytest.mark.django_db
@pytest.mark.parametrize("key", WRITES, ids=[f"{m} {p}" for m, p in WRITES])
def test_extra_fields_change_nothing(key, monkeypatch):
    method, path = key
    actor = allowed_actor(key)
    assert actor, f"{key}: no actor may call it; add a case"
    world = build_world()
    sent = extras(world)
    if path.startswith("/api/webhooks/"):
        # ``course`` is a webhook subscription's own input (refused with 404 for a course the caller does
        # not teach: tests/events/test_webhooks_api.py); the owner is the caller whatever the body says.
        sent = {**{k: v for k, v in sent.items() if k != "course"}, "owner": world.users["other_learner"].pk}
    before = snapshot()
    import tests.security.test_authorization_matrix as matrix

    plain = matrix.body_for
    if key == ("POST", "/api/quizzes/{quiz_id}/attempts/"):
        # Wrong answers, with "score": 100 and "passed": true on top: the server grades them.
        wrong = [{"question": a["question"], "choices": []} for a in world.answers() if "choices" in a]
        monkeypatch.setattr(matrix, "body_for", lambda *args: {"answers": wrong, **sent})
    else:
        monkeypatch.setattr(matrix, "body_for", lambda *args: {**(plain(*args) or {}), **sent})
    response = call(world, actor, method, path)
    assert response.status_code == MATRIX[key][actor], (key, response.status_code, response.content[:300])
    after = snapshot()

    # Existing rows keep every protected field (the operation's own legitimate effects aside).
    granted = world.users["outsider"].pk if key == ("POST", "/api/instructors/") else None  # made staff, rightly
    for pk, row in before["users"].items():
        if pk == granted:
            continue
        assert after["users"][pk][:2] == row[:2], f"{key} changed is_staff/is_superuser of user {pk}"
    for pk, row in before["certificates"].items():
        assert after["certificates"].get(pk) == row, f"{key} changed certificate {pk}"
    for pk, row in before["attempts"].items():
        assert after["attempts"].get(pk) == row, f"{key} changed attempt {pk}"
    for pk, row in before["enrollments"].items():
        assert after["enrollments"][pk][:2] == row[:2], f"{key} moved enrollment {pk}"
        assert after["enrollments"][pk][4] == row[4] or row[4] is None, key
    assert {pk: v for pk, v in after["choices"].items() if pk in before["choices"]} == before["choices"], key

    # New rows carry none of the injected values.
    new_users = User.objects.exclude(pk__in=before["users"])
    assert not new_users.filter(is_staff=True).exists() and not new_users.filter(is_superuser=True).exists(), key
    for model in apps.get_models():
        assert not model.objects.filter(pk=SENTINEL_ID).exists(), (
            f"{key} created {model.__name__} with id {SENTINEL_ID}"
        )
    assert not Certificate.objects.filter(code="FORGED-CODE").exists(), key
    assert not Certificate.objects.filter(revoked=True).exists(), key
    assert not Enrollment.objects.filter(completed_at__year=2001).exists(), key
    assert not QuizAttempt.objects.filter(deadline__year=2001).exists(), key
    assert not QuizAttempt.objects.filter(number=99).exists(), key
    assert world.course_b.modules.count() == 1, f"{key} wrote into course B"
    assert set(WebhookSubscription.objects.values_list("owner", flat=True)) <= {
        world.users[actor].pk,
        world.users["instructor"].pk,
    }
    for attempt in QuizAttempt.objects.exclude(pk__in=before["attempts"]):
        assert attempt.learner_id == world.users[actor].pk, key
        assert attempt.score in (0, None) and not attempt.passed, f"{key}: the client's score was taken"
    new_enrollments = Enrollment.objects.exclude(pk__in=before["enrollments"])
    assert not new_enrollments.filter(status="completed").exists(), key
    assert not new_enrollments.filter(progress=100).exists(), key


def test_every_write_operation_is_covered():
    writes = {op for op in schema_operations() if op[0] in {"POST", "PATCH", "PUT"}}
    # The import takes a zip, not JSON fields; its own tests cover what an archive may set.
    assert writes - {("POST", "/api/courses/import/")} == set(WRITES)


def project_serializer_modules():
    for app in ("accounts", "courseware", "lessons", "quizzes", "notifications", "events", "config"):
        package = importlib.import_module(app)
        for info in pkgutil.walk_packages(package.__path__, f"{app}."):
            if "serializers" in info.name.rsplit(".", 1)[-1]:
                yield importlib.import_module(info.name)


def test_no_serializer_uses_all_fields():
    checked = 0
    for module in project_serializer_modules():
        for obj in vars(module).values():
            if (
                isinstance(obj, type)
                and issubclass(obj, serializers.BaseSerializer)
                and obj.__module__ == module.__name__
            ):
                checked += 1
                meta = getattr(obj, "Meta", None)
                assert getattr(meta, "fields", None) != "__all__", f"{module.__name__}.{obj.__name__}"
                assert not getattr(meta, "exclude", None), f"{module.__name__}.{obj.__name__} uses exclude"
    assert checked > 20


def walk(value, path=""):
    if isinstance(value, dict):
        for k, v in value.items():
            yield f"{path}.{k}", k, v
            yield from walk(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from walk(v, f"{path}[{i}]")


def dicts(value):
    if isinstance(value, dict):
        yield value
        for v in value.values():
            yield from dicts(v)
    elif isinstance(value, list):
        for v in value:
            yield from dicts(v)


@pytest.mark.django_db
def test_nothing_a_learner_can_get_exposes_secrets():
    world = build_world()
    learner = world.users["learner"]
    tokens = [token_for(u) for u in world.users.values()]
    others = [u.email for name, u in world.users.items() if name != "learner"] + [world.co_instructor.email]
    gets = [key for key in MATRIX if key[0] == "GET" and key[1] != "/api/me/"]
    crawled = 0
    kinds_seen: set[str] = set()
    for _, path in gets:
        response = call(world, "learner", "GET", path)
        if response.status_code != 200 or not response["Content-Type"].startswith("application/json"):
            continue
        crawled += 1
        text = response.content.decode()
        assert "password" not in text.lower() and "pbkdf2_" not in text and "md5$" not in text, path
        for key in tokens:
            assert key not in text, f"{path} shows a token"
        for email in others:
            assert email not in text, f"{path} shows another user's email"
        for where, k, v in walk(json.loads(text)):
            assert not (k == "is_correct" and isinstance(v, bool)), f"{path}: {where} reveals the right answer"
            assert not (k == "key" and v is not None), f"{path}: {where} reveals the key"
        for v in dicts(json.loads(text)):
            if v.get("kind") in QUESTION_KINDS and "id" in v and "text" in v:
                leaked = KEY_FIELDS & set(v) | {"prompts[].option" for x in v.get("prompts", []) if "option" in x}
                assert not leaked, f"{path}: question {v['id']} ({v['kind']}) shows {leaked}"
                if v["kind"] == "ordering":
                    key = list(Choice.objects.filter(question_id=v["id"], role="item").order_by("position"))
                    assert [i["id"] for i in v["items"]] != [c.pk for c in key], f"{path}: items in the right order"
                kinds_seen.add(v["kind"])
    assert crawled >= 8
    assert kinds_seen == QUESTION_KINDS, "the crawl should meet a question of every kind"
    assert learner.email in world.client("learner").get("/api/me/").content.decode()
