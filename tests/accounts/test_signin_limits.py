"""Every way to sign in is limited per client and per account, spoofed headers included (issue 23).

Defaults under test: THROTTLE_LOGIN 10/minute per client address; LOGIN_LOCKOUT_FAILURES 10 failed
passwords per account from any address lock it for LOGIN_LOCKOUT_MINUTES 15 (a cool-off)."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessLog
from django.test import Client
from rest_framework.test import APIClient

from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_rate_window")]

TOKEN = "/api/auth/token/"
SESSION_LOGIN = "/api/auth/session/login/"
ADMIN_LOGIN = "/admin/login/"
ME = "/api/me/"
WRONG = "not-the-password-1"


def token_login(client, username, password, addr="10.0.0.1", **headers):
    return client.post(TOKEN, {"username": username, "password": password}, format="json", REMOTE_ADDR=addr, **headers)


def test_a_spoofed_x_forwarded_for_does_not_reset_the_client_limit():
    user = UserFactory()
    client = APIClient()
    # A different (unknown) account each time: only the client's limit is in play.
    answers = [
        token_login(client, f"guess{i}", WRONG, HTTP_X_FORWARDED_FOR=f"1.2.3.{i}").status_code for i in range(12)
    ]
    assert answers[:10] == [400] * 10
    assert answers[10:] == [429, 429]
    refused = token_login(client, user.username, PASSWORD, HTTP_X_FORWARDED_FOR="9.9.9.9")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0


def test_registration_limit_holds_against_spoofed_headers(settings):
    client = APIClient()
    limit = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["register"].split("/")[0])
    codes = [
        client.post(
            "/api/auth/register/",
            {"username": f"u{i}", "email": f"u{i}@example.com", "password": "a-long-secret-42"},
            format="json",
            HTTP_X_FORWARDED_FOR=f"5.6.7.{i}",
        ).status_code
        for i in range(limit + 2)
    ]
    assert codes[:limit] == [201] * limit and codes[limit:] == [429, 429]


@pytest.mark.parametrize("path", [SESSION_LOGIN, ADMIN_LOGIN])
def test_form_logins_are_limited_per_client(path):
    user = UserFactory(is_staff=True)
    client = Client()
    codes = [
        client.post(path, {"username": f"guess{i}", "password": WRONG}, HTTP_X_FORWARDED_FOR=f"1.1.1.{i}").status_code
        for i in range(11)
    ]
    assert codes[:10] == [200] * 10  # the form again, with its error
    assert codes[10] == 429
    right = client.post(path, {"username": user.username, "password": PASSWORD})
    assert right.status_code == 429 and int(right["Retry-After"]) > 0
    assert "_auth_user_id" not in client.session


def test_the_limit_is_shared_by_every_way_to_sign_in():
    user = UserFactory(is_staff=True)
    api, form = APIClient(), Client()
    for _ in range(5):
        token_login(api, user.username, WRONG, addr="127.0.0.1")
        form.post(ADMIN_LOGIN, {"username": user.username, "password": WRONG})
    assert form.post(SESSION_LOGIN, {"username": user.username, "password": WRONG}).status_code == 429


def test_an_account_locks_after_failures_from_many_addresses_and_cools_off(settings):
    user = UserFactory()
    client = APIClient()
    failures = settings.LOGIN_LOCKOUT_FAILURES
    # One guess from each of many addresses: no client limit is reached, the account's is; the
    # failure that reaches the limit is answered 429 already.
    for i in range(failures - 1):
        assert token_login(client, user.username, WRONG, addr=f"10.1.{i}.1").status_code == 400
    assert token_login(client, user.username, WRONG, addr="10.1.99.1").status_code == 429
    locked = token_login(client, user.username, PASSWORD, addr="10.2.0.1")
    assert locked.status_code == 429
    assert 0 < int(locked["Retry-After"]) <= settings.LOGIN_LOCKOUT_MINUTES * 60
    assert "account" in locked.json()["detail"]
    # Guessing during the lockout is refused uncounted: the lockout does not grow.
    for i in range(5):
        assert token_login(client, user.username, WRONG, addr=f"10.3.{i}.1").status_code == 429
    assert sum(AccessAttempt.objects.filter(username=user.username).values_list("failures_since_start", flat=True)) == (
        failures
    )
    # Another account is not affected.
    other = UserFactory()
    assert token_login(client, other.username, PASSWORD, addr="10.4.0.1").status_code == 200
    # The cool-off ends: the owner signs in.
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.first().attempt_time - settings.AXES_COOLOFF_TIME)
    ok = token_login(client, user.username, PASSWORD, addr="10.5.0.1")
    assert ok.status_code == 200, ok.json()
    assert AccessLog.objects.filter(username=user.username).exists()  # successes are recorded too


def test_a_locked_account_is_locked_on_the_admin_login_too_with_a_clear_message(settings):
    admin = UserFactory(is_staff=True, is_superuser=True)
    for i in range(settings.LOGIN_LOCKOUT_FAILURES):
        token_login(APIClient(), admin.username, WRONG, addr=f"10.9.{i}.1")
    client = Client(REMOTE_ADDR="10.10.0.1")
    r = client.post(ADMIN_LOGIN, {"username": admin.username, "password": PASSWORD})
    assert r.status_code == 429 and int(r["Retry-After"]) > 0
    assert "Too many failed sign-ins for this account" in r.content.decode()
    assert "_auth_user_id" not in client.session
    api = client.post(SESSION_LOGIN, {"username": admin.username, "password": PASSWORD})
    assert api.status_code == 429 and api["Content-Type"].startswith("application/json")


def test_a_wrong_old_password_counts_as_a_failed_sign_in(settings):
    from tests.conftest import client_for

    user = UserFactory()
    client = client_for(user)
    for i in range(settings.LOGIN_LOCKOUT_FAILURES):
        token_login(APIClient(), user.username, WRONG, addr=f"10.7.{i}.1")
    r = client.post("/api/auth/password/", {"old_password": PASSWORD, "new_password": "another-secret-43"})
    assert r.status_code == 429


def test_failed_sign_ins_are_in_the_admin(admin_client):
    user = UserFactory()
    token_login(APIClient(), user.username, WRONG)
    page = admin_client.get("/admin/axes/accessattempt/")
    assert page.status_code == 200 and user.username in page.content.decode()


def test_lockout_settings_come_from_the_environment(monkeypatch):
    import importlib

    import config.settings as config_settings

    monkeypatch.setenv("LOGIN_LOCKOUT_FAILURES", "4")
    monkeypatch.setenv("LOGIN_LOCKOUT_MINUTES", "30")
    monkeypatch.setenv("NUM_PROXIES", "0")
    try:
        reloaded = importlib.reload(config_settings)
        assert reloaded.AXES_FAILURE_LIMIT == 4
        assert timedelta(minutes=30) == reloaded.AXES_COOLOFF_TIME
        assert reloaded.REST_FRAMEWORK["NUM_PROXIES"] == 0
    finally:
        monkeypatch.delenv("LOGIN_LOCKOUT_FAILURES")
        monkeypatch.delenv("LOGIN_LOCKOUT_MINUTES")
        importlib.reload(config_settings)


def test_with_one_trusted_proxy_the_address_it_appended_is_the_client(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    from rest_framework import throttling
    from rest_framework.settings import api_settings

    api_settings.reload()
    try:
        user = UserFactory()
        client = APIClient()
        # Each request arrives through the proxy from a different real client: none is limited.
        for i in range(12):
            assert token_login(client, f"nobody{i}", WRONG, HTTP_X_FORWARDED_FOR=f"6.6.6.{i}").status_code == 400
        assert throttling.BaseThrottle  # the proxy's own address is not the client
        assert token_login(client, user.username, PASSWORD, HTTP_X_FORWARDED_FOR="7.7.7.7").status_code == 200
    finally:
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 0}
        api_settings.reload()
