"""The schema says what the server does: who may call each operation, every status it answers, the
media types of files and of their errors, nullable references, typed field errors."""

import io
import json
import zipfile

import pytest
from rest_framework.test import APIClient

from tests.conftest import client_for
from tests.factories import AdminFactory, EnrollmentFactory, build_course

pytestmark = pytest.mark.django_db

PUBLIC = {
    ("post", "/api/auth/register/"),
    ("post", "/api/auth/token/"),
    ("post", "/api/auth/password/reset/"),
    ("post", "/api/auth/password/reset/confirm/"),
    ("get", "/api/courses/"),
    ("get", "/api/courses/{slug}/"),
    ("get", "/api/certificates/{code}/"),
}


@pytest.fixture(scope="module")
def document(django_db_blocker) -> dict:
    with django_db_blocker.unblock():
        return APIClient().get("/api/schema/?format=json").json()


def _operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield method, path, operation


def test_public_operations_need_no_token_and_the_others_list_each_scheme_once(document):
    for method, path, operation in _operations(document):
        if (method, path) in PUBLIC:
            assert "security" not in operation, (method, path)
        else:
            assert operation["security"] == [{"tokenAuth": []}, {"cookieAuth": []}], (method, path)
    assert "security" not in document


def test_every_operation_reading_credentials_documents_401_and_429(document):
    for method, path, operation in _operations(document):
        if path in (
            "/api/auth/register/",
            "/api/auth/token/",
            "/api/auth/password/reset/",
            "/api/auth/password/reset/confirm/",
        ):
            assert "401" not in operation["responses"]  # no authenticators: a stray header is ignored
        else:
            assert "401" in operation["responses"], (method, path)
        assert "429" in operation["responses"], (method, path)


def test_error_bodies_are_json_only(document):
    for method, path, operation in _operations(document):
        for code, response in operation["responses"].items():
            if code >= "400":
                assert list(response["content"]) == ["application/json"], (method, path, code)


def test_nullable_references_are_openapi_3_1(document):
    assert document["openapi"] == "3.1.0"
    assert '"nullable"' not in json.dumps(document)
    schemas = document["components"]["schemas"]
    for component, field in [
        ("CourseDetailOutput", "enrollment"),
        ("LessonOutput", "previous"),
        ("LessonOutput", "next"),
        ("ProgressOutput", "next_lesson"),
        ("ProgressOutput", "next_step"),
        ("ProgressOutput", "certificate"),
    ]:
        alternatives = schemas[component]["properties"][field]["oneOf"]
        assert {"type": "null"} in alternatives and any("$ref" in a for a in alternatives), (component, field)


def test_field_errors_are_typed(document):
    errors = document["components"]["schemas"]["ValidationErrors"]
    assert set(errors["properties"]) == {"detail", "code"}
    assert errors["additionalProperties"]["anyOf"][0]["type"] == "array"


def test_analytics_answers_exactly_its_documented_fields(document):
    course = build_course(modules=1, lessons_per_module=1)
    admin = AdminFactory()
    body = client_for(admin).get(f"/api/courses/{course.slug}/analytics/").json()
    schemas = document["components"]["schemas"]
    assert set(body["lessons"][0]) == set(schemas["LessonFunnel"]["properties"])
    assert set(body["questions"][0]) == set(schemas["QuestionStats"]["properties"])


def test_course_export_offers_only_the_zip():
    course = build_course(modules=1, lessons_per_module=1)
    client = client_for(AdminFactory())
    url = f"/api/courses/{course.slug}/export/"
    r = client.get(url, {"format": "json"})
    assert r.status_code == 406 and r["Content-Type"].startswith("application/json") and "zip" in r.json()["detail"]
    assert client.get(url, HTTP_ACCEPT="application/json").status_code == 406
    r = client.get(url)
    assert r.status_code == 200 and r["Content-Type"] == "application/zip"
    r = client.get(url, HTTP_ACCEPT="application/octet-stream")
    assert r.status_code == 200 and r["Content-Type"] == "application/octet-stream"
    assert zipfile.ZipFile(io.BytesIO(r.content)).namelist()
    denied = client_for(EnrollmentFactory(course=course).learner).get(url)
    assert denied.status_code in (403, 404) and denied["Content-Type"].startswith("application/json")


def test_roster_csv_export_refuses_json_and_answers_errors_as_json():
    course = build_course(modules=1, lessons_per_module=1)
    client = client_for(AdminFactory())
    url = f"/api/courses/{course.slug}/enrollments/export/"
    assert client.get(url)["Content-Type"].startswith("text/csv")
    r = client.get(url, {"format": "json"})
    assert r.status_code == 406 and r["Content-Type"].startswith("application/json")
    r = client.get(url, {"ordering": "password"})
    assert r.status_code == 400 and "ordering" in r.json()
    r = APIClient().get(url)
    assert r.status_code == 401 and r["Content-Type"].startswith("application/json")


def test_enrolling_learners_answers_json_even_when_csv_is_asked_for():
    course = build_course(modules=1, lessons_per_module=1)
    client = client_for(AdminFactory())
    r = client.post(f"/api/courses/{course.slug}/enrollments/?format=csv", {"learners": ["nobody"]}, format="json")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/json")
    assert r.json()["unknown"] == ["nobody"]


def test_progress_says_passed_and_attempts_left():
    course = build_course(modules=1, lessons_per_module=1)
    enrollment = EnrollmentFactory(course=course)
    body = client_for(enrollment.learner).get(f"/api/courses/{course.slug}/progress/").json()
    (quiz,) = body["quizzes"]
    assert quiz["passed"] is False and quiz["attempts_left"] == quiz["max_attempts"]
