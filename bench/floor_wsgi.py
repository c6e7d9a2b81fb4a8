"""What the benchmark serves: the production WSGI application (``config.wsgi``), with one DRF route
appended and four raw WSGI floors in front of it, all in the same gunicorn (config/gunicorn.conf.py).

A floor does exactly the I/O a class of endpoint cannot avoid, and nothing else: no Django, no
DRF, no middleware, a hand-written JSON answer. Each endpoint is reported as its rate ÷ its floor's
rate in the same round, so the figure is how close the framework and the app come to the I/O.

- ``/bench/floor/wsgi``: nothing (gunicorn and WSGI alone).
- ``/bench/floor/anon``: one Redis round trip (``INCR`` of a per-address counter: the throttle).
- ``/bench/floor/auth``: one indexed SQL statement (token digest -> user -> enrollment in the big
  course) plus one Redis round trip (``INCR`` of a per-user counter).
- ``/bench/floor/write?lesson=<id>``: ``auth``, plus one ``INSERT ... ON CONFLICT DO NOTHING`` that
  commits (an autocommit statement: its WAL flush is the commit) into ``bench_floor_completion``
  (a table only the benchmark creates, ``bench.floors``) and one Redis ``LPUSH`` (the queued
  task a recorded write costs) on the broker's Redis.

The connections are opened lazily in each worker (after gunicorn's fork), one per process and kept,
as Django keeps its own (``DB_CONN_MAX_AGE``); psycopg prepares the repeated statements itself.

``/api/bench/auth-floor`` is the cheapest authenticated request the API's own framework can answer: a
DRF view with the project's default authentication, permission and throttles, answering a two-key JSON
object.

``/api/bench/django-floor/<anon|auth|write>`` are the raw floors again, written as plain Django views
(no DRF) that make the same statements and Redis calls through Django's database connection, behind
every middleware an API request passes. They are what any view served by Django can reach at best:
an endpoint's target above its Django floor's figure cannot be met by work inside the view.

These routes sit under ``/api/``, so that the middleware API requests skip
(``config.middleware.OutsideApi``) is skipped for them too, and before every route of the project:
appended after them, each request first tried every API pattern in vain (a path the remembering
resolver, ``config.routing``, does not keep), about 0.1 ms more than an API path costs. Their paths
match no other route, so every other URL resolves as before (one more pattern that does not match)."""

import hashlib
import os
import time
from urllib.parse import parse_qs

from bench.floors import FLOOR_COURSE_ID, FLOOR_LIST, FLOOR_PREFIX, FLOOR_TABLE
from config.wsgi import application as django_application  # sets Django up first

_AUTH_SQL = (
    "SELECT u.id, u.is_active, e.id, e.status FROM accounts_authtoken t "
    "JOIN accounts_user u ON u.id = t.user_id "
    "LEFT JOIN courseware_enrollment e ON e.learner_id = u.id AND e.course_id = %s "
    "WHERE t.digest = %s AND (t.expires_at IS NULL OR t.expires_at > now())"
)
_INSERT_SQL = (
    f"INSERT INTO {FLOOR_TABLE} (learner_id, lesson_id, completed_at) VALUES (%s, %s, now()) "  # noqa: S608
    "ON CONFLICT (learner_id, lesson_id) DO NOTHING"
)


class _Conns:
    """This process's PostgreSQL and Redis connections for the floors (opened on first use)."""

    pid = None
    pg = cache = broker = None

    @classmethod
    def get(cls):
        if cls.pid != os.getpid():
            import psycopg
            import redis

            cls.pg = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)
            cls.cache = redis.Redis.from_url(os.environ["REDIS_URL"])
            cls.broker = redis.Redis.from_url(os.environ["CELERY_BROKER_URL"])
            cls.pid = os.getpid()
        return cls


def _answer(start_response, status: str, body: bytes):
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def _window() -> int:
    return int(time.time() // 60)


def _authenticate(environ, c, fetchone) -> int | None:
    """The user id from ``Authorization: Token <key>``, or None; one statement (``fetchone(sql,
    params)``: through the floor's own connection or Django's) and one counter."""
    header = environ.get("HTTP_AUTHORIZATION", "")
    if not header.startswith("Token "):
        return None
    digest = hashlib.sha256(header[6:].encode()).hexdigest()
    row = fetchone(_AUTH_SQL, (FLOOR_COURSE_ID, digest))
    if row is None or not row[1] or row[2] is None:
        return None
    c.cache.incr(f"bench:floor:user:{row[0]}:w{_window()}")
    return row[0]


def floor(environ, start_response):
    kind = environ["PATH_INFO"][len(FLOOR_PREFIX) :]
    if kind == "wsgi":
        return _answer(start_response, "200 OK", b'{"status":"ok"}')
    c = _Conns.get()
    if kind == "anon":
        c.cache.incr(f"bench:floor:anon:{environ.get('REMOTE_ADDR', '')}:w{_window()}")
        return _answer(start_response, "200 OK", b'{"status":"ok"}')
    if kind not in ("auth", "write"):
        return _answer(start_response, "404 Not Found", b'{"detail":"No such floor."}')
    user_id = _authenticate(environ, c, lambda sql, params: c.pg.execute(sql, params).fetchone())
    if user_id is None:
        return _answer(start_response, "401 Unauthorized", b'{"detail":"Invalid token."}')
    if kind == "write":
        lesson = int(parse_qs(environ.get("QUERY_STRING", "")).get("lesson", ["0"])[0])
        created = c.pg.execute(_INSERT_SQL, (user_id, lesson)).rowcount
        c.broker.lpush(FLOOR_LIST, f"{user_id}:{lesson}")
        return _answer(start_response, "201 Created" if created else "200 OK", b'{"status":"ok"}')
    return _answer(start_response, "200 OK", b'{"status":"ok","user":%d}' % user_id)


def application(environ, start_response):
    if environ.get("PATH_INFO", "").startswith(FLOOR_PREFIX):
        return floor(environ, start_response)
    return django_application(environ, start_response)


def _append_routes() -> None:
    from django.db import connection
    from django.http import HttpResponse
    from django.urls import path
    from django.views.decorators.csrf import csrf_exempt
    from rest_framework.response import Response
    from rest_framework.views import APIView

    from config import urls

    class AuthFloorView(APIView):
        def get(self, request):
            return Response({"status": "ok", "user": request.user.pk})

    def json(status: int, body: bytes) -> HttpResponse:
        return HttpResponse(body, status=status, content_type="application/json")

    @csrf_exempt  # as DRF's views are: the floors authenticate by token only
    def django_floor(request, kind: str):
        """A floor's I/O in a plain Django view: Django's connection for SQL, one Redis call per counter."""
        c = _Conns.get()
        if kind == "anon":
            c.cache.incr(f"bench:floor:anon:{request.META.get('REMOTE_ADDR', '')}:w{_window()}")
            return json(200, b'{"status":"ok"}')
        if kind not in ("auth", "write"):
            return json(404, b'{"detail":"No such floor."}')
        with connection.cursor() as cursor:

            def fetchone(sql, params):
                cursor.execute(sql, params)
                return cursor.fetchone()

            user_id = _authenticate(request.META, c, fetchone)
            if user_id is None:
                return json(401, b'{"detail":"Invalid token."}')
            if kind == "auth":
                return json(200, b'{"status":"ok","user":%d}' % user_id)
            cursor.execute(_INSERT_SQL, (user_id, int(request.GET.get("lesson", "0"))))
            created = cursor.rowcount
        c.broker.lpush(FLOOR_LIST, f"{user_id}:{request.GET.get('lesson', '0')}")
        return json(201 if created else 200, b'{"status":"ok"}')

    urls.urlpatterns[:0] = [
        path("api/bench/auth-floor", AuthFloorView.as_view()),
        path("api/bench/django-floor/<str:kind>", django_floor),
    ]


_append_routes()

__all__ = ["application"]
