"""A client generated from the served schema by ``openapi-python-client`` (as client teams make theirs)
drives an instructor's and a learner's journey against a live server, through the generated code only.

It fails on any generator warning, on any status the schema does not document for the operation
(``raise_on_unexpected_status``, and the response hook below), on a content type the schema does not
list, and on any JSON body that does not validate against the operation's response schema (OpenAPI 3.1,
``openapi-schema-validator``). Test data beyond the two journeys is one instructor account (made with
the factories: registering never makes an instructor) and one admin for the roster's admin-only part."""

import importlib
import io
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import httpx
import pytest
from openapi_schema_validator import OAS31Validator

from tests.factories import PASSWORD, AdminFactory, InstructorFactory

pytestmark = pytest.mark.django_db(transaction=True)

GENERATOR = Path(sys.executable).parent / "openapi-python-client"
PACKAGE = "courses_api_client"


# --- The schema, and every answer checked against it ---------------------------------------------------
class SchemaChecker:
    """Finds the operation a request addressed and checks the answer against what the schema documents."""

    def __init__(self, document: dict):
        self.document = document
        self.routes = []
        for template, item in document["paths"].items():
            pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
            self.routes.append((template.count("{"), re.compile(pattern), template, item))
        self.routes.sort(key=lambda route: route[0])  # literal paths (``courses/import/``) before templates
        self.seen: list[tuple[str, str, int]] = []
        self.problems: list[str] = []

    def operation(self, method: str, path: str) -> tuple[str, dict]:
        for _, pattern, template, item in self.routes:
            if pattern.match(path) and method.lower() in item:
                return template, item[method.lower()]
        raise AssertionError(f"{method} {path}: no such operation in the schema")

    def check(self, response: httpx.Response) -> None:
        response.read()
        request = response.request
        template, operation = self.operation(request.method, request.url.path)
        where = f"{request.method} {template} → {response.status_code}"
        self.seen.append((request.method, template, response.status_code))
        documented = operation["responses"].get(str(response.status_code))
        if documented is None:
            self.problems.append(f"{where}: status not documented (documented: {sorted(operation['responses'])})")
            return
        content = documented.get("content")
        if not content:
            if response.content:
                self.problems.append(f"{where}: a body where the schema documents none")
            return
        media_type = response.headers.get("content-type", "").split(";")[0].strip()
        if media_type not in content:
            self.problems.append(f"{where}: content type {media_type!r} not documented ({sorted(content)})")
            return
        schema = content[media_type].get("schema", {})
        if media_type == "application/json":
            validator = OAS31Validator({**schema, "components": self.document["components"]})
            errors = sorted(validator.iter_errors(response.json()), key=lambda e: list(e.absolute_path))
            for error in errors[:5]:
                path = "/".join(str(p) for p in error.absolute_path)
                self.problems.append(f"{where}: body at /{path}: {error.message[:300]}")


@pytest.fixture
def server(live_server, monkeypatch):
    """The live server, with the public base URL (certificate links) pointing at it."""
    from django.conf import settings

    monkeypatch.setattr(settings, "PUBLIC_BASE_URL", live_server.url)
    return live_server


@pytest.fixture
def api(server, tmp_path):
    """The generated package, imported from a fresh generation, and the checker of every answer."""
    document = httpx.get(f"{server.url}/api/schema/?format=json", timeout=30).raise_for_status().json()
    assert document["openapi"] == "3.1.0"
    schema_file = tmp_path / "schema.json"
    schema_file.write_text(json.dumps(document))
    env = {**os.environ, "PATH": f"{GENERATOR.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    generated = subprocess.run(
        [str(GENERATOR), "generate", "--path", str(schema_file), "--meta", "none", "--output-path", PACKAGE],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = generated.stdout + generated.stderr
    assert generated.returncode == 0, output
    assert "warning" not in output.lower(), output  # every operation and response made it into the client
    assert "error" not in output.lower(), output
    sys.path.insert(0, str(tmp_path))
    try:
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]
        package = importlib.import_module(PACKAGE)
        yield package, SchemaChecker(document)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def _op(name: str):
    """``courses.courses_list`` → the generated module ``courses_api_client.api.courses.courses_list``."""
    return importlib.import_module(f"{PACKAGE}.api.{name}")


def _model(name: str):
    return getattr(importlib.import_module(f"{PACKAGE}.models"), name)


def test_generated_client_drives_the_instructor_and_learner_journeys(api, server):
    package, checker = api
    hooks = {"event_hooks": {"response": [checker.check]}}
    options = {"raise_on_unexpected_status": True, "httpx_args": hooks, "timeout": httpx.Timeout(30)}

    def anonymous():
        return package.Client(base_url=server.url, **options)

    def signed_in(token: str):
        return package.AuthenticatedClient(base_url=server.url, token=token, prefix="Token", **options)

    def token_for(username: str) -> str:
        body = _model("TokenInputRequest")(username=username, password=PASSWORD)
        answer = _op("auth.auth_token_create").sync_detailed(client=anonymous(), body=body)
        assert answer.status_code == 200
        return answer.parsed.token

    def ok(answer, status: int = 200):
        assert answer.status_code == status, (answer.status_code, answer.content[:500])
        return answer.parsed

    instructor = InstructorFactory()
    admin = AdminFactory()
    teacher = signed_in(token_for(instructor.username))

    # --- The instructor authors and publishes a course --------------------------------------------------
    course = ok(
        _op("courses.courses_create").sync_detailed(
            client=teacher,
            body=_model("CourseCreateInputRequest")(
                slug="generated", title="Generated", summary="Made through a generated client."
            ),
        ),
        201,
    )
    assert course.slug == "generated" and course.is_published is False
    module = ok(
        _op("courses.courses_modules_create").sync_detailed(
            "generated", client=teacher, body=_model("ModuleCreateInputRequest")(title="First steps")
        ),
        201,
    )
    lesson = ok(
        _op("modules.modules_lessons_create").sync_detailed(
            module.id,
            client=teacher,
            body=_model("LessonCreateInputRequest")(slug="hello", title="Hello", body_markdown="# Hello\n\nRead me."),
        ),
        201,
    )
    choice = _model("ChoiceInputRequest")
    quiz = ok(
        _op("modules.modules_quizzes_create").sync_detailed(
            module.id,
            client=teacher,
            body=_model("QuizCreateInputRequest")(
                title="Check",
                max_attempts=3,
                questions=[
                    _model("ChoiceQuestionInputRequest")(
                        text="Which is right?",
                        choices=[choice(text="Right", is_correct=True), choice(text="Wrong", is_correct=False)],
                    )
                ],
            ),
        ),
        201,
    )
    published = ok(_op("courses.courses_publish_create").sync_detailed("generated", client=teacher))
    assert published.is_published is True

    # --- A learner registers, signs in, finds the course and takes it -------------------------------------
    registered = ok(
        _op("auth.auth_register_create").sync_detailed(
            client=anonymous(),
            body=_model("RegisterInputRequest")(username="gen-ada", email="gen-ada@example.com", password=PASSWORD),
        ),
        201,
    )
    assert registered.username == "gen-ada"
    learner = signed_in(token_for("gen-ada"))
    assert ok(_op("me.me_retrieve").sync_detailed(client=learner)).roles == ["learner"]

    catalog = ok(_op("courses.courses_list").sync_detailed(client=anonymous()))
    assert "generated" in [c.slug for c in catalog.results]
    assert ok(_op("courses.courses_list").sync_detailed(client=learner, ordering="-title", page_size=5)).count >= 1
    public_page = ok(_op("courses.courses_retrieve").sync_detailed("generated", client=anonymous()))
    assert public_page.enrollment is None  # null, typed as such

    enrollment = ok(_op("courses.courses_enroll_create").sync_detailed("generated", client=learner), 201)
    assert ok(_op("courses.courses_enroll_create").sync_detailed("generated", client=learner)).id == enrollment.id
    page = ok(_op("courses.courses_retrieve").sync_detailed("generated", client=learner))
    assert page.enrollment.id == enrollment.id
    assert [item.id for item in page.modules[0].lessons] == [lesson.id]

    shown = ok(_op("lessons.lessons_retrieve").sync_detailed(lesson.id, client=learner))
    assert "Read me." in shown.body_html and shown.previous is None and shown.next_ is None
    ok(_op("lessons.lessons_complete_create").sync_detailed(lesson.id, client=learner))

    taking = ok(_op("quizzes.quizzes_retrieve").sync_detailed(quiz.id, client=learner))
    assert (taking.attempts_left, taking.passed) == (3, False)
    (question,) = taking.questions
    right = next(c.id for c in question.choices if c.text == "Right")
    empty = _op("quizzes.quizzes_attempts_create").sync_detailed(
        quiz.id, client=learner, body=_model("AttemptInputRequest")(answers=[])
    )
    assert empty.status_code == 400 and "answers" in empty.parsed.additional_properties  # typed field errors
    attempt = ok(
        _op("quizzes.quizzes_attempts_create").sync_detailed(
            quiz.id,
            client=learner,
            body=_model("AttemptInputRequest")(
                answers=[_model("ChoicesAnswerRequest")(question=question.id, choices=[right])]
            ),
        ),
        201,
    )
    assert attempt.passed is True and attempt.score == 100
    after = ok(_op("quizzes.quizzes_retrieve").sync_detailed(quiz.id, client=learner))
    assert (after.attempts_left, after.passed) == (2, True)  # passed, and two attempts left
    attempts = ok(_op("quizzes.quizzes_attempts_list").sync_detailed(quiz.id, client=learner))
    assert [a.id for a in attempts.results] == [attempt.id]

    progress = ok(_op("courses.courses_progress_retrieve").sync_detailed("generated", client=learner))
    assert progress.progress == 100 and progress.status == "completed"
    assert progress.next_lesson is None and progress.next_step is None
    (quiz_progress,) = progress.quizzes
    assert (quiz_progress.passed, quiz_progress.attempts_left) == (True, 2)
    code = progress.certificate.code

    certificates = ok(_op("certificates.certificates_list").sync_detailed(client=learner))
    assert [c.code for c in certificates.results] == [code]
    verified = ok(_op("certificates.certificates_retrieve").sync_detailed(code, client=anonymous()))
    assert verified.course_title == "Generated" and verified.revoked is False
    mine = ok(_op("enrollments.enrollments_list").sync_detailed(client=learner))
    assert [e.id for e in mine.results] == [enrollment.id]

    # --- The schema's errors, as a generated client meets them --------------------------------------------
    assert _op("enrollments.enrollments_list").sync_detailed(client=anonymous()).status_code == 401
    assert _op("certificates.certificates_list").sync_detailed(client=anonymous()).status_code == 401
    invalid = signed_in("not-a-token")
    assert _op("courses.courses_list").sync_detailed(client=invalid).status_code == 401
    assert _op("courses.courses_retrieve").sync_detailed("generated", client=invalid).status_code == 401
    bad_page = _op("courses.courses_list").sync_detailed(client=anonymous(), page_size=-1)
    assert bad_page.status_code == 400 and "page_size" in bad_page.parsed.additional_properties
    assert _op("courses.courses_list").sync_detailed(client=anonymous(), ordering="nonsense").status_code == 400
    denied = _op("courses.courses_enrollments_export_retrieve").sync_detailed("generated", client=learner)
    assert denied.status_code in (403, 404) and denied.parsed.detail

    # --- The instructor reads the roster and the analytics, and exports ------------------------------------
    roster = ok(_op("courses.courses_enrollments_list").sync_detailed("generated", client=teacher))
    assert [(r.learner, r.progress) for r in roster.results] == [("gen-ada", 100)]
    csv_text = ok(_op("courses.courses_enrollments_export_retrieve").sync_detailed("generated", client=teacher))
    assert "gen-ada" in csv_text.splitlines()[1].split(",")
    analytics = ok(_op("courses.courses_analytics_retrieve").sync_detailed("generated", client=teacher))
    assert analytics.enrollments.completed == 1 and analytics.lessons[0].module == module.id
    assert analytics.questions[0].quiz == quiz.id and not analytics.lessons[0].additional_properties
    exported = ok(_op("courses.courses_export_retrieve").sync_detailed("generated", client=teacher))
    with zipfile.ZipFile(io.BytesIO(exported.payload.read())) as archive:
        assert any(name.endswith("course.yaml") for name in archive.namelist())

    # The admin enrolls another learner by name (the roster's admin-only write).
    head = signed_in(token_for(admin.username))
    bulk = ok(
        _op("courses.courses_enrollments_create").sync_detailed(
            "generated", client=head, body=_model("BulkEnrollJSONInputRequest")(learners=["gen-ada", "nobody"])
        )
    )
    assert (bulk.already_enrolled, bulk.unknown) == (["gen-ada"], ["nobody"])

    # --- Sign-in: tokens per client, password change, logout, reset ------------------------------------
    other_device = signed_in(token_for("gen-ada"))
    devices = ok(_op("auth.auth_tokens_list").sync_detailed(client=learner))
    assert len(devices) == 2
    changed = _op("auth.auth_password_create").sync_detailed(
        client=learner,
        body=_model("PasswordChangeInputRequest")(old_password=PASSWORD, new_password="A-new-pass-phrase-9"),
    )
    assert changed.status_code == 204
    assert _op("enrollments.enrollments_list").sync_detailed(client=other_device).status_code == 401  # revoked
    assert len(ok(_op("auth.auth_tokens_list").sync_detailed(client=learner))) == 1  # the caller's stays
    assert _op("auth.auth_logout_create").sync_detailed(client=learner).status_code == 204
    assert _op("enrollments.enrollments_list").sync_detailed(client=learner).status_code == 401
    for address in ("gen-ada@example.com", "nobody@example.com"):  # the same answer either way
        reset = _op("auth.auth_password_reset_create").sync_detailed(
            client=anonymous(), body=_model("PasswordResetInputRequest")(email=address)
        )
        assert reset.status_code == 202

    assert not checker.problems, "\n".join(checker.problems)
    operations = {(method, template) for method, template, _ in checker.seen}
    assert len(operations) >= 28, sorted(operations)


def test_the_checker_flags_what_the_schema_does_not_document(client):
    document = client.get("/api/schema/?format=json").json()
    checker = SchemaChecker(document)
    request = httpx.Request("GET", "http://testserver/api/courses/")
    checker.check(httpx.Response(200, json={"count": "many", "results": []}, request=request))
    checker.check(httpx.Response(418, json={"detail": "teapot"}, request=request))
    checker.check(httpx.Response(200, text="a,b", headers={"content-type": "text/csv"}, request=request))
    assert len(checker.problems) == 3, checker.problems
    assert "count" in checker.problems[0] and "418" in checker.problems[1] and "text/csv" in checker.problems[2]
