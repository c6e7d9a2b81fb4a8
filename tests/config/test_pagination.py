"""Pages and their totals (``config.pagination``): read in one statement where that counts the same
rows, else as Django counts them; either way the same answers, links and refusals."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tests.factories import CourseFactory, InstructorFactory

pytestmark = pytest.mark.django_db

CATALOG = "/api/courses/"


@pytest.fixture
def five_courses():
    teacher, other = InstructorFactory(username="teacher"), InstructorFactory(username="other")
    courses = [CourseFactory(slug=f"course-{i}", title=f"Course {i}", is_published=True) for i in range(5)]
    for course in courses:
        course.instructors.add(teacher)
    courses[0].instructors.add(other)  # co-taught: the instructor filter joins, and must not repeat it
    return courses


def _page(query: str) -> dict:
    response = APIClient().get(f"{CATALOG}?{query}")
    assert response.status_code == 200, response.content
    return response.json()


def test_every_page_has_the_total_and_the_links(five_courses):
    first, second, third = (_page(f"page_size=2&page={n}") for n in (1, 2, 3))
    assert [p["count"] for p in (first, second, third)] == [5, 5, 5]
    seen = [c["slug"] for p in (first, second, third) for c in p["results"]]
    assert seen == [f"course-{i}" for i in range(5)]  # by title, each once
    assert first["previous"] is None and first["next"].endswith("page=2&page_size=2")
    assert second["previous"] and second["next"].endswith("page=3&page_size=2")
    assert third["next"] is None and len(third["results"]) == 1


def test_a_page_past_the_end_is_a_404_and_an_empty_first_page_is_not(five_courses):
    past = APIClient().get(f"{CATALOG}?page_size=2&page=4")
    assert past.status_code == 404 and "Invalid page" in past.json()["detail"]
    assert _page("search=nothing-matches-this") == {"count": 0, "next": None, "previous": None, "results": []}
    assert APIClient().get(f"{CATALOG}?search=nothing-matches-this&page=2").status_code == 404
    for bad in ("0", "-1", "abc", "1.5"):
        assert APIClient().get(f"{CATALOG}?page={bad}").status_code == 404, bad


def test_the_last_page_by_name(five_courses):
    last = _page("page_size=2&page=last")
    assert last["count"] == 5 and [c["slug"] for c in last["results"]] == ["course-4"]


def test_the_instructor_filter_counts_each_course_once(five_courses):
    taught = _page("instructor=teacher&page_size=2")
    assert taught["count"] == 5 and len(taught["results"]) == 2
    co_taught = _page("instructor=other")
    assert co_taught["count"] == 1 and [c["slug"] for c in co_taught["results"]] == ["course-0"]


@pytest.mark.parametrize("query", ["page_size=2&page=2&search=course", "page_size=2&instructor=TEACHER"])
def test_the_total_comes_with_the_page(five_courses, query):
    """No ``COUNT`` statement of its own: the page's rows carry the total."""
    with CaptureQueriesContext(connection) as captured:
        assert _page(query)["count"] == 5
    statements = [q["sql"].upper() for q in captured.captured_queries]
    assert not [s for s in statements if s.startswith("SELECT COUNT(")], statements
    assert any("OVER ()" in s for s in statements), statements
