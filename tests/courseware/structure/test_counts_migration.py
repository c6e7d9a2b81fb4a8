"""A database made before the catalog kept counts on the course row migrates to correct counts.

The suite runs without migrations (``--no-migrations``), so this test migrates a database of its own
for real, as ``tests/architecture/test_migrations.py`` does: the embedded default (SQLite in a
temporary directory) is migrated up to ``courseware.0002`` (the content apps to just before versions,
every other app to its latest), given
courses with modules, lessons and quizzes through the models of that state, then migrated forward;
the counts the catalog shows are then those of the rows, and the courses are searchable."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

BEFORE = "0002_enrollment_activity_seq"
SCRIPT = f"""
import json
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

executor = MigrationExecutor(connection)
# courseware before the counts; the content apps before versions (their migrations follow it)
EARLIER = {{"courseware": "{BEFORE}", "lessons": "0001_initial", "quizzes": "0004_overrides"}}
before = [(app, EARLIER.get(app, name)) for app, name in executor.loader.graph.leaf_nodes()]
executor.migrate(before)
old = MigrationExecutor(connection).loader.project_state(before).apps
Course, Module = old.get_model("courseware", "Course"), old.get_model("courseware", "Module")
Lesson, Quiz = old.get_model("lessons", "Lesson"), old.get_model("quizzes", "Quiz")
assert "module_count" not in {{f.name for f in Course._meta.get_fields()}}
for slug, modules, lessons, quizzes in [("full", 3, 2, 1), ("lessons-only", 1, 4, 0), ("empty", 0, 0, 0)]:
    course = Course.objects.create(slug=slug, title=f"Pricing {{slug}}", summary="Old.", is_published=True)
    for m in range(1, modules + 1):
        module = Module.objects.create(course=course, slug=f"m{{m}}", title=f"M{{m}}", position=m)
        for p in range(1, lessons + 1):
            Lesson.objects.create(course=course, module=module, slug=f"m{{m}}-l{{p}}", title="L", position=p)
        for p in range(1, quizzes + 1):
            Quiz.objects.create(course=course, module=module, slug=f"m{{m}}-q{{p}}", title="Q", position=p)

executor = MigrationExecutor(connection)
executor.migrate(executor.loader.graph.leaf_nodes())

from rest_framework.test import APIClient  # the current code, on the migrated database
results = APIClient().get("/api/courses/", {{"search": "pricing"}}, HTTP_HOST="localhost").json()["results"]
print(json.dumps({{c["slug"]: [c["module_count"], c["lesson_count"], c["quiz_count"]] for c in results}}))
"""


def test_existing_courses_get_their_counts_when_migrated(tmp_path):
    env = {**os.environ, "VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings"}
    for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"):
        env.pop(name, None)
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    counts = json.loads(done.stdout.strip().splitlines()[-1])
    assert counts == {"empty": [0, 0, 0], "full": [3, 6, 3], "lessons-only": [1, 4, 0]}
