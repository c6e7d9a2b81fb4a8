"""Registration, token login, /api/me/, throttling and session auth, through the HTTP API."""

import json

import pytest
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import User
from tests.conftest import client_for
from tests.factories import PASSWORD, AdminFactory, InstructorFactory, UserFactory, build_course

pytestmark = pytest.mark.django_db

REGISTER = "/api/auth/register/"
TOKEN = "/api/auth/token/"
ME = "/api/me/"
GOOD_PASSWORD = "a-long-secret-42"


def register(client, **overrides):
    body = {"username": "ada", "email": "ada@example.com", "password": GOOD_PASSWORD, **overrides}
    return client.post(REGISTER, body, format="json")


# --- Registration -------------------------------------------------------------------------------
def test_register_creates_a_learner_and_answers_id_username_email(api_client):
    r = register(api_client)
    assert r.status_code == 201, r.json()
    body = r.json()
    user = User.objects.get(username="ada")
    assert body == {"id": user.pk, "username": "ada", "email": "ada@example.com"}
    assert "password" not in body
    assert user.check_password(GOOD_PASSWORD)
    assert not user.is_staff and not user.is_superuser


@pytest.mark.parametrize(
    "password",
    [
        "short1!",  # too short
        "password123",  # common
        "12345678901234",  # entirely numeric
        "ada-example",  # too similar to the username / email
        "",  # blank
    ],
)
def test_register_refuses_weak_password_naming_the_field(api_client, password):
    r = register(api_client, password=password)
    assert r.status_code == 400
    assert "password" in r.json()
    assert not User.objects.filter(username="ada").exists()


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"username": "ADA"}, "username"),
        ({"username": "Ada"}, "username"),
        ({"email": "ADA@EXAMPLE.COM", "username": "other"}, "email"),
        ({"email": "Ada@Example.com", "username": "other"}, "email"),
    ],
)
def test_register_refuses_taken_username_or_email_case_insensitively(api_client, overrides, field):
    assert register(api_client).status_code == 201
    r = register(api_client, **overrides)
    assert r.status_code == 400
    assert field in r.json()
    assert User.objects.count() == 1


@pytest.mark.parametrize("missing", ["username", "email", "password"])
def test_register_refuses_missing_fields(api_client, missing):
    body = {"username": "ada", "email": "ada@example.com", "password": GOOD_PASSWORD}
    del body[missing]
    r = api_client.post(REGISTER, body, format="json")
    assert r.status_code == 400
    assert missing in r.json()


@pytest.mark.parametrize("email", ["not-an-email", "ada@", "@example.com", "ada example.com", "a" * 250 + "@x.io"])
def test_register_refuses_bad_email(api_client, email):
    r = register(api_client, email=email)
    assert r.status_code == 400
    assert "email" in r.json()


@pytest.mark.parametrize("username", ["has space", "semi;colon", "x" * 151, ""])
def test_register_refuses_bad_username(api_client, username):
    r = register(api_client, username=username)
    assert r.status_code == 400
    assert "username" in r.json()


@pytest.mark.parametrize(
    "raw",
    [
        "[]",
        '["ada", "ada@example.com", "pw"]',
        "42",
        '"a string"',
        "null",
        "true",
        '{"username": ["ada"], "email": {"a": 1}, "password": 12345678}',
        '{"username": null, "email": null, "password": null}',
        '{"username": 12, "email": 13, "password": 14}',
        "{not json",
    ],
)
def test_register_with_wrong_types_answers_400_not_500(api_client, raw):
    r = api_client.generic("POST", REGISTER, raw, content_type="application/json")
    assert r.status_code == 400, r.content
    assert isinstance(r.json(), dict)


def test_register_normalizes_unicode_usernames(api_client):
    # Fullwidth letters are NFKC-normalised (as Django's own forms do), so "ＡＤＡ" cannot pose as "ada".
    assert register(api_client).status_code == 201
    r = register(api_client, username="ＡＤＡ", email="ada2@example.com")
    assert r.status_code == 400 and "username" in r.json()
    r = register(api_client, username="ｇｒａｃｅ", email="grace@example.com")
    assert r.status_code == 201 and r.json()["username"] == "grace"


@pytest.mark.parametrize("path", [REGISTER, TOKEN])
def test_deeply_nested_json_is_400_not_500(api_client, path):
    raw = '{"username": ' * 50_000 + "1" + "}" * 50_000
    r = api_client.generic("POST", path, raw, content_type="application/json")
    assert r.status_code == 400
    assert "detail" in r.json()


def test_register_refuses_non_json_content_type(api_client):
    r = api_client.post(REGISTER, "username=ada", content_type="application/x-www-form-urlencoded")
    assert r.status_code == 415
    assert "detail" in r.json()


# --- Token login ----------------------------------------------------------------------------------
def test_token_login_returns_a_token_that_authenticates(api_client):
    user = UserFactory(username="grace")
    r = api_client.post(TOKEN, {"username": "grace", "password": PASSWORD}, format="json")
    assert r.status_code == 200
    assert set(r.json()) == {"token"}
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {r.json()['token']}")
    me = client.get(ME)
    assert me.status_code == 200 and me.json()["id"] == user.pk
    # Signing in again makes another client's token (keys are stored hashed: never shown twice); both work.
    again = api_client.post(TOKEN, {"username": "grace", "password": PASSWORD}, format="json")
    assert again.json()["token"] != r.json()["token"]
    assert client.get(ME).status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Token {again.json()['token']}")
    assert client.get(ME).status_code == 200


def test_token_login_wrong_password_and_unknown_user_give_the_same_answer(api_client):
    UserFactory(username="grace")
    wrong = api_client.post(TOKEN, {"username": "grace", "password": "nope-nope-nope"}, format="json")
    unknown = api_client.post(TOKEN, {"username": "nobody", "password": "nope-nope-nope"}, format="json")
    assert wrong.status_code == unknown.status_code == 400
    assert wrong.json() == unknown.json()
    assert "token" not in wrong.json()


def test_token_login_refuses_inactive_user(api_client):
    UserFactory(username="gone", is_active=False)
    r = api_client.post(TOKEN, {"username": "gone", "password": PASSWORD}, format="json")
    assert r.status_code == 400


@pytest.mark.parametrize(
    "raw", ["[]", "7", "null", '{"username": ["x"], "password": {"a": 1}}', '{"username": "x"}', "{}"]
)
def test_token_login_with_wrong_types_answers_400(api_client, raw):
    r = api_client.generic("POST", TOKEN, raw, content_type="application/json")
    assert r.status_code == 400, r.content


def test_registered_user_can_log_in(api_client):
    assert register(api_client).status_code == 201
    r = api_client.post(TOKEN, {"username": "ada", "password": GOOD_PASSWORD}, format="json")
    assert r.status_code == 200 and r.json()["token"]


# --- /api/me/ ---------------------------------------------------------------------------------------
def test_me_for_a_learner():
    user = UserFactory()
    r = client_for(user).get(ME)
    assert r.status_code == 200
    body = r.json()
    assert {"id": body["id"], "username": body["username"], "email": body["email"]} == {
        "id": user.pk,
        "username": user.username,
        "email": user.email,
    }
    assert body["roles"] == ["learner"]


def test_me_for_an_instructor():
    r = client_for(InstructorFactory()).get(ME)
    assert r.json()["roles"] == ["learner", "instructor"]


def test_me_for_a_course_instructor_without_the_group():
    user = UserFactory()
    course = build_course(modules=1)
    course.instructors.add(user)
    assert client_for(user).get(ME).json()["roles"] == ["learner", "instructor"]


def test_me_for_an_admin():
    r = client_for(AdminFactory()).get(ME)
    assert r.json()["roles"] == ["learner", "instructor", "admin"]


def test_me_anonymous_is_401(api_client):
    r = api_client.get(ME)
    assert r.status_code == 401
    assert "detail" in r.json()
    assert r.has_header("WWW-Authenticate")


def test_me_with_a_bad_token_is_401():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.get(ME).status_code == 401


def test_me_patch_updates_profile_fields_only():
    user = UserFactory(first_name="A", last_name="B")
    client = client_for(user)
    r = client.patch(
        ME, {"first_name": "Ada", "last_name": "Lovelace", "email_reminders": False, "username": "x"}, format="json"
    )
    assert r.status_code == 200, r.json()
    assert r.json()["first_name"] == "Ada" and r.json()["last_name"] == "Lovelace"
    assert r.json()["email_reminders"] is False
    user.refresh_from_db()
    assert (user.first_name, user.last_name, user.email_reminders) == ("Ada", "Lovelace", False)
    assert user.username != "x"
    # An empty PATCH changes nothing.
    assert client.patch(ME, {}, format="json").json()["first_name"] == "Ada"


@pytest.mark.parametrize(
    "body", [[], 5, {"first_name": "x" * 151}, {"email_reminders": "maybe"}, {"first_name": ["a"]}]
)
def test_me_patch_refuses_bad_input(body):
    r = client_for(UserFactory()).generic("PATCH", ME, json.dumps(body), content_type="application/json")
    assert r.status_code == 400


def test_me_patch_anonymous_is_401(api_client):
    assert api_client.patch(ME, {"first_name": "x"}, format="json").status_code == 401


# --- Throttling -------------------------------------------------------------------------------------
@pytest.fixture
def low_rates(monkeypatch, fresh_rate_window):
    # DRF copies DEFAULT_THROTTLE_RATES onto the class at import, so settings overrides would not reach it.
    rates = {**SimpleRateThrottle.THROTTLE_RATES, "login": "3/minute", "register": "2/hour"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)


def test_login_is_throttled_past_its_rate(api_client, low_rates):
    UserFactory(username="grace")
    codes = [
        api_client.post(TOKEN, {"username": "grace", "password": "wrong-password"}, format="json").status_code
        for _ in range(3)
    ]
    assert codes == [400, 400, 400]
    r = api_client.post(TOKEN, {"username": "grace", "password": PASSWORD}, format="json")
    assert r.status_code == 429
    assert "detail" in r.json()
    assert r.has_header("Retry-After")


def test_register_is_throttled_past_its_rate(api_client, low_rates):
    assert register(api_client, username="u1", email="u1@example.com").status_code == 201
    assert register(api_client, username="u2", email="u2@example.com").status_code == 201
    r = register(api_client, username="u3", email="u3@example.com")
    assert r.status_code == 429
    assert not User.objects.filter(username="u3").exists()


def test_throttle_counts_per_client_address(low_rates):
    UserFactory(username="grace")
    first = APIClient(REMOTE_ADDR="10.0.0.1")
    for _ in range(3):
        first.post(TOKEN, {"username": "grace", "password": "x"}, format="json")
    assert first.post(TOKEN, {"username": "grace", "password": PASSWORD}, format="json").status_code == 429
    second = APIClient(REMOTE_ADDR="10.0.0.2")
    assert second.post(TOKEN, {"username": "grace", "password": PASSWORD}, format="json").status_code == 200


# --- Session auth and CSRF ------------------------------------------------------------------------
def test_session_auth_works():
    user = UserFactory()
    client = APIClient()
    assert client.login(username=user.username, password=PASSWORD)
    r = client.get(ME)
    assert r.status_code == 200 and r.json()["id"] == user.pk


def test_session_auth_enforces_csrf_on_unsafe_requests():
    user = UserFactory()
    client = APIClient(enforce_csrf_checks=True)
    assert client.login(username=user.username, password=PASSWORD)
    assert client.get(ME).status_code == 200
    r = client.patch(ME, {"first_name": "Mallory"}, format="json")
    assert r.status_code == 403
    assert "CSRF" in r.json()["detail"]
    user.refresh_from_db()
    assert user.first_name != "Mallory"


def test_session_auth_with_a_csrf_token_may_write():
    from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret

    user = UserFactory()
    client = APIClient(enforce_csrf_checks=True)
    assert client.login(username=user.username, password=PASSWORD)
    secret = _get_new_csrf_string()
    client.cookies["csrftoken"] = secret
    r = client.patch(ME, {"first_name": "Ada"}, format="json", HTTP_X_CSRFTOKEN=_mask_cipher_secret(secret))
    assert r.status_code == 200, r.json()
    assert r.json()["first_name"] == "Ada"


def test_token_auth_is_not_subject_to_csrf():
    user = UserFactory()
    client = client_for(user)
    client.handler.enforce_csrf_checks = True
    assert client.patch(ME, {"first_name": "Ada"}, format="json").status_code == 200
