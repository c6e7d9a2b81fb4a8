"""``config.filters.DjangoFilterBackend``: a request that names no filter skips django-filter's form;
one that names a filter, valid or not, is answered as django-filter answers it."""

import pytest
from rest_framework.test import APIClient

from courseware.models import Enrollment
from tests.conftest import client_for
from tests.factories import CourseFactory, EnrollmentFactory, InstructorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def courses():
    teacher = InstructorFactory(username="teacher")
    CourseFactory(slug="short", title="Short", estimated_hours=1, sequential=True, instructors=[teacher])
    CourseFactory(slug="long", title="Long", estimated_hours=9)


def slugs(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [course["slug"] for course in response.json()["results"]]


def test_no_filter_named_lists_everything_whatever_else_the_query_string_holds(courses):
    assert slugs(APIClient().get("/api/courses/")) == ["long", "short"]
    assert slugs(APIClient().get("/api/courses/", {"unknown": "x", "ordering": "-title"})) == ["short", "long"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"sequential": "true"}, ["short"]),
        ({"max_hours": "5"}, ["short"]),
        ({"min_hours": "5", "ordering": "title"}, ["long"]),
        ({"instructor": "TEACHER"}, ["short"]),
    ],
)
def test_a_named_filter_filters(courses, params, expected):
    assert slugs(APIClient().get("/api/courses/", params)) == expected


@pytest.mark.parametrize(
    ("params", "field"), [({"sequential": "maybe"}, "sequential"), ({"max_hours": "many"}, "max_hours")]
)
def test_a_bad_filter_value_is_still_a_400_naming_the_filter(courses, params, field):
    r = APIClient().get("/api/courses/", params)
    assert r.status_code == 400
    assert field in r.json()


def test_an_empty_filter_value_is_no_filter_as_django_filter_reads_it(courses):
    assert slugs(APIClient().get("/api/courses/", {"min_hours": ""})) == ["long", "short"]


def test_the_roster_filters_by_status_and_refuses_an_unknown_one(course, instructor):
    EnrollmentFactory(course=course)
    EnrollmentFactory(course=course, status=Enrollment.Status.DROPPED)
    client = client_for(instructor)
    url = f"/api/courses/{course.slug}/enrollments/"
    assert client.get(url).json()["count"] == 2
    assert client.get(url, {"status": "dropped"}).json()["count"] == 1
    r = client.get(url, {"status": "bogus"})
    assert r.status_code == 400
    assert "status" in r.json()
