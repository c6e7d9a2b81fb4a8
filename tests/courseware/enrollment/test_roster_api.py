"""Enrollment management: the roster (paged, filtered, searched, sorted, CSV), bulk enrollment by JSON
or CSV upload (admins), drops that keep progress, and the audit trail with who acted."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from courseware.models import Enrollment, EnrollmentEvent
from lessons.models import LessonCompletion
from tests.conftest import client_for
from tests.factories import EnrollmentFactory, InstructorFactory, LessonCompletionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(db):
    return {
        name: UserFactory(username=name, email=f"{name}@example.com") for name in ("ada", "bob", "cy", "dee", "eve")
    }


@pytest.fixture
def roster(course, people):
    EnrollmentFactory(course=course, learner=people["ada"], status=Enrollment.Status.COMPLETED, progress=100)
    EnrollmentFactory(course=course, learner=people["bob"], progress=40)
    EnrollmentFactory(course=course, learner=people["cy"], status=Enrollment.Status.DROPPED, progress=10)
    return course


def csv_rows(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


# --- Reading the roster ---------------------------------------------------------------------------------
def test_instructors_and_admins_read_the_roster(roster, instructor, admin_user):
    for user in (instructor, admin_user):
        r = client_for(user).get(f"/api/courses/{roster.slug}/enrollments/")
        assert r.status_code == 200
        page = r.json()
        assert page["count"] == 3
        assert [e["learner"] for e in page["results"]] == ["ada", "bob", "cy"]
        first = page["results"][0]
        assert set(first) >= {"id", "learner", "learner_email", "status", "progress", "enrolled_at", "completed_at"}
        assert (first["learner_email"], first["status"], first["progress"]) == ("ada@example.com", "completed", 100)


def test_roster_filters_searches_and_sorts(roster, instructor):
    client = client_for(instructor)
    url = f"/api/courses/{roster.slug}/enrollments/"
    assert [e["learner"] for e in client.get(url, {"status": "active"}).json()["results"]] == ["bob"]
    assert [e["learner"] for e in client.get(url, {"search": "cy@exa"}).json()["results"]] == ["cy"]
    assert [e["learner"] for e in client.get(url, {"search": "BO"}).json()["results"]] == ["bob"]
    assert [e["learner"] for e in client.get(url, {"ordering": "-progress"}).json()["results"]] == ["ada", "bob", "cy"]
    assert client.get(url, {"status": "nonsense"}).status_code == 400


def test_roster_is_not_for_learners_or_other_instructors(roster, people):
    enrolled = client_for(people["ada"])
    assert enrolled.get(f"/api/courses/{roster.slug}/enrollments/").status_code == 403
    assert client_for(InstructorFactory()).get(f"/api/courses/{roster.slug}/enrollments/").status_code == 403
    assert client_for(InstructorFactory()).get(f"/api/courses/{roster.slug}/enrollments/export/").status_code == 403


def test_roster_csv_export(roster, instructor, people):
    people["bob"].first_name, people["bob"].last_name = "=HYPERLINK(1)", "Bobson"
    people["bob"].save()
    client = client_for(instructor)
    r = client.get(f"/api/courses/{roster.slug}/enrollments/export/")
    assert r.status_code == 200
    assert r["Content-Type"].startswith("text/csv")
    assert "attachment" in r["Content-Disposition"]
    rows = csv_rows(r)
    assert [(row["username"], row["email"], row["status"], row["progress"]) for row in rows] == [
        ("ada", "ada@example.com", "completed", "100"),
        ("bob", "bob@example.com", "active", "40"),
        ("cy", "cy@example.com", "dropped", "10"),
    ]
    assert rows[1]["name"].startswith("'=")  # no spreadsheet formulas
    filtered = csv_rows(client.get(f"/api/courses/{roster.slug}/enrollments/export/", {"status": "dropped"}))
    assert [row["username"] for row in filtered] == ["cy"]
    # The same CSV from the roster itself.
    r = client.get(f"/api/courses/{roster.slug}/enrollments/", {"format": "csv"})
    assert r.status_code == 200 and [row["username"] for row in csv_rows(r)] == ["ada", "bob", "cy"]


def test_csv_download_errors_answer_json(roster, learner):
    r = client_for(learner).get(f"/api/courses/{roster.slug}/enrollments/export/", HTTP_ACCEPT="text/csv")
    assert r.status_code == 403 and r["Content-Type"] == "application/json" and r.json()["detail"]


# --- Bulk enrollment ------------------------------------------------------------------------------------
def test_admins_bulk_enroll_by_username_or_email(roster, admin_user, people):
    client = client_for(admin_user)
    url = f"/api/courses/{roster.slug}/enrollments/"
    r = client.post(url, {"learners": ["DEE", "eve@example.com", "bob", "cy", "nobody", "dee@example.com"]})
    assert r.status_code == 201, r.json()
    body = r.json()
    assert sorted(body["enrolled"]) == ["DEE", "cy", "eve@example.com"]  # cy was dropped: restored
    assert sorted(body["already_enrolled"]) == ["bob", "dee@example.com"]
    assert body["unknown"] == ["nobody"]
    assert Enrollment.objects.filter(course=roster).exclude(status="dropped").count() == 5

    again = client.post(url, {"learners": ["dee", "eve", "ada"]})
    assert again.status_code == 200
    assert again.json() == {"enrolled": [], "already_enrolled": ["dee", "eve", "ada"], "unknown": []}
    assert Enrollment.objects.filter(course=roster).count() == 5
    actors = set(EnrollmentEvent.objects.filter(enrollment__course=roster, action__in=["enrolled", "reenrolled"])
                 .values_list("actor__username", flat=True))  # fmt: skip
    assert actors == {admin_user.username}


def test_bulk_enroll_from_a_csv_upload(course, admin_user, people):
    client = client_for(admin_user)
    url = f"/api/courses/{course.slug}/enrollments/"
    upload = SimpleUploadedFile(
        "class.csv", b"\xef\xbb\xbfname,email,username\nAda,ada@example.com,\nBob,,bob\nX,x@nowhere.test,\n"
    )
    r = client.post(url, {"file": upload}, format="multipart")
    assert r.status_code == 201, r.json()
    assert r.json() == {"enrolled": ["ada@example.com", "bob"], "already_enrolled": [], "unknown": ["x@nowhere.test"]}

    single = SimpleUploadedFile("one.csv", b"username\ncy\nada\n\n")
    r = client.post(url, {"file": single}, format="multipart")
    assert r.json() == {"enrolled": ["cy"], "already_enrolled": ["ada"], "unknown": []}

    headerless = SimpleUploadedFile("bare.csv", b"dee\neve@example.com\n")
    assert client.post(url, {"file": headerless}, format="multipart").json()["enrolled"] == ["dee", "eve@example.com"]

    no_column = SimpleUploadedFile("bad.csv", b"name,phone\nAda,123\n")
    r = client.post(url, {"file": no_column}, format="multipart")
    assert r.status_code == 400 and "file" in r.json()
    assert client.post(url, {"learners": []}, format="json").status_code == 400


def test_overlapping_bulk_requests_never_duplicate(course, admin_user, people):
    client = client_for(admin_user)
    url = f"/api/courses/{course.slug}/enrollments/"
    client.post(url, {"learners": ["ada", "bob", "cy"]})
    client.post(url, {"learners": ["cy", "dee", "ADA@example.com"]})
    assert Enrollment.objects.filter(course=course).count() == 4
    assert EnrollmentEvent.objects.filter(enrollment__course=course, action="enrolled").count() == 4


def test_instructors_may_not_enroll_or_drop(roster, instructor, people):
    client = client_for(instructor)
    assert client.post(f"/api/courses/{roster.slug}/enrollments/", {"learners": ["dee"]}).status_code == 403
    enrollment = Enrollment.objects.get(course=roster, learner=people["bob"])
    assert client.delete(f"/api/courses/{roster.slug}/enrollments/{enrollment.pk}/").status_code == 403
    enrollment.refresh_from_db()
    assert enrollment.status == "active"
    assert not Enrollment.objects.filter(learner=people["dee"]).exists()


# --- Drops and the audit trail --------------------------------------------------------------------------
def test_an_admin_drops_an_enrollment_and_progress_is_kept(roster, admin_user, people, instructor):
    bob = people["bob"]
    enrollment = Enrollment.objects.get(course=roster, learner=bob)
    lesson = roster.lessons.first()
    LessonCompletionFactory(learner=bob, lesson=lesson)
    client = client_for(admin_user)

    assert client.delete(f"/api/courses/{roster.slug}/enrollments/{enrollment.pk}/").status_code == 204
    assert client.delete(f"/api/courses/{roster.slug}/enrollments/{enrollment.pk}/").status_code == 204  # idempotent
    enrollment.refresh_from_db()
    assert enrollment.status == "dropped" and enrollment.progress == 40
    assert LessonCompletion.objects.filter(learner=bob, lesson=lesson).exists()

    # Re-enrolling restores it.
    client.post(f"/api/courses/{roster.slug}/enrollments/", {"learners": ["bob"]})
    enrollment.refresh_from_db()
    assert enrollment.status == "active" and enrollment.progress > 0

    r = client_for(instructor).get(f"/api/courses/{roster.slug}/enrollments/{enrollment.pk}/events/")
    assert r.status_code == 200
    trail = [(e["action"], e["actor"]) for e in r.json()["results"]]
    assert trail == [("dropped", admin_user.username), ("reenrolled", admin_user.username)]
    assert all(e["at"] for e in r.json()["results"])


def test_enrollments_of_another_course_are_not_found_through_this_one(roster, admin_user, course):
    from tests.factories import build_course

    other = build_course(modules=1)
    foreign = EnrollmentFactory(course=other)
    client = client_for(admin_user)
    assert client.delete(f"/api/courses/{roster.slug}/enrollments/{foreign.pk}/").status_code == 404
    assert client.get(f"/api/courses/{roster.slug}/enrollments/{foreign.pk}/events/").status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == "active"


def test_learner_self_service_events_carry_the_learner_as_actor(course, learner, instructor):
    client = client_for(learner)
    enrollment_id = client.post(f"/api/courses/{course.slug}/enroll/").json()["id"]
    client.delete(f"/api/enrollments/{enrollment_id}/")
    r = client_for(instructor).get(f"/api/courses/{course.slug}/enrollments/{enrollment_id}/events/")
    assert [(e["action"], e["actor"]) for e in r.json()["results"]] == [
        ("enrolled", learner.username),
        ("dropped", learner.username),
    ]
