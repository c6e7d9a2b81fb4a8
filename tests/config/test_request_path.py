"""The request path's shortcuts (config/routing.py, config/middleware.py, config/renderers.py,
config/throttling.py, config/db/postgresql) answer exactly what Django's and DRF's own code answers."""

import time

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings
from django.urls import get_resolver
from django.utils.csp import build_policy
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.throttling import BaseThrottle

from config.renderers import ContentNegotiation
from config.routing import RememberingResolver
from config.throttling import client_ip
from tests.conftest import client_for


def _api_resolver() -> RememberingResolver:
    (resolver,) = [p for p in get_resolver().url_patterns if isinstance(p, RememberingResolver)]
    return resolver


@pytest.mark.django_db
def test_remembered_resolution_is_djangos(course):
    resolver = _api_resolver()
    paths = [
        f"api/courses/{course.slug}/",
        f"api/courses/{course.slug}/progress/",
        "api/courses/",
        "api/me/",
        "api/schema/",
        "api/auth/session/login/",
    ]
    for path in paths:
        for _ in range(2):  # the second answer is the remembered one
            got = resolver.resolve(path)
            fresh = super(RememberingResolver, resolver).resolve(path)
            assert (got.func, got.args, got.kwargs, got.url_name, got.route, got.namespaces) == (
                fresh.func,
                fresh.args,
                fresh.kwargs,
                fresh.url_name,
                fresh.route,
                fresh.namespaces,
            )


@pytest.mark.django_db
def test_a_path_that_resolves_to_nothing_stays_a_json_404(course):
    for _ in range(2):
        response = APIClient().get("/api/no-such-resource/")
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found."}
    assert APIClient().get(f"/api/courses/{course.slug}/").status_code == 200


@pytest.mark.django_db
def test_json_answers_carry_djangos_policy_and_follow_a_changed_policy():
    expected = build_policy(settings.SECURE_CSP)
    for path in ("/api/courses/", "/api/no-such-resource/", "/livez"):
        assert APIClient().get(path)["Content-Security-Policy"] == expected
    changed = {**settings.SECURE_CSP, "img-src": ["'self'"]}
    with override_settings(SECURE_CSP=changed):
        assert APIClient().get("/api/courses/")["Content-Security-Policy"] == build_policy(changed)
    assert APIClient().get("/api/courses/")["Content-Security-Policy"] == expected


@pytest.mark.parametrize(
    ("accept", "query"),
    [
        (None, ""),
        ("*/*", ""),
        ("application/json", ""),
        ("application/json; indent=4", ""),
        ("application/*", ""),
        ("text/html, */*;q=0.8", ""),
        ("text/html", ""),
        ("", ""),
        ("*/*", "?format=json"),
        ("*/*", "?format=xml"),
    ],
)
def test_negotiation_chooses_what_drfs_chooses(accept, query):
    factory = APIRequestFactory()
    headers = {"HTTP_ACCEPT": accept} if accept is not None else {}
    renderers = [renderer() for renderer in api_settings.DEFAULT_RENDERER_CLASSES]

    def choice(negotiation):
        request = Request(factory.get("/api/courses/" + query, **headers))
        try:
            renderer, media_type = negotiation.select_renderer(request, renderers)
        except Exception as exc:  # the same refusal (406, or 404 for an unknown format)
            return type(exc)
        return type(renderer), media_type

    assert choice(ContentNegotiation()) == choice(DefaultContentNegotiation())


@pytest.mark.django_db
@pytest.mark.parametrize("accept", [None, "*/*", "application/json", "text/html"])
def test_negotiated_answers_over_http(learner, accept):
    headers = {"HTTP_ACCEPT": accept} if accept is not None else {}
    response = client_for(learner).get("/api/me/", **headers)
    if accept == "text/html":
        assert response.status_code == 406
    else:
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize("num_proxies", [None, 0, 1, 2])
@pytest.mark.parametrize(
    "xff", [None, "", "203.0.113.7", "203.0.113.7, 198.51.100.2", " 203.0.113.7 ,10.0.0.1 , 10.0.0.2"]
)
def test_throttle_identity_is_drfs(num_proxies, xff):
    meta = {"REMOTE_ADDR": "192.0.2.1"}
    if xff is not None:
        meta["HTTP_X_FORWARDED_FOR"] = xff
    with override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "NUM_PROXIES": num_proxies}):
        request = APIRequestFactory().get("/api/courses/", **meta)
        assert client_ip(request) == BaseThrottle().get_ident(request)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL backend's health check")
@pytest.mark.django_db(transaction=True)
def test_health_check_keeps_a_live_connection_and_replaces_a_terminated_one():
    import psycopg

    connection.ensure_connection()
    assert connection.health_check_enabled
    live = connection.connection
    connection.health_check_done = False
    connection.close_if_health_check_failed()  # a quiet socket: kept, no query sent
    assert connection.connection is live

    params = connection.get_connection_params()
    pid = live.info.backend_pid
    with psycopg.connect(**{k: v for k, v in params.items() if k not in ("cursor_factory", "context")}) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    time.sleep(0.2)  # the termination notice reaches this socket
    connection.health_check_done = False
    connection.close_if_health_check_failed()
    assert connection.connection is None  # dropped before a query could fail on it
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
