"""Existing databases move forward with no data loss: the migrations describe exactly the models (so a
database migrated on an earlier main needs nothing the models do not say), and they apply from an
empty database. The restructuring into ``learning`` and ``studio`` moved no model and added no
migration: every table keeps its app and its name."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args: str, var_dir: Path) -> subprocess.CompletedProcess:
    """``manage.py`` on the embedded default (SQLite in ``var_dir``), whatever this run's stack."""
    env = {**os.environ, "VAR_DIR": str(var_dir), "DJANGO_SETTINGS_MODULE": "config.settings"}
    for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"):
        env.pop(name, None)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_migrations_apply_from_empty_and_match_the_models(tmp_path):
    migrated = _manage("migrate", "--no-input", var_dir=tmp_path)
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    pending = _manage("makemigrations", "--check", "--dry-run", var_dir=tmp_path)
    assert pending.returncode == 0, "models differ from their migrations:\n" + pending.stdout + pending.stderr
    tables = _manage("inspectdb", var_dir=tmp_path)
    assert tables.returncode == 0
    for table in ("courseware_course", "courseware_enrollment", "courseware_certificate", "lessons_lessoncompletion"):
        assert f"db_table = '{table}'" in tables.stdout
