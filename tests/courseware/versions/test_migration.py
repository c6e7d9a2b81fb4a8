"""An existing database moves to versions with no data loss: every course that was published gets
version 1 holding exactly what its learners saw (so the next publish finds nothing changed), a
course never published keeps only its draft, and completions and progress are untouched. The test
suite runs without migrations, so this runs the real migrations on a database of its own (SQLite,
in a child process: ``migrate_existing.py``)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_existing_courses_become_version_1_with_nothing_lost(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL")}
    env["VAR_DIR"] = str(tmp_path)
    run = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("migrate_existing.py"))],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    assert seen["published_version"] == 1
    assert seen["versions"] == [[1, 3]]  # two lessons and a quiz
    assert seen["draft_changes_pending"] is False  # version 1 is exactly the content as it stood
    assert seen["outline"] == [["Lesson 1", "Lesson 2"]]
    assert seen["quizzes"] == [["Quiz", 1]]
    assert seen["progress"] == [1, 3]
    assert seen["completions"] == 1
    assert seen["lesson_page"] == "<p>Body 1.</p>"
    assert seen["never_published"] == [0, 0]
