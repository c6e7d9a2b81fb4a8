"""The authorization matrix, generated from the OpenAPI schema: every operation the schema lists must
have a row in ``MATRIX`` (a new endpoint fails ``test_every_operation_is_classified`` until someone
decides who may call it), and every (operation, actor) pair is called against a fresh world.

Path parameters always name course A's objects and learner L's own rows (enrollment, certificate), so
the ``learner`` column is "the owner", ``other_learner`` is "another enrolled learner addressing L's
objects", ``outsider`` is a signed-in learner enrolled nowhere. Bodies are valid, so a refusal is about
authorization, not validation."""

import io
from urllib.parse import parse_qs, urlsplit

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from accounts.models import AuthToken
from accounts.tokens import password_reset_link, token_digest
from tests.conftest import token_for
from tests.factories import PASSWORD
from tests.security.world import ACTORS, World, build_world

A, O, L, L2, IB, IA, ADM = ACTORS  # noqa: E741


def row(anonymous, outsider, learner, other_learner, other_instructor, instructor, admin) -> dict:
    return dict(
        zip(ACTORS, (anonymous, outsider, learner, other_learner, other_instructor, instructor, admin), strict=True)
    )


def everyone(code) -> dict:
    return row(*([code] * 7))


def signed_in(code) -> dict:
    return row(401, *([code] * 6))


def authoring(ok) -> dict:
    """Writes to course A: its instructor and admins; learners and other instructors 403."""
    return row(401, 403, 403, 403, 403, ok, ok)


def own_only(ok) -> dict:
    """L's own rows: others get 404, never 403 (a 403 would say the row exists)."""
    return row(401, 404, ok, 404, 404, 404, 404)


# (method, path) → expected status per actor.
MATRIX: dict[tuple[str, str], dict] = {
    ("POST", "/api/auth/register/"): everyone(201),
    ("POST", "/api/auth/token/"): everyone(200),
    ("POST", "/api/auth/logout/"): signed_in(204),
    ("GET", "/api/auth/tokens/"): signed_in(200),
    ("DELETE", "/api/auth/tokens/{token_id}/"): own_only(204),  # L's token: another's is no token (404)
    ("POST", "/api/auth/password/"): signed_in(204),
    ("POST", "/api/auth/password/reset/"): everyone(202),
    ("POST", "/api/auth/password/reset/confirm/"): everyone(204),  # L's emailed link: whoever holds it
    ("GET", "/api/me/"): signed_in(200),
    ("PATCH", "/api/me/"): signed_in(200),
    ("POST", "/api/instructors/"): row(401, 403, 403, 403, 403, 403, 201),
    ("GET", "/api/courses/"): everyone(200),
    ("POST", "/api/courses/"): row(401, 403, 403, 403, 201, 201, 201),
    ("POST", "/api/courses/import/"): authoring(200),
    ("GET", "/api/courses/{slug}/"): everyone(200),
    ("PATCH", "/api/courses/{slug}/"): authoring(200),
    ("POST", "/api/courses/{slug}/publish/"): authoring(200),
    ("POST", "/api/courses/{slug}/unpublish/"): authoring(200),
    ("GET", "/api/courses/{slug}/export/"): authoring(200),
    ("GET", "/api/courses/{slug}/analytics/"): authoring(200),
    ("GET", "/api/courses/{slug}/versions/"): authoring(200),
    ("GET", "/api/courses/{slug}/versions/{number}/diff/"): authoring(200),
    ("POST", "/api/courses/{slug}/versions/{number}/restore/"): authoring(200),
    ("GET", "/api/courses/{slug}/instructors/"): authoring(200),
    ("POST", "/api/courses/{slug}/instructors/"): authoring(201),
    ("DELETE", "/api/courses/{slug}/instructors/{username}/"): authoring(204),
    ("POST", "/api/courses/{slug}/modules/"): authoring(201),
    ("POST", "/api/courses/{slug}/enroll/"): row(401, 201, 200, 200, 201, 201, 201),
    # The caller's own progress in a public course: not enrolled is a 403 that reveals nothing.
    ("GET", "/api/courses/{slug}/progress/"): row(401, 403, 200, 200, 403, 403, 403),
    ("GET", "/api/courses/{slug}/enrollments/"): authoring(200),
    ("POST", "/api/courses/{slug}/enrollments/"): row(401, 403, 403, 403, 403, 403, 201),
    ("GET", "/api/courses/{slug}/enrollments/export/"): authoring(200),
    ("DELETE", "/api/courses/{slug}/enrollments/{enrollment_id}/"): row(401, 403, 403, 403, 403, 403, 204),
    ("GET", "/api/courses/{slug}/enrollments/{enrollment_id}/events/"): authoring(200),
    ("GET", "/api/enrollments/"): signed_in(200),
    ("GET", "/api/enrollments/{id}/"): own_only(200),
    ("DELETE", "/api/enrollments/{id}/"): own_only(204),
    ("GET", "/api/certificates/"): signed_in(200),
    ("GET", "/api/certificates/{code}/"): everyone(200),
    ("POST", "/api/modules/{module_id}/lessons/"): authoring(201),
    ("POST", "/api/modules/{module_id}/quizzes/"): authoring(201),
    ("PATCH", "/api/modules/{module_id}/"): authoring(200),
    ("DELETE", "/api/modules/{module_id}/"): authoring(204),
    ("POST", "/api/modules/{module_id}/move/"): authoring(200),
    ("GET", "/api/lessons/{lesson_id}/"): row(401, 403, 200, 200, 403, 200, 200),
    ("PATCH", "/api/lessons/{lesson_id}/"): authoring(200),
    ("DELETE", "/api/lessons/{lesson_id}/"): authoring(204),
    ("POST", "/api/lessons/{lesson_id}/move/"): authoring(200),
    ("POST", "/api/lessons/{lesson_id}/complete/"): row(401, 403, 200, 200, 403, 403, 403),
    ("GET", "/api/quizzes/{quiz_id}/"): row(401, 403, 200, 200, 403, 200, 200),
    ("PATCH", "/api/quizzes/{quiz_id}/"): authoring(200),
    ("DELETE", "/api/quizzes/{quiz_id}/"): authoring(204),
    ("POST", "/api/quizzes/{quiz_id}/move/"): authoring(200),
    ("POST", "/api/quizzes/{quiz_id}/regrade/"): authoring(200),  # the body asks for a dry run
    ("GET", "/api/quizzes/{quiz_id}/regrades/"): authoring(200),
    ("GET", "/api/quizzes/{quiz_id}/overrides/"): authoring(200),
    ("POST", "/api/quizzes/{quiz_id}/overrides/"): authoring(200),
    ("GET", "/api/quizzes/{quiz_id}/attempts/"): row(401, 403, 200, 200, 403, 403, 403),
    ("POST", "/api/quizzes/{quiz_id}/attempts/"): row(401, 403, 201, 201, 403, 403, 403),
    ("POST", "/api/quizzes/{quiz_id}/attempts/start/"): row(401, 403, 201, 201, 403, 403, 403),
    # Outbound events: admins and instructors (their courses) read the feed and subscribe; learners 403.
    ("GET", "/api/events/"): row(401, 403, 403, 403, 200, 200, 200),
    ("GET", "/api/webhooks/"): row(401, 403, 403, 403, 200, 200, 200),
    ("POST", "/api/webhooks/"): row(401, 403, 403, 403, 201, 201, 201),
    # IA's subscription: only its owner sees it; other instructors and admins 404 (it is not theirs).
    ("GET", "/api/webhooks/{subscription_id}/"): row(401, 403, 403, 403, 404, 200, 404),
    ("PATCH", "/api/webhooks/{subscription_id}/"): row(401, 403, 403, 403, 404, 200, 404),
    ("DELETE", "/api/webhooks/{subscription_id}/"): row(401, 403, 403, 403, 404, 204, 404),
    ("POST", "/api/webhooks/{subscription_id}/rotate-secret/"): row(401, 403, 403, 403, 404, 200, 404),
    ("GET", "/api/webhooks/{subscription_id}/deliveries/"): row(401, 403, 403, 403, 404, 200, 404),
    ("POST", "/api/webhooks/{subscription_id}/deliveries/{delivery_id}/redeliver/"): row(
        401, 403, 403, 403, 404, 202, 404
    ),
    ("POST", "/api/webhooks/{subscription_id}/replay/"): row(401, 403, 403, 403, 404, 202, 404),
}

PUBLIC = {
    ("POST", "/api/auth/register/"),
    ("POST", "/api/auth/token/"),
    ("POST", "/api/auth/password/reset/"),
    ("POST", "/api/auth/password/reset/confirm/"),
    ("GET", "/api/courses/"),
    ("GET", "/api/courses/{slug}/"),
    ("GET", "/api/certificates/{code}/"),
}


def schema_operations() -> list[tuple[str, str]]:
    document = SchemaGenerator().get_schema(request=None, public=True)
    return sorted(
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    )


def test_every_operation_is_classified():
    operations = set(schema_operations())
    missing = operations - MATRIX.keys()
    stale = MATRIX.keys() - operations
    assert not missing, f"operations with no row in MATRIX (decide who may call them): {sorted(missing)}"
    assert not stale, f"rows in MATRIX for operations the schema no longer lists: {sorted(stale)}"


def test_anonymous_gets_401_on_every_non_public_operation():
    for key, expected in MATRIX.items():
        assert (expected["anonymous"] == 401) == (key not in PUBLIC), key


def path_for(world: World, template: str) -> str:
    return template.format(
        slug=world.course.slug,
        number=1,
        username=world.co_instructor.username,
        enrollment_id=world.enrollment.pk,
        id=world.enrollment.pk,
        code=world.certificate.code,
        module_id=world.module.pk,
        lesson_id=world.lesson.pk,
        quiz_id=world.quiz.pk,
        token_id=learner_token_id(world) if "{token_id}" in template else 0,
        subscription_id=world.subscription.pk,
        delivery_id=world.delivery.pk,
    )


def reset_link_body(user) -> dict:
    """What L's reset email carries (``accounts.tokens.password_reset_link``), with a new password."""
    uid, token = parse_qs(urlsplit(password_reset_link(user=user)).query).values()
    return {"uid": uid[0], "token": token[0], "new_password": "a-new-long-passphrase-8"}


def learner_token_id(world: World) -> int:
    """The id of the token L's client signs in with."""
    return AuthToken.objects.get(digest=token_digest(token_for(world.users["learner"]))).pk


def course_zip(world: World) -> bytes:
    response = world.client("admin").get(f"/api/courses/{world.course.slug}/export/")
    assert response.status_code == 200
    return b"".join(response.streaming_content) if response.streaming else response.content


def body_for(world: World, method: str, template: str, actor: str) -> dict | None:
    """A minimal valid body for the operation (None: it takes none)."""
    n = ACTORS.index(actor)
    bodies = {
        ("POST", "/api/auth/register/"): {
            "username": f"newcomer{n}",
            "email": f"newcomer{n}@example.com",
            "password": "a-long-enough-passphrase-9",
        },
        ("POST", "/api/auth/token/"): {"username": world.users["learner"].username, "password": PASSWORD},
        ("PATCH", "/api/me/"): {"first_name": "Renamed"},
        ("POST", "/api/auth/password/"): {"old_password": PASSWORD, "new_password": "a-new-long-passphrase-8"},
        ("POST", "/api/auth/password/reset/"): {"email": world.users["learner"].email},
        ("POST", "/api/auth/password/reset/confirm/"): reset_link_body(world.users["learner"]),
        ("POST", "/api/instructors/"): {"username": world.users["outsider"].username},
        ("POST", "/api/courses/"): {"slug": f"new-course-{n}", "title": "New course", "summary": "New."},
        ("PATCH", "/api/courses/{slug}/"): {"title": "Renamed course"},
        ("POST", "/api/courses/{slug}/instructors/"): {"username": world.users["other_instructor"].username},
        ("POST", "/api/courses/{slug}/modules/"): {"title": "New module", "position": 1},
        ("POST", "/api/courses/{slug}/enrollments/"): {"learners": [world.users["outsider"].username]},
        ("POST", "/api/modules/{module_id}/lessons/"): {
            "slug": "new-lesson",
            "title": "New lesson",
            "body_markdown": "Text.",
            "position": 1,
        },
        ("POST", "/api/modules/{module_id}/quizzes/"): {
            "title": "New quiz",
            "pass_percent": 50,
            "max_attempts": 2,
            "position": 1,
            "questions": [
                {"text": "Q?", "kind": "single", "choices": [{"text": "a", "is_correct": True}, {"text": "b"}]}
            ],
        },
        ("PATCH", "/api/modules/{module_id}/"): {"title": "Renamed module"},
        ("POST", "/api/modules/{module_id}/move/"): {"position": 2},
        ("PATCH", "/api/lessons/{lesson_id}/"): {"title": "Renamed lesson"},
        ("POST", "/api/lessons/{lesson_id}/move/"): {"position": 2},
        ("PATCH", "/api/quizzes/{quiz_id}/"): {"title": "Renamed quiz"},
        ("POST", "/api/quizzes/{quiz_id}/move/"): {"position": 1},
        ("POST", "/api/quizzes/{quiz_id}/regrade/"): {"dry_run": True},
        ("POST", "/api/quizzes/{quiz_id}/overrides/"): {
            "learner": world.users["learner"].username,
            "extra_attempts": 1,
        },
        ("POST", "/api/quizzes/{quiz_id}/attempts/"): {"answers": world.answers()},
        ("POST", "/api/webhooks/"): {"url": "https://93.184.215.14/in", "events": ["course.completed"]},
        ("PATCH", "/api/webhooks/{subscription_id}/"): {"events": ["course.completed"]},
        ("POST", "/api/webhooks/{subscription_id}/replay/"): {"after": 0},
    }
    return bodies.get((method, template))


def call(world: World, actor: str, method: str, template: str):
    client: APIClient = world.client(actor)
    path = path_for(world, template)
    if (method, template) == ("POST", "/api/courses/import/"):
        archive = io.BytesIO(course_zip(world))
        archive.name = "course.zip"
        return client.post(path, {"file": archive}, format="multipart")
    body = body_for(world, method, template, actor)
    return getattr(client, method.lower())(path, body, format="json")


CASES = [(method, path, actor) for (method, path), expected in MATRIX.items() for actor in expected]


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path", "actor"), CASES, ids=[f"{m} {p} {a}" for m, p, a in CASES])
def test_matrix(method, path, actor):
    world = build_world()
    expected = MATRIX[(method, path)][actor]
    response = call(world, actor, method, path)
    assert response.status_code == expected, (
        f"{method} {path} as {actor}: {response.status_code} (expected {expected}) "
        f"{getattr(response, 'content', b'')[:300]!r}"
    )
    if response.status_code >= 400:
        assert response["Content-Type"].startswith("application/json")


@pytest.mark.django_db
def test_lists_never_contain_another_learners_rows():
    world = build_world()
    mine = world.enrollment
    client = world.client("other_learner")
    enrollments = client.get("/api/enrollments/").json()["results"]
    assert enrollments and all(e["id"] != mine.pk for e in enrollments)
    assert client.get("/api/certificates/").json()["results"] == []
    attempts = client.get(f"/api/quizzes/{world.quiz.pk}/attempts/").json()
    attempts = attempts["results"] if isinstance(attempts, dict) else attempts
    assert all(a["id"] != world.attempt.pk for a in attempts)
    for actor in ("outsider", "other_instructor", "instructor", "admin"):
        listed = world.client(actor).get("/api/enrollments/").json()["results"]
        assert all(e["id"] not in {mine.pk, world.other_enrollment.pk} for e in listed), actor
        assert world.client(actor).get("/api/certificates/").json()["results"] == [], actor
