"""Self-enrollment, the caller's enrollments, dropping and re-enrolling, through the HTTP API."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from courseware.models import Enrollment, EnrollmentEvent
from tests.conftest import client_for
from tests.factories import CourseFactory, EnrollmentFactory, UserFactory, build_course

pytestmark = pytest.mark.django_db


def enroll(client, course):
    return client.post(f"/api/courses/{course.slug}/enroll/")


def test_enroll_is_201_then_200_with_the_same_enrollment():
    course = build_course()
    learner = UserFactory()
    client = client_for(learner)
    first = enroll(client, course)
    assert first.status_code == 201, first.json()
    body = first.json()
    assert {"id", "course", "status"} <= set(body)
    assert body["course"] == course.slug and body["status"] == "active" and body["progress"] == 0
    again = enroll(client, course)
    assert again.status_code == 200
    assert again.json()["id"] == body["id"]
    assert Enrollment.objects.filter(learner=learner, course=course).count() == 1
    assert EnrollmentEvent.objects.filter(enrollment_id=body["id"], action="enrolled").count() == 1


def test_enroll_an_unpublished_course_is_404():
    course = build_course(is_published=False)
    r = enroll(client_for(UserFactory()), course)
    assert r.status_code == 404 and "detail" in r.json()
    assert not Enrollment.objects.exists()


def test_enroll_an_unknown_course_is_404():
    r = client_for(UserFactory()).post("/api/courses/nope/enroll/")
    assert r.status_code == 404


def test_enroll_anonymous_is_401():
    course = build_course()
    r = enroll(APIClient(), course)
    assert r.status_code == 401
    assert not Enrollment.objects.exists()


def test_enroll_before_the_window_opens_is_400_with_the_reason():
    course = CourseFactory(enrollment_opens_at=timezone.now() + timedelta(days=2))
    r = enroll(client_for(UserFactory()), course)
    assert r.status_code == 400
    assert "opens" in r.json()["detail"].lower()
    assert r.json()["code"] == "enrollment_not_open"
    assert not Enrollment.objects.exists()


def test_enroll_after_the_window_closed_is_400_with_the_reason():
    now = timezone.now()
    course = CourseFactory(enrollment_opens_at=now - timedelta(days=9), enrollment_closes_at=now - timedelta(days=1))
    r = enroll(client_for(UserFactory()), course)
    assert r.status_code == 400
    assert "closed" in r.json()["detail"].lower()
    assert r.json()["code"] == "enrollment_closed"


def test_enroll_inside_the_window_works():
    now = timezone.now()
    course = CourseFactory(enrollment_opens_at=now - timedelta(days=1), enrollment_closes_at=now + timedelta(days=1))
    assert enroll(client_for(UserFactory()), course).status_code == 201


def test_enroll_a_full_course_is_400_with_the_reason():
    course = CourseFactory(capacity=2)
    assert enroll(client_for(UserFactory()), course).status_code == 201
    assert enroll(client_for(UserFactory()), course).status_code == 201
    r = enroll(client_for(UserFactory()), course)
    assert r.status_code == 400
    assert "full" in r.json()["detail"].lower()
    assert r.json()["code"] == "course_full"
    assert Enrollment.objects.filter(course=course).count() == 2


def test_a_dropped_place_frees_capacity_and_an_enrolled_learner_is_not_refused():
    course = CourseFactory(capacity=1)
    first = UserFactory()
    r = enroll(client_for(first), course)
    # Already enrolled: the idempotent answer, even though the course is now full.
    assert enroll(client_for(first), course).status_code == 200
    assert enroll(client_for(UserFactory()), course).status_code == 400
    assert client_for(first).delete(f"/api/enrollments/{r.json()['id']}/").status_code == 204
    assert enroll(client_for(UserFactory()), course).status_code == 201
    # The dropped learner cannot take the place back now that it is taken.
    assert enroll(client_for(first), course).status_code == 400


def test_drop_keeps_progress_and_re_enrolling_restores_it(django_capture_on_commit_callbacks):
    course = build_course(modules=1, lessons_per_module=2)
    learner = UserFactory()
    client = client_for(learner)
    enrollment_id = enroll(client, course).json()["id"]
    lesson = course.lessons.order_by("position").first()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(f"/api/lessons/{lesson.pk}/complete/")
    assert done.status_code in (200, 202)
    before = client.get(f"/api/enrollments/{enrollment_id}/").json()["progress"]
    assert before > 0

    r = client.delete(f"/api/enrollments/{enrollment_id}/")
    assert r.status_code == 204
    dropped = client.get(f"/api/enrollments/{enrollment_id}/").json()
    assert dropped["status"] == "dropped" and dropped["progress"] == before
    # Dropped learners lose access to the content...
    assert client.get(f"/api/lessons/{lesson.pk}/").status_code == 403
    # ...dropping again is harmless.
    assert client.delete(f"/api/enrollments/{enrollment_id}/").status_code == 204

    again = enroll(client, course)
    assert again.status_code == 201
    assert again.json()["id"] == enrollment_id
    assert again.json()["status"] == "active"
    assert again.json()["progress"] == before
    lesson_body = client.get(f"/api/lessons/{lesson.pk}/").json()
    assert lesson_body["completed"] is True
    detail = client.get(f"/api/courses/{course.slug}/").json()
    completed = {item["id"]: item["completed"] for m in detail["modules"] for item in m["lessons"]}
    assert completed[lesson.pk] is True
    assert client.get(f"/api/courses/{course.slug}/progress/").json()["completed_lessons"] == 1
    actions = list(EnrollmentEvent.objects.filter(enrollment_id=enrollment_id).values_list("action", flat=True))
    assert sorted(actions) == ["dropped", "enrolled", "reenrolled"]


def test_another_learners_enrollment_is_404_on_get_and_delete():
    course = build_course()
    owner = EnrollmentFactory(course=course)
    intruder = client_for(UserFactory())
    assert intruder.get(f"/api/enrollments/{owner.pk}/").status_code == 404
    assert intruder.delete(f"/api/enrollments/{owner.pk}/").status_code == 404
    owner.refresh_from_db()
    assert owner.status == "active"


def test_unknown_enrollment_is_404():
    client = client_for(UserFactory())
    assert client.get("/api/enrollments/999999/").status_code == 404
    assert client.delete("/api/enrollments/999999/").status_code == 404
    assert client.get("/api/enrollments/abc/").status_code == 404
    assert client.delete("/api/enrollments/abc/").status_code == 404
    assert client.delete("/api/enrollments/99999999999999999999/").status_code == 404


def test_list_contains_only_the_callers_enrollments():
    learner = UserFactory()
    mine = [EnrollmentFactory(learner=learner, course=build_course(modules=1)) for _ in range(3)]
    EnrollmentFactory.create_batch(4)
    r = client_for(learner).get("/api/enrollments/")
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 3
    assert sorted(e["id"] for e in body["results"]) == sorted(e.pk for e in mine)
    for row in body["results"]:
        assert {"course", "progress", "status"} <= set(row)
        assert isinstance(row["course"], str)
        assert 0 <= row["progress"] <= 100
        assert row["status"] in ("active", "completed", "dropped")


def test_list_filters_by_status_and_course():
    learner = UserFactory()
    a, b = build_course(modules=1), build_course(modules=1)
    EnrollmentFactory(learner=learner, course=a)
    EnrollmentFactory(learner=learner, course=b, status="dropped")
    client = client_for(learner)
    assert [e["course"] for e in client.get("/api/enrollments/", {"status": "dropped"}).json()["results"]] == [b.slug]
    assert [e["course"] for e in client.get("/api/enrollments/", {"course": a.slug}).json()["results"]] == [a.slug]


def test_enrollments_anonymous_is_401():
    enrollment = EnrollmentFactory()
    client = APIClient()
    assert client.get("/api/enrollments/").status_code == 401
    assert client.get(f"/api/enrollments/{enrollment.pk}/").status_code == 401
    assert client.delete(f"/api/enrollments/{enrollment.pk}/").status_code == 401


def test_enrollments_cannot_be_created_or_edited_through_the_list():
    learner = UserFactory()
    enrollment = EnrollmentFactory(learner=learner)
    client = client_for(learner)
    assert client.post("/api/enrollments/", {"course": enrollment.course.slug}, format="json").status_code == 405
    r = client.patch(f"/api/enrollments/{enrollment.pk}/", {"status": "completed", "progress": 100}, format="json")
    assert r.status_code == 405
    enrollment.refresh_from_db()
    assert enrollment.status == "active" and enrollment.progress == 0


def test_dropping_a_completed_course_and_re_enrolling_restores_completion(django_capture_on_commit_callbacks):
    from django.core import mail

    from courseware.models import Certificate
    from quizzes.models import Quiz
    from tests.factories import right_answers

    course = build_course(modules=1, lessons_per_module=1)
    learner = UserFactory()
    client = client_for(learner)
    with django_capture_on_commit_callbacks(execute=True):
        enrollment_id = enroll(client, course).json()["id"]
        client.post(f"/api/lessons/{course.lessons.get().pk}/complete/")
        quiz = Quiz.objects.get(course=course)
        client.post(f"/api/quizzes/{quiz.pk}/attempts/", {"answers": right_answers(quiz)}, format="json")
    assert client.get(f"/api/enrollments/{enrollment_id}/").json()["status"] == "completed"
    code = Certificate.objects.get(learner=learner, course=course).code
    sent = len(mail.outbox)

    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(f"/api/enrollments/{enrollment_id}/").status_code == 204
    dropped = client.get(f"/api/enrollments/{enrollment_id}/").json()
    assert dropped["status"] == "dropped" and dropped["progress"] == 100
    # The certificate stays valid while dropped.
    assert APIClient().get(f"/api/certificates/{code}/").json()["revoked"] is False

    with django_capture_on_commit_callbacks(execute=True):
        again = enroll(client, course)
    assert again.status_code == 201 and again.json()["id"] == enrollment_id
    assert again.json()["status"] == "completed" and again.json()["progress"] == 100
    assert list(Certificate.objects.filter(learner=learner, course=course).values_list("code", flat=True)) == [code]
    assert len(mail.outbox) == sent  # no second certificate email, no second welcome
