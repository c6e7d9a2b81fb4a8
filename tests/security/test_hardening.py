"""Hardening through HTTP: throttles, body limits, page size cap, CSRF on session writes, security
headers, ``check --deploy`` under production settings, and no account enumeration at login.

Registration necessarily answers "already taken" for a username or email in use: that is how a person
picks a free name. It is throttled (``THROTTLE_REGISTER``) so it cannot be used to sweep addresses.
There is no password-reset endpoint, so nothing else can be asked whether an address has an account."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from tests.conftest import client_for
from tests.factories import PASSWORD, EnrollmentFactory, UserFactory, build_course, right_answers

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def tight_throttles(monkeypatch):
    """DRF reads the rates once, at import: patch the class attribute it reads them from."""
    rates = {
        **SimpleRateThrottle.THROTTLE_RATES,
        "login": "3/minute",
        "register": "3/minute",
        "quiz_submit": "3/minute",
    }
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)


@pytest.mark.django_db
def test_login_is_throttled(tight_throttles):
    user = UserFactory()
    client = APIClient()
    codes = [
        client.post("/api/auth/token/", {"username": user.username, "password": "wrong"}, format="json").status_code
        for _ in range(4)
    ]
    assert codes == [400, 400, 400, 429]
    # The right password does not get past the throttle either.
    response = client.post("/api/auth/token/", {"username": user.username, "password": PASSWORD}, format="json")
    assert response.status_code == 429
    assert response["Content-Type"].startswith("application/json") and "Retry-After" in response


@pytest.mark.django_db
def test_registration_is_throttled(tight_throttles):
    client = APIClient()
    codes = [
        client.post(
            "/api/auth/register/",
            {"username": f"new{i}", "email": f"new{i}@example.com", "password": "a-long-enough-passphrase-9"},
            format="json",
        ).status_code
        for i in range(4)
    ]
    assert codes == [201, 201, 201, 429]


@pytest.mark.django_db
def test_quiz_submission_is_throttled(tight_throttles):
    course = build_course(modules=1, lessons_per_module=1)
    quiz = course.modules.first().quizzes.first()
    quiz.max_attempts = 10
    quiz.save()
    learner = UserFactory()
    EnrollmentFactory(learner=learner, course=course)
    client = client_for(learner)
    body = {"answers": right_answers(quiz)}
    codes = [client.post(f"/api/quizzes/{quiz.pk}/attempts/", body, format="json").status_code for _ in range(4)]
    assert codes == [201, 201, 201, 429]
    # Reading one's attempts is not the submission throttle's business.
    assert client.get(f"/api/quizzes/{quiz.pk}/attempts/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/auth/register/", "/api/auth/token/", "/api/me/"])
def test_oversized_body_is_a_json_4xx(path):
    client = client_for(UserFactory())
    body = b'{"username": "' + b"x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10) + b'"}'
    method = client.patch if path == "/api/me/" else client.post
    response = method(path, body, content_type="application/json")
    assert 400 <= response.status_code < 500
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.django_db
def test_page_size_is_capped():
    for i in range(105):
        build_course(modules=0, slug=f"capped-{i}")
    response = APIClient().get("/api/courses/?page_size=100000")
    assert response.status_code == 200
    assert len(response.json()["results"]) == 100
    assert APIClient().get("/api/courses/?page_size=lots").status_code == 400


@pytest.mark.django_db
def test_csrf_is_enforced_for_session_writes():
    user = UserFactory()
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    # Reads are fine with a session; an unsafe request without the CSRF token is refused.
    assert client.get("/api/me/").status_code == 200
    response = client.patch("/api/me/", {"first_name": "Mallory"}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    user.refresh_from_db()
    assert user.first_name != "Mallory"
    # With the token (as the browsable API and admin send it) the same write goes through.
    client.get("/admin/login/")
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    response = client.patch("/api/me/", {"first_name": "Alice"}, format="json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200
    # A token client is not subject to CSRF (no ambient credentials).
    assert client_for(user).patch("/api/me/", {"first_name": "Bob"}, format="json").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/courses/", "/api/me/", "/api/docs/", "/admin/login/", "/livez", "/nowhere/"])
def test_security_headers(path):
    response = APIClient().get(path)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
def test_certificate_page_has_security_headers():
    from tests.factories import CertificateFactory

    certificate = CertificateFactory()
    response = APIClient().get(f"/certificates/{certificate.code}/")
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_check_deploy_is_clean_under_production_settings():
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "SECRET_KEY"}}
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(60),
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres",
        ALLOWED_HOSTS="example.com",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.django_db
def test_login_does_not_say_whether_an_account_exists():
    user = UserFactory()
    client = APIClient()
    unknown = client.post("/api/auth/token/", {"username": "nobody-here", "password": "whatever"}, format="json")
    wrong = client.post("/api/auth/token/", {"username": user.username, "password": "whatever"}, format="json")
    assert unknown.status_code == wrong.status_code == 400
    assert unknown.json() == wrong.json()


@pytest.mark.django_db
def test_registration_says_taken_by_design():
    user = UserFactory()
    response = APIClient().post(
        "/api/auth/register/",
        {"username": user.username, "email": "fresh@example.com", "password": "a-long-enough-passphrase-9"},
        format="json",
    )
    assert response.status_code == 400 and "username" in response.json()
    assert APIClient().post("/api/auth/password_reset/", {"email": user.email}, format="json").status_code == 404
