"""Where the time goes, in-process (Django test Client against the bench database, servers stopped):
SQL queries per request, the progress recompute called directly, and cProfile of two read paths."""

import cProfile
import io
import json
import pstats
import time

from bench.dataset import BIG_SLUG
from bench.env import ROOT

# Project code (Django models, services, the Celery app) is imported inside the functions below, not
# here: it can be imported only after django.setup(), which bench.main runs once the environment is set
# and courses_bench is migrated.


PROFILE_FOCUS = (
    r"(?:^|/)(courseware|lessons|quizzes|accounts|config)/|rest_framework/(authentication|throttling|permissions"
    r"|renderers|views)|django/db/(backends/utils|models/query\.py)|psycopg/cursor|django_redis/client|authtoken"
)


def profile_endpoints(token: str, lesson_id: int, quiz_id: int, answers: list, n: int) -> dict:
    """Queries per request and a cProfile of the outline and lesson paths, in-process (test Client)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    auth = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Token {token}", HTTP_HOST="127.0.0.1")
    anon = Client(raise_request_exception=False, HTTP_HOST="127.0.0.1")
    paths = {
        "GET /api/courses/ (anonymous)": lambda: anon.get("/api/courses/"),
        f"GET /api/courses/{BIG_SLUG}/ (anonymous)": lambda: anon.get(f"/api/courses/{BIG_SLUG}/"),
        f"GET /api/courses/{BIG_SLUG}/ (enrolled)": lambda: auth.get(f"/api/courses/{BIG_SLUG}/"),
        f"GET /api/lessons/{lesson_id}/": lambda: auth.get(f"/api/lessons/{lesson_id}/"),
        f"GET /api/courses/{BIG_SLUG}/progress/": lambda: auth.get(f"/api/courses/{BIG_SLUG}/progress/"),
        f"POST /api/lessons/{lesson_id}/complete/": lambda: auth.post(f"/api/lessons/{lesson_id}/complete/"),
        f"POST /api/quizzes/{quiz_id}/attempts/": lambda: auth.post(
            f"/api/quizzes/{quiz_id}/attempts/", data=json.dumps({"answers": answers}), content_type="application/json"
        ),
    }
    out: dict = {"queries": {}, "profiles": {}}
    for label, call in paths.items():
        call()  # warm (cache, connection)
        with CaptureQueriesContext(connection) as ctx:
            resp = call()
        out["queries"][label] = {"status": resp.status_code, "queries": len(ctx.captured_queries)}
    from courseware.models import Enrollment
    from learning.progress.services import enrollment_progress_recompute

    enrollment_id = Enrollment.objects.filter(learner_id=2, course_id=1).values_list("pk", flat=True).get()
    enrollment_progress_recompute(enrollment_id=enrollment_id)
    with CaptureQueriesContext(connection) as ctx:
        enrollment_progress_recompute(enrollment_id=enrollment_id)
    t = time.perf_counter()
    for _ in range(n):
        enrollment_progress_recompute(enrollment_id=enrollment_id)
    out["recompute"] = {"queries": len(ctx.captured_queries), "ms": (time.perf_counter() - t) / n * 1000, "n": n}
    for label in (f"GET /api/courses/{BIG_SLUG}/ (enrolled)", f"GET /api/lessons/{lesson_id}/"):
        prof = cProfile.Profile()
        t = time.perf_counter()
        prof.enable()
        for _ in range(n):
            paths[label]()
        prof.disable()
        per = (time.perf_counter() - t) / n * 1000
        parts = []
        for sort, restrict in (("cumulative", [PROFILE_FOCUS, 25]), ("tottime", [15])):
            buf = io.StringIO()
            pstats.Stats(prof, stream=buf).sort_stats(sort).print_stats(*restrict)
            text = buf.getvalue()
            text = text[text.find("ncalls") :] if "ncalls" in text else text
            text = text.replace(str(ROOT / ".venv" / "lib" / "python3.12" / "site-packages") + "/", "")
            parts.append(
                f"# by {sort}" + (" (app code, DRF auth/throttling, DB, cache)" if sort == "cumulative" else "")
            )
            parts.append(text.replace(str(ROOT) + "/", "").rstrip())
        out["profiles"][label] = {"ms_per_request_profiled": per, "n": n, "top": "\n".join(parts)}
    connection.close()
    return out
