"""The admin's versions desk: the publish preview (the impact on enrolled learners, then the button
that publishes), the versions list with a diff, and restoring a version into the draft."""

import pytest
from django.urls import reverse

from accounts.services import instructor_grant
from courseware.models import Course, CourseVersion
from lessons.models import Lesson, LessonCompletion
from tests.factories import EnrollmentFactory, InstructorFactory, build_course

pytestmark = pytest.mark.django_db


def _staff_instructor():
    user = InstructorFactory()
    instructor_grant(user=user)  # instructors are staff: they use the admin for their own courses
    return user


def _url(name: str, course: Course) -> str:
    return reverse(f"admin:courseware_course_{name}", args=[course.pk])


def test_the_publish_preview_shows_the_impact_then_publishes(client, django_capture_on_commit_callbacks):
    instructor = _staff_instructor()
    course = build_course(modules=1, lessons_per_module=2, quiz_per_module=False)
    course.instructors.add(instructor)
    first, second = Lesson.objects.filter(course=course).order_by("position")
    for _ in range(3):
        enrollment = EnrollmentFactory(course=course)
        LessonCompletion.objects.create(learner=enrollment.learner, course=course, lesson=first)
    Lesson.objects.filter(pk=second.pk).update(body_markdown="Changed in the draft.")
    client.force_login(instructor)

    page = client.get(_url("publish_preview", course))
    assert page.status_code == 200
    impact = page.context["impact"]
    assert (impact["version"], impact["items_changed"], impact["learners_enrolled"]) == (2, 1, 3)
    html = page.content.decode()
    assert "Publish version 2" in html and "Enrolled learners: 3" in html

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(_url("publish_preview", course), {"note": "From the admin"})
    assert done.status_code == 302
    version = CourseVersion.objects.get(course=course, number=2)
    assert version.published_by == instructor and version.note == "From the admin"

    listing = client.get(_url("versions", course) + "?diff=2")
    assert listing.status_code == 200
    assert [v.number for v in listing.context["versions"]] == [2, 1]
    assert "+Changed in the draft." in listing.content.decode()

    restored = client.post(_url("versions", course), {"restore": "1"})
    assert restored.status_code == 302 and restored["Location"] == _url("publish_preview", course)
    assert Lesson.objects.get(pk=second.pk).body_markdown != "Changed in the draft."
    assert Course.objects.get(pk=course.pk).published_version == 2  # a restore is a draft until published


def test_another_instructors_course_has_no_versions_desk(client):
    course = build_course(modules=1, lessons_per_module=1, quiz_per_module=False)
    client.force_login(_staff_instructor())
    assert client.get(_url("publish_preview", course)).status_code in (302, 403, 404)
    assert client.post(_url("versions", course), {"restore": "1"}).status_code in (302, 403, 404)
    assert CourseVersion.objects.filter(course=course).count() == 1
