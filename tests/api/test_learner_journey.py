"""A learner's whole journey through the contract, as a client written from API.md would make it."""

import pytest
from django.core import mail
from rest_framework.test import APIClient

from courseware.models import Certificate
from tests.factories import build_course

pytestmark = pytest.mark.django_db


def test_register_login_enroll_learn_pass_and_get_certificate(django_capture_on_commit_callbacks):
    course = build_course(modules=2, lessons_per_module=2)
    client = APIClient()
    r = client.post(
        "/api/auth/register/", {"username": "ada", "email": "ada@example.com", "password": "a-long-secret-42"}
    )
    assert r.status_code == 201, r.json()
    assert set(r.json()) >= {"id", "username", "email"}
    r = client.post("/api/auth/token/", {"username": "ada", "password": "a-long-secret-42"})
    assert r.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Token {r.json()['token']}")
    assert client.get("/api/me/").json()["roles"] == ["learner"]

    catalog = client.get("/api/courses/").json()
    assert course.slug in [c["slug"] for c in catalog["results"]]

    r = client.post(f"/api/courses/{course.slug}/enroll/")
    assert r.status_code == 201
    enrollment_id = r.json()["id"]
    r = client.post(f"/api/courses/{course.slug}/enroll/")
    assert r.status_code == 200 and r.json()["id"] == enrollment_id

    detail = client.get(f"/api/courses/{course.slug}/").json()
    for module in detail["modules"]:
        for lesson in module["lessons"]:
            assert lesson["completed"] is False
            body = client.get(f"/api/lessons/{lesson['id']}/")
            assert body.status_code == 200 and body.json()["body_html"]
            with django_capture_on_commit_callbacks(execute=True):
                assert client.post(f"/api/lessons/{lesson['id']}/complete/").status_code == 200
        for quiz in module["quizzes"]:
            shown = client.get(f"/api/quizzes/{quiz['id']}/").json()
            assert all("is_correct" not in c for q in shown["questions"] for c in q["choices"])
            from quizzes.models import Quiz
            from tests.factories import right_answers

            with django_capture_on_commit_callbacks(execute=True):
                answers = right_answers(Quiz.objects.get(pk=quiz["id"]))
                r = client.post(f"/api/quizzes/{quiz['id']}/attempts/", {"answers": answers})
            assert r.status_code == 201, r.json()
            assert r.json()["score"] == 100 and r.json()["passed"] is True

    progress = client.get(f"/api/courses/{course.slug}/progress/").json()
    assert progress["progress"] == 100
    assert progress["status"] == "completed"
    assert progress["certificate"]["code"]
    assert Certificate.objects.filter(course=course).count() == 1
    assert [m.subject for m in mail.outbox].count(mail.outbox[-1].subject) == 1
    code = progress["certificate"]["code"]
    public = APIClient().get(f"/api/certificates/{code}/")
    assert public.status_code == 200
    assert public.json()["revoked"] is False
