"""A learner's whole journey through the contract, as a client written from docs/api.md would make it."""

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


def test_the_seed_course_end_to_end_through_the_api(django_capture_on_commit_callbacks):
    """The seed course, imported as `make run` imports it, completed through the contract alone:
    every lesson read and completed, every quiz passed, progress 100 %, one certificate, one email
    with the PDF attached."""
    from pathlib import Path

    from django.core.management import call_command

    from quizzes.models import Quiz
    from tests.factories import right_answers

    call_command("import_course", str(Path(__file__).resolve().parents[2] / "content/selling-in-vs-selling-out"))
    client = APIClient()
    client.post(
        "/api/auth/register/", {"username": "grace", "email": "grace@example.com", "password": "s3ll-in-not-out"}
    )
    token = client.post("/api/auth/token/", {"username": "grace", "password": "s3ll-in-not-out"}).json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.post("/api/courses/selling-in-vs-selling-out/enroll/").status_code == 201

    outline = client.get("/api/courses/selling-in-vs-selling-out/").json()
    lessons = [lesson for module in outline["modules"] for lesson in module["lessons"]]
    quizzes = [quiz for module in outline["modules"] for quiz in module["quizzes"]]
    assert len(outline["modules"]) >= 5 and len(lessons) >= 8 and len(quizzes) >= 5
    for lesson in lessons:
        page = client.get(f"/api/lessons/{lesson['id']}/").json()
        assert "<h2" in page["body_html"] and "<script" not in page["body_html"]
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post(f"/api/lessons/{lesson['id']}/complete/").status_code == 200
    for quiz in quizzes:
        shown = client.get(f"/api/quizzes/{quiz['id']}/").json()
        assert all(set(c) == {"id", "text"} for q in shown["questions"] for c in q.get("choices", []))
        # The final assessment draws its questions per attempt: start one, answer what it drew.
        started = client.post(f"/api/quizzes/{quiz['id']}/attempts/start/").json()
        drawn = {q["id"] for q in started["questions"]}
        key = [a for a in right_answers(Quiz.objects.get(pk=quiz["id"])) if a["question"] in drawn]
        with django_capture_on_commit_callbacks(execute=True):
            r = client.post(f"/api/quizzes/{quiz['id']}/attempts/", {"answers": key})
        assert r.status_code == 201 and r.json()["passed"] is True

    progress = client.get("/api/courses/selling-in-vs-selling-out/progress/").json()
    assert progress["progress"] == 100 and progress["status"] == "completed"
    assert progress["completed_lessons"] == progress["total_lessons"] == len(lessons)
    code = progress["certificate"]["code"]
    certificate_mails = [m for m in mail.outbox if code in m.body]
    assert len(certificate_mails) == 1
    (attachment,) = certificate_mails[0].attachments
    assert attachment[2] == "application/pdf" and attachment[1][:4] == b"%PDF"
    assert APIClient().get(f"/api/certificates/{code}/").json()["course_title"] == "Selling In vs Selling Out"
