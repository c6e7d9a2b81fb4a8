"""Catalog pages are written by ``learning.catalog.selectors.catalog_entry``, not field by field
through DRF: their bytes must be what ``CourseListOutputSerializer`` (the schema's shape, and the shape
of a course's create, update and publish answers) renders, key for key, for every kind of course."""

from datetime import UTC, datetime
from decimal import Decimal

import orjson
import pytest
from drf_orjson_renderer.renderers import ORJSONRenderer
from rest_framework.test import APIClient

from courseware.models import Course
from learning.catalog.selectors import catalog_rows
from learning.catalog.serializers import CourseListOutputSerializer
from tests.factories import AdminFactory, CourseFactory, InstructorFactory, build_course

pytestmark = pytest.mark.django_db


@pytest.fixture
def varied_courses():
    """Courses whose fields take every kind of value a page carries: set and empty dates (with and
    without microseconds), fractional and whole hours, a capacity and none, no instructor and several,
    content counts, and a course that is not published."""
    chosen = InstructorFactory(name="Dr. Chosen")
    full = InstructorFactory(first_name="Ada", last_name="Lovelace")
    bare = InstructorFactory(first_name="", last_name="")
    build_course(modules=2, lessons_per_module=3, slug="with-content", title="A course with content")
    CourseFactory(
        slug="windowed",
        title="B windowed",
        estimated_hours=Decimal("2.5"),
        capacity=30,
        enrollment_opens_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        enrollment_closes_at=datetime(2026, 2, 3, 4, 5, 6, 789012, tzinfo=UTC),
        sequential=True,
        published_at=datetime(2026, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
        instructors=[bare, chosen, full],
    )
    CourseFactory(
        slug="whole-hours",
        title="C whole hours",
        estimated_hours=Decimal("12"),
        published_at=datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC),
        instructors=[full],
    )
    CourseFactory(slug="hidden", title="D hidden", is_published=False, published_at=None)


def test_a_catalog_page_renders_what_the_course_serializer_renders(varied_courses):
    page = orjson.loads(APIClient().get("/api/courses/?page_size=100").content)
    assert [entry["slug"] for entry in page["results"]] == ["with-content", "windowed", "whole-hours"]

    published = catalog_rows(Course.objects.filter(is_published=True).order_by("title"))
    expected = orjson.loads(ORJSONRenderer().render(CourseListOutputSerializer(published, many=True).data))
    assert page["results"] == expected
    # The same keys in the same order: orjson writes a dict as it is ordered, so the bytes agree too.
    assert [list(entry) for entry in page["results"]] == [list(CourseListOutputSerializer.Meta.fields)] * 3


def test_an_admins_page_with_unpublished_courses_is_the_same_shape(varied_courses):
    """Admins see every course (a page that is not shared), built by the same function."""
    client = APIClient()
    client.force_authenticate(AdminFactory())
    page = client.get("/api/courses/?page_size=100").json()

    expected = CourseListOutputSerializer(catalog_rows(Course.objects.order_by("title")), many=True)
    assert page["results"] == orjson.loads(ORJSONRenderer().render(expected.data))
    assert [list(entry) for entry in page["results"]] == [list(CourseListOutputSerializer.Meta.fields)] * 4
    assert "hidden" in [entry["slug"] for entry in page["results"]]
