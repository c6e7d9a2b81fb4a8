"""The OpenAPI schema, the docs page, the probes and JSON errors for unknown paths."""

import re
from io import StringIO

import pytest
import yaml
from django.core.management import call_command
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

# Every path of docs/api.md with its methods; path parameter names are not part of the contract.
CONTRACT_PATHS = {
    "/api/auth/register/": {"post"},
    "/api/auth/token/": {"post"},
    "/api/me/": {"get"},
    "/api/courses/": {"get", "post"},
    "/api/courses/{}/": {"get", "patch"},
    "/api/courses/{}/enroll/": {"post"},
    "/api/courses/{}/progress/": {"get"},
    "/api/enrollments/": {"get"},
    "/api/enrollments/{}/": {"delete"},
    "/api/lessons/{}/": {"get", "patch", "delete"},
    "/api/lessons/{}/complete/": {"post"},
    "/api/quizzes/{}/": {"get", "patch", "delete"},
    "/api/quizzes/{}/attempts/": {"get", "post"},
    "/api/certificates/": {"get"},
    "/api/certificates/{}/": {"get"},
    "/api/instructors/": {"post"},
    "/api/courses/{}/instructors/": {"post"},
    "/api/courses/{}/publish/": {"post"},
    "/api/courses/{}/unpublish/": {"post"},
    "/api/courses/{}/modules/": {"post"},
    "/api/modules/{}/": {"patch", "delete"},
    "/api/modules/{}/lessons/": {"post"},
    "/api/modules/{}/quizzes/": {"post"},
    "/api/courses/{}/enrollments/": {"get", "post"},
    "/api/courses/{}/enrollments/{}/": {"delete"},
    # v2: live courses
    "/api/courses/{}/versions/": {"get"},
    "/api/courses/{}/versions/{}/diff/": {"get"},
    "/api/courses/{}/versions/{}/restore/": {"post"},
}


def _served_schema() -> dict:
    r = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert r.status_code == 200
    return r.json() if "json" in r["Content-Type"] else yaml.safe_load(r.content)


@pytest.fixture(scope="module")
def schema_text() -> str:
    out = StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    return out.getvalue()


def test_schema_command_validates_without_warnings(schema_text):
    document = yaml.safe_load(schema_text)
    assert document["openapi"].startswith("3.")


def test_schema_is_served_and_lists_every_contract_path():
    document = _served_schema()
    assert document["openapi"].startswith("3.")
    paths = {re.sub(r"\{[^}]+\}", "{}", path): set(item) for path, item in document["paths"].items()}
    missing = {path for path in CONTRACT_PATHS if path not in paths}
    assert not missing, missing
    for path, methods in CONTRACT_PATHS.items():
        assert methods <= paths[path], (path, paths[path])


def test_schema_documents_contract_fields():
    document = _served_schema()
    components = document["components"]["schemas"]
    verify = document["paths"]["/api/certificates/{code}/"]["get"]["responses"]["200"]["content"]["application/json"]
    name = verify["schema"]["$ref"].rsplit("/", 1)[-1]
    assert {"code", "learner_name", "course_title", "issued_at", "revoked"} <= set(components[name]["properties"])
    assert {"id", "course", "status", "progress"} <= set(components["EnrollmentOutput"]["properties"])
    assert {"id", "username", "email", "roles"} <= set(components["MeOutput"]["properties"])
    assert {"id", "title", "pass_percent", "max_attempts", "questions"} <= set(components["QuizOutput"]["properties"])
    assert {"id", "text"} == set(components["ChoiceOutput"]["required"]) & {"id", "text", "is_correct"}


def test_docs_page_loads_no_outside_assets():
    r = APIClient().get("/api/docs/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "swagger" in html.lower()
    # Every referenced asset is local (served from /static/), no CDN.
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html), html
    assert not re.search(r"https?://(?!127\.0\.0\.1|localhost)[a-z0-9.-]+\.[a-z]{2,}", html, re.IGNORECASE)
    assets = re.findall(r"""(?:src|href)=["']([^"']+\.(?:js|css|png))["']""", html)
    assert assets and all(asset.startswith("/static/") for asset in assets), assets


def test_docs_assets_are_served_locally():
    html = APIClient().get("/api/docs/").content.decode()
    for asset in re.findall(r"""src=["'](/static/[^"']+\.js)["']""", html):
        r = APIClient().get(asset)
        assert r.status_code == 200, asset


def test_healthz_reports_the_database():
    r = APIClient().get("/healthz")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok"


def test_livez_is_ok_without_touching_the_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        r = APIClient().get("/livez")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


@pytest.mark.parametrize("path", ["/api/nope/", "/api/courses/a/b/c/", "/api/lessons/abc/", "/nothing-here"])
def test_unknown_paths_answer_json_404(path):
    r = APIClient().get(path)
    assert r.status_code == 404
    assert r["Content-Type"].startswith("application/json")
    assert "detail" in r.json()


def test_wrong_method_is_json_405():
    r = APIClient().put("/api/auth/token/", {}, format="json")
    assert r.status_code == 405
    assert "detail" in r.json()


def test_the_publish_answer_and_the_draft_parameter_are_in_the_schema():
    """v2 live courses: the publish answer carries ``version`` and the impact (the dry run's shape,
    ``progress_changes`` of ``{from, to, learners}``); content reads take ``?version=draft``."""
    schema = _served_schema()
    components = schema["components"]["schemas"]
    publish = schema["paths"]["/api/courses/{slug}/publish/"]["post"]
    ref = publish["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    fields = components[ref]["properties"]
    for name in ("version", "dry_run", "items_added", "items_changed", "items_removed", "learners_affected",
                 "progress_changes", "completed_learners", "slug", "is_published"):  # fmt: skip
        assert name in fields, name
    change = fields["progress_changes"]["items"]["$ref"].rsplit("/", 1)[1]
    assert set(components[change]["properties"]) == {"from", "to", "learners"}
    for path in ("/api/courses/{slug}/", "/api/lessons/{lesson_id}/", "/api/quizzes/{quiz_id}/"):
        names = {p["name"] for p in schema["paths"][path]["get"].get("parameters", [])}
        assert "version" in names, path
