"""The catalog's ``?search=`` (full-text on PostgreSQL, ``LIKE`` elsewhere) and the module, lesson
and quiz counts kept on the course row, through the HTTP API; the migration that fills the counts."""

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.db import connection
from rest_framework.test import APIClient

from courseware.models import Course
from tests.conftest import client_for
from tests.factories import CourseFactory, InstructorFactory, build_course

pytestmark = pytest.mark.django_db

CATALOG = "/api/courses/"
on_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="full-text search is PostgreSQL's")
on_sqlite = pytest.mark.skipif(connection.vendor != "sqlite", reason="the LIKE fallback")


def slugs(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [c["slug"] for c in response.json()["results"]]


@pytest.fixture
def shelf():
    """Three courses that all mention "pricing": in the title, the summary or the description only."""
    CourseFactory(slug="in-description", title="Aardvark care", summary="Animals.", description="Pricing a zoo ticket.")
    CourseFactory(slug="in-title", title="Pricing your work", summary="Money for makers.", description="")
    CourseFactory(slug="in-summary", title="Budgets", summary="Pricing and margins.", description="Spreadsheets.")
    CourseFactory(slug="unrelated", title="Zebra studies", summary="Stripes.", description="Nothing here.")


@pytest.mark.parametrize("term", ["pricing", "PRICING", "pric"])
def test_search_finds_a_term_in_title_summary_and_description(shelf, term):
    assert sorted(slugs(APIClient().get(CATALOG, {"search": term}))) == ["in-description", "in-summary", "in-title"]


def test_every_term_must_match(shelf):
    assert slugs(APIClient().get(CATALOG, {"search": "pricing margins"})) == ["in-summary"]
    assert slugs(APIClient().get(CATALOG, {"search": "pricing stripes"})) == []


@on_postgres
def test_postgres_ranks_a_title_match_above_a_summary_above_a_description_match(shelf):
    assert slugs(APIClient().get(CATALOG, {"search": "pricing"})) == ["in-title", "in-summary", "in-description"]


@on_postgres
def test_postgres_ordering_parameter_overrides_the_rank(shelf):
    r = APIClient().get(CATALOG, {"search": "pricing", "ordering": "title"})
    assert slugs(r) == ["in-description", "in-summary", "in-title"]  # Aardvark, Budgets, Pricing


@on_postgres
def test_postgres_search_is_stemmed_and_ignores_stop_words(shelf):
    assert slugs(APIClient().get(CATALOG, {"search": "priced"})) == ["in-title", "in-summary", "in-description"]
    assert len(slugs(APIClient().get(CATALOG, {"search": "Pricing!"}))) == 3  # words, not punctuation
    assert slugs(APIClient().get(CATALOG, {"search": "zoo"})) == ["in-description"]


def test_a_search_of_only_stop_words_finds_them_as_text(shelf):
    """On PostgreSQL "the" alone is an empty text query (it would match nothing): it is searched as
    text, as on SQLite, so both find the same courses."""
    CourseFactory(slug="theory", title="Theory of pricing", summary="Notes.", description="")
    CourseFactory(slug="the-end", title="Endings", summary="The last lesson.", description="")
    assert slugs(APIClient().get(CATALOG, {"search": "the"})) == ["the-end", "theory"]  # Endings, Theory
    assert slugs(APIClient().get(CATALOG, {"search": "THE t"})) == ["the-end", "theory"]


@on_postgres
def test_postgres_leaves_stop_words_out_of_a_search_with_other_words(shelf):
    assert sorted(slugs(APIClient().get(CATALOG, {"search": "the pricing"}))) == [
        "in-description",
        "in-summary",
        "in-title",
    ]


@on_postgres
def test_postgres_search_document_follows_every_write(shelf):
    """The document is a generated column: a write by any path (here a queryset update) is searchable."""
    Course.objects.filter(slug="unrelated").update(title="Pricing zebras")
    assert slugs(APIClient().get(CATALOG, {"search": "zebras"})) == ["unrelated"]
    assert slugs(APIClient().get(CATALOG, {"search": "pricing"}))[0] in ("in-title", "unrelated")


@on_sqlite
def test_sqlite_searches_substrings_with_like(shelf):
    assert slugs(APIClient().get(CATALOG, {"search": "ricin"})) == ["in-description", "in-summary", "in-title"]
    assert slugs(APIClient().get(CATALOG, {"search": "zoo"})) == ["in-description"]


@pytest.mark.parametrize("text", ["'", ":*", "a & b | !c", "<->", "(", "\\", "_", "ünïcode", "1:2", "'pricing':*"])
def test_search_text_that_looks_like_query_syntax_is_just_text(shelf, text):
    r = APIClient().get(CATALOG, {"search": text})
    assert r.status_code == 200, r.content


def test_search_combines_with_the_instructor_filter_and_pages(shelf):
    teacher = InstructorFactory()
    for slug in ("in-title", "in-description", "unrelated"):
        Course.objects.get(slug=slug).instructors.add(teacher, InstructorFactory())
    r = APIClient().get(CATALOG, {"search": "pricing", "instructor": teacher.username})
    assert sorted(slugs(r)) == ["in-description", "in-title"]
    first = APIClient().get(CATALOG, {"search": "pricing", "page_size": 2}).json()
    second = APIClient().get(CATALOG, {"search": "pricing", "page_size": 2, "page": 2}).json()
    assert first["count"] == 3 and len(first["results"]) == 2 and len(second["results"]) == 1
    seen = [c["slug"] for c in first["results"] + second["results"]]
    assert sorted(seen) == ["in-description", "in-summary", "in-title"]  # a stable order across pages


def test_search_never_shows_unpublished_courses_to_the_public(shelf):
    CourseFactory(slug="draft-pricing", title="Pricing draft", is_published=False)
    assert "draft-pricing" not in slugs(APIClient().get(CATALOG, {"search": "pricing"}))


# --- Counts kept on the row --------------------------------------------------------------------
def counts(slug: str, client=None) -> tuple[int, int, int]:
    client = client or APIClient()
    (row,) = [c for c in client.get(CATALOG, {"page_size": 100}).json()["results"] if c["slug"] == slug]
    detail = client.get(f"{CATALOG}{slug}/").json()
    assert (detail["module_count"], detail["lesson_count"], detail["quiz_count"]) == (
        row["module_count"],
        row["lesson_count"],
        row["quiz_count"],
    )
    return row["module_count"], row["lesson_count"], row["quiz_count"]


def test_counts_follow_lessons_quizzes_and_modules_added_and_removed_through_the_api(course, instructor):
    """The catalog counts what learners read: the published version (a draft change shows at its publish)."""
    client = client_for(instructor)

    def published() -> None:
        assert client.post(f"/api/courses/{course.slug}/publish/").status_code == 200

    assert counts(course.slug) == (2, 4, 2)
    module = course.modules.order_by("position").first()
    r = client.post(f"/api/modules/{module.pk}/lessons/", {"slug": "extra", "title": "Extra", "body_markdown": "Body."})
    assert r.status_code == 201, r.content
    assert counts(course.slug) == (2, 4, 2)  # a draft
    published()
    assert counts(course.slug) == (2, 5, 2)
    assert client.delete(f"/api/lessons/{r.json()['id']}/").status_code == 204
    first = course.lessons.order_by("pk").first()
    assert client.delete(f"/api/lessons/{first.pk}/").status_code == 204
    published()
    assert counts(course.slug) == (2, 3, 2)
    last = course.modules.order_by("position").last()
    assert client.delete(f"/api/quizzes/{last.quizzes.get().pk}/").status_code == 204
    published()
    assert counts(course.slug) == (2, 3, 1)
    r = client.post(f"/api/courses/{course.slug}/modules/", {"slug": "later", "title": "Later"})
    assert r.status_code == 201, r.content
    published()
    assert counts(course.slug) == (3, 3, 1)
    assert client.delete(f"/api/modules/{module.pk}/").status_code == 204  # with its lessons and quiz
    published()
    assert counts(course.slug) == (2, 2, 0)


def test_a_new_course_counts_nothing():
    client = client_for(InstructorFactory())
    r = client.post(CATALOG, {"slug": "empty", "title": "Empty", "summary": "Nothing yet."})
    assert r.status_code == 201, r.content
    assert (r.json()["module_count"], r.json()["lesson_count"], r.json()["quiz_count"]) == (0, 0, 0)


def test_the_migration_fills_the_counts_of_existing_courses():
    """Its data step, run on courses whose counts are not set (the suite builds its schema without
    running migrations, so the step is called as the migration calls it)."""
    build_course(modules=3, lessons_per_module=2, slug="counted-before")
    CourseFactory(slug="empty-before")
    Course.objects.update(module_count=7, lesson_count=7, quiz_count=7)
    migration = importlib.import_module("courseware.migrations.0003_course_counts_search")
    migration.fill_counts(django_apps, SimpleNamespace(connection=connection))  # it reads the alias only
    got = {c.slug: (c.module_count, c.lesson_count, c.quiz_count) for c in Course.objects.all()}
    assert got == {"counted-before": (3, 6, 3), "empty-before": (0, 0, 0)}


def test_the_schema_says_what_the_catalog_search_matches_and_how_it_orders():
    document = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    params = {p["name"]: p for p in document["paths"]["/api/courses/"]["get"]["parameters"]}
    assert "title, summary and description" in params["search"]["description"]
    assert "most relevant courses come first unless `ordering` is given" in params["search"]["description"]
    assert params["ordering"]["schema"]["pattern"].startswith("^(-?(title|published_at|created_at|estimated_hours)")
