"""The outbox: every change the contract names writes one event in its own transaction (a rolled-back
change writes none); the dispatcher numbers committed events in commit order; the feed reads them."""

import threading

import pytest
from django.db import connection, transaction

from courseware.models import Certificate, Enrollment
from events.models import Event
from events.outbox import events_dispatch
from events.services import event_record
from learning.certificates.services import certificate_reissue, certificate_revoke
from tests.conftest import client_for
from tests.factories import AdminFactory, EnrollmentFactory, UserFactory, build_course, right_answers

pytestmark = pytest.mark.django_db(transaction=True)


def types() -> list[str]:
    return list(Event.objects.order_by("position").values_list("type", flat=True))


def test_a_learners_path_writes_each_event_once_positioned_in_order():
    course = build_course(modules=1, lessons_per_module=1, quiz_per_module=True)
    learner = UserFactory()
    client = client_for(learner)
    assert client.post(f"/api/courses/{course.slug}/enroll/").status_code == 201
    lesson = course.lessons.get()
    assert client.post(f"/api/lessons/{lesson.pk}/complete/").status_code == 200
    assert client.post(f"/api/lessons/{lesson.pk}/complete/").status_code == 200  # a repeat: no event
    quiz = course.quizzes.get()
    assert client.post(f"/api/quizzes/{quiz.pk}/attempts/", {"answers": right_answers(quiz)}).status_code == 201
    assert types() == [
        "enrollment.created",
        "lesson.completed",
        "quiz.attempt_graded",
        "course.completed",
        "certificate.issued",
    ]
    events = list(Event.objects.order_by("position"))
    assert [e.position for e in events] == sorted(e.position for e in events)
    assert all(e.position is not None and e.course_slug == course.slug for e in events)
    assert all(e.learner_id == learner.pk for e in events)
    graded = events[2]
    assert graded.data["passed"] is True and graded.data["score"] == 100.0 and graded.data["quiz"] == quiz.pk
    assert events[4].data["certificate"] == Certificate.objects.get(learner=learner).code

    enrollment = Enrollment.objects.get(learner=learner, course=course)
    assert client.delete(f"/api/enrollments/{enrollment.pk}/").status_code == 204
    assert client.post(f"/api/courses/{course.slug}/enroll/").status_code in (200, 201)
    # Restored with its progress, the enrollment is complete again at once: that is reported too.
    assert types()[5:] == ["enrollment.dropped", "enrollment.created", "course.completed"]
    assert Event.objects.get(type="enrollment.created", data__restored=True)


def test_certificate_revoked_reissued_and_course_published():
    course = build_course(modules=1, lessons_per_module=1, quiz_per_module=False, is_published=False)
    instructor = AdminFactory()
    assert client_for(instructor).post(f"/api/courses/{course.slug}/publish/").status_code == 200
    assert client_for(instructor).post(f"/api/courses/{course.slug}/publish/").status_code == 200  # no change
    enrollment = EnrollmentFactory(course=course)
    certificate = Certificate.objects.create(
        learner=enrollment.learner, course=course, learner_name="x", course_title=course.title
    )
    certificate_revoke(certificate=certificate, reason="plagiarism")
    certificate_revoke(certificate=certificate, reason="again")  # already revoked: nothing new
    certificate_reissue(certificate=certificate)
    assert types() == ["course.published", "certificate.revoked", "certificate.issued"]
    published, revoked, reissued = Event.objects.order_by("position")
    assert published.learner_id is None and published.data["title"] == course.title
    assert revoked.data == {"certificate": certificate.code, "course_title": course.title, "reason": "plagiarism"}
    assert reissued.data["replaces"] == certificate.code


def test_a_rolled_back_change_leaves_no_event():
    course = build_course(modules=1, lessons_per_module=1, quiz_per_module=False)
    learner = UserFactory()
    from courseware.enrollment.services import enrollment_create

    with pytest.raises(RuntimeError), transaction.atomic():
        enrollment_create(learner=learner, course=course)
        assert Event.objects.count() == 1  # written, inside the transaction
        raise RuntimeError("the request fails after enrolling")
    assert Event.objects.count() == 0
    assert not Enrollment.objects.filter(learner=learner).exists()


def test_an_unknown_type_is_refused():
    with pytest.raises(ValueError):
        event_record(type="enrollment.exploded", course_id=None)


def test_dispatch_is_idempotent():
    course = build_course(modules=1, lessons_per_module=1, quiz_per_module=False)
    with transaction.atomic():
        for _ in range(3):
            event_record(type="course.published", course_id=course.pk)
    positions = list(Event.objects.values_list("position", flat=True))
    assert events_dispatch() == (0, set())
    assert list(Event.objects.values_list("position", flat=True)) == positions
    assert Event.objects.filter(course_slug=course.slug).count() == 3  # the slug filled in by the dispatcher


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="two concurrent writers need PostgreSQL")
def test_positions_follow_commit_order_not_insert_order():
    """Transaction A inserts first (the smaller id) and commits last. A consumer who read past B's
    position still finds A after it: positions are handed out after commit."""
    course = build_course(modules=1, lessons_per_module=1, quiz_per_module=False)
    admin = AdminFactory()
    inserted, release = threading.Event(), threading.Event()

    def slow_writer():
        try:
            with transaction.atomic():
                event_record(type="course.published", course_id=course.pk, data={"who": "A"})
                inserted.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=slow_writer)
    thread.start()
    assert inserted.wait(10)
    event_record(type="course.published", course_id=course.pk, data={"who": "B"})  # commits first
    client = client_for(admin)
    first = client.get("/api/events/").json()
    assert [e["data"]["who"] for e in first["results"]] == ["B"]
    release.set()
    thread.join(10)
    events_dispatch()  # A's own dispatch may have run already; either way A is numbered after B
    later = client.get(f"/api/events/?after={first['next_cursor']}").json()
    assert [e["data"]["who"] for e in later["results"]] == ["A"]
    a, b = Event.objects.get(data__who="A"), Event.objects.get(data__who="B")
    assert a.pk < b.pk and a.position > b.position
