"""Tokens that can be revoked: logout, per-client list and revoke, password change (API, admin,
service), expiry, and keys stored only as digests (issue 23)."""

import hashlib
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import AuthToken
from accounts.services import user_password_set
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

TOKEN, ME, LOGOUT, TOKENS = "/api/auth/token/", "/api/me/", "/api/auth/logout/", "/api/auth/tokens/"
PASSWORD_CHANGE, RESET, RESET_CONFIRM = (
    "/api/auth/password/",
    "/api/auth/password/reset/",
    "/api/auth/password/reset/confirm/",
)
NEW_PASSWORD = "a-brand-new-secret-77"


def sign_in(user, password=PASSWORD, agent="phone") -> APIClient:
    r = APIClient().post(TOKEN, {"username": user.username, "password": password}, format="json", HTTP_USER_AGENT=agent)
    assert r.status_code == 200, r.json()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {r.json()['token']}")
    client.key = r.json()["token"]
    return client


def session_for(user) -> Client:
    client = Client(enforce_csrf_checks=False)
    assert client.post("/api/auth/session/login/", {"username": user.username, "password": PASSWORD}).status_code == 302
    assert client.get(ME).status_code == 200
    return client


def test_keys_are_stored_only_as_digests():
    user = UserFactory()
    client = sign_in(user)
    row = AuthToken.objects.get(user=user)
    assert row.digest == hashlib.sha256(client.key.encode()).hexdigest()
    assert not AuthToken.objects.filter(digest=client.key).exists()
    assert client.key not in str(list(AuthToken.objects.values_list()))


def test_logout_revokes_the_calling_token_only():
    user = UserFactory()
    phone, laptop = sign_in(user, agent="phone"), sign_in(user, agent="laptop")
    assert phone.post(LOGOUT).status_code == 204
    assert phone.get(ME).status_code == 401
    assert laptop.get(ME).status_code == 200


def test_a_logged_out_session_ends():
    user = UserFactory()
    session = session_for(user)
    assert session.post(LOGOUT).status_code == 204
    assert session.get(ME).status_code in (401, 403)


def test_the_token_list_shows_each_client_and_revokes_one():
    user, other = UserFactory(), UserFactory()
    phone, laptop = sign_in(user, agent="phone"), sign_in(user, agent="laptop")
    foreign = sign_in(other)
    listed = phone.get(TOKENS).json()
    assert [(t["client"], t["current"]) for t in listed] == [("laptop", False), ("phone", True)]
    assert set(listed[0]) == {"id", "client", "created_at", "expires_at", "current"}
    laptop_id = listed[0]["id"]
    foreign_id = foreign.get(TOKENS).json()[0]["id"]
    assert phone.delete(f"{TOKENS}{foreign_id}/").status_code == 404  # not theirs: no such token
    assert foreign.get(ME).status_code == 200
    assert phone.delete(f"{TOKENS}{laptop_id}/").status_code == 204
    assert laptop.get(ME).status_code == 401
    assert phone.get(ME).status_code == 200


def test_a_password_change_revokes_every_other_token_and_session():
    user = UserFactory()
    phone, laptop, session = sign_in(user, agent="phone"), sign_in(user, agent="laptop"), session_for(user)
    wrong = phone.post(PASSWORD_CHANGE, {"old_password": "not-it-at-all", "new_password": NEW_PASSWORD})
    assert wrong.status_code == 400 and "old_password" in wrong.json()
    weak = phone.post(PASSWORD_CHANGE, {"old_password": PASSWORD, "new_password": "123"})
    assert weak.status_code == 400 and "new_password" in weak.json()
    r = phone.post(PASSWORD_CHANGE, {"old_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert r.status_code == 204
    assert phone.get(ME).status_code == 200  # the token that made the change
    assert laptop.get(ME).status_code == 401
    assert session.get(ME).status_code in (401, 403)
    sign_in(user, password=NEW_PASSWORD)


def test_a_password_change_in_a_session_keeps_that_session():
    user = UserFactory()
    phone = sign_in(user)
    session = session_for(user)
    csrf = session.get("/api/auth/session/login/").cookies["csrftoken"].value
    session.cookies["csrftoken"] = csrf
    r = session.post(
        PASSWORD_CHANGE,
        {"old_password": PASSWORD, "new_password": NEW_PASSWORD},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=csrf,
    )
    assert r.status_code == 204
    assert session.get(ME).status_code == 200
    assert phone.get(ME).status_code == 401


def test_the_service_and_the_admin_revoke_too(admin_client):
    user = UserFactory()
    phone = sign_in(user)
    user_password_set(user=user, password=NEW_PASSWORD)
    assert phone.get(ME).status_code == 401
    laptop = sign_in(user, password=NEW_PASSWORD)
    r = admin_client.post(
        f"/admin/accounts/user/{user.pk}/password/",
        {"password1": "admin-chosen-secret-5", "password2": "admin-chosen-secret-5", "usable_password": "true"},
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    assert laptop.get(ME).status_code == 401


def test_tokens_expire_after_the_configured_days(settings):
    settings.TOKEN_TTL_DAYS = 30
    user = UserFactory()
    phone = sign_in(user)
    token = AuthToken.objects.get(user=user)
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)
    assert phone.get(ME).status_code == 200
    AuthToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert phone.get(ME).status_code == 401
    assert phone.get("/api/courses/some-course/").status_code in (401, 404)  # the one-round-trip read too
    assert phone.get(TOKENS).status_code == 401


# --- Password reset -------------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def _run_on_commit(django_capture_on_commit_callbacks, monkeypatch):
    """The reset email is sent by a task enqueued on commit: each request's callbacks run as its
    commit would (the test's transaction never commits)."""
    post = APIClient.post

    def post_and_commit(self, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return post(self, *args, **kwargs)

    monkeypatch.setattr(APIClient, "post", post_and_commit)


def reset_link() -> tuple[str, str]:
    body = mail.outbox[-1].body
    match = re.search(r"uid=([^&\s]+)&token=([^\s]+)", body)
    return match.group(1), match.group(2)


def test_reset_request_answers_the_same_whether_or_not_the_address_exists():
    UserFactory(email="ada@example.com")
    known = APIClient().post(RESET, {"email": "ADA@example.com"}, format="json")
    unknown = APIClient().post(RESET, {"email": "nobody@example.com"}, format="json", REMOTE_ADDR="10.0.0.2")
    assert known.status_code == unknown.status_code == 202
    assert known.content == unknown.content
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ada@example.com"]


def test_a_reset_link_works_once_and_revokes_every_token_and_session():
    user = UserFactory(email="ada@example.com")
    phone, session = sign_in(user), session_for(user)
    assert APIClient().post(RESET, {"email": "ada@example.com"}, format="json").status_code == 202
    uid, token = reset_link()
    confirm = {"uid": uid, "token": token, "new_password": NEW_PASSWORD}
    assert APIClient().post(RESET_CONFIRM, confirm, format="json").status_code == 204
    assert phone.get(ME).status_code == 401
    assert session.get(ME).status_code in (401, 403)
    again = APIClient().post(RESET_CONFIRM, {**confirm, "new_password": "yet-another-secret-9"}, format="json")
    assert again.status_code == 400 and "token" in again.json()
    sign_in(user, password=NEW_PASSWORD)


def test_a_reset_link_expires(settings):
    user = UserFactory(email="ada@example.com")
    APIClient().post(RESET, {"email": "ada@example.com"}, format="json")
    uid, token = reset_link()
    settings.PASSWORD_RESET_TIMEOUT = -1
    r = APIClient().post(RESET_CONFIRM, {"uid": uid, "token": token, "new_password": NEW_PASSWORD}, format="json")
    assert r.status_code == 400
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


@pytest.mark.parametrize("uid", ["", "!!", "MQ", "A" * 60])
def test_a_forged_reset_link_is_refused(uid):
    UserFactory()
    r = APIClient().post(
        RESET_CONFIRM, {"uid": uid or "x", "token": "1-abc", "new_password": NEW_PASSWORD}, format="json"
    )
    assert r.status_code == 400


def test_reset_requests_are_limited_per_address_and_per_client(fresh_rate_window):
    UserFactory(email="ada@example.com")
    spellings = ["ada@example.com", " ADA@Example.com", "Ada@example.COM "]  # one account, however written
    codes = [
        APIClient().post(RESET, {"email": spellings[i % 3]}, format="json", REMOTE_ADDR=f"10.0.1.{i}").status_code
        for i in range(11)
    ]
    assert codes[:10] == [202] * 10 and codes[10] == 429
    codes = [
        APIClient().post(RESET, {"email": f"x{i}@example.com"}, format="json", REMOTE_ADDR="10.0.2.1").status_code
        for i in range(11)
    ]
    assert codes[10] == 429


# --- Display name -----------------------------------------------------------------------------------
def test_the_display_name_is_taken_at_registration_and_on_me():
    r = APIClient().post(
        "/api/auth/register/",
        {"username": "ada", "email": "ada@example.com", "password": "a-long-secret-42", "name": "Ada Lovelace"},
        format="json",
    )
    assert r.status_code == 201
    client = sign_in(type("U", (), {"username": "ada"}), password="a-long-secret-42")
    assert client.get(ME).json()["name"] == "Ada Lovelace"
    assert client.patch(ME, {"name": "Countess"}, format="json").json()["name"] == "Countess"
