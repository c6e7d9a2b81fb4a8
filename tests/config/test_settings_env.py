"""The configuration surface stays documented: every variable the settings read is in .env.example."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_environment_variable_is_in_env_example():
    read = set()
    for path in (ROOT / "config").glob("*.py"):
        read |= set(re.findall(r'env_(?:str|bool|int|list)\(\s*"([A-Z0-9_]+)"', path.read_text()))
    documented = {
        line.split("=", 1)[0].strip()
        for line in (ROOT / ".env.example").read_text().splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    }
    assert read, "no settings found"
    assert read - documented == set(), f"missing from .env.example: {sorted(read - documented)}"
    assert documented - read == set(), f".env.example lists unknown variables: {sorted(documented - read)}"


def _settings_value(expr: str, **env: str) -> str:
    """``expr`` evaluated under production-style settings read from ``env`` (a fresh process)."""
    import os
    import subprocess
    import sys

    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DB_", "DATABASE_URL"))},
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": "postgres://u@127.0.0.1:5432/never_connected",
        "SECRET_KEY": "x" * 50,
        **env,
    }
    code = f"import django; django.setup(); from django.conf import settings; print({expr})"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environ, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_database_health_checks_are_on_unless_turned_off():
    expr = "settings.DATABASES['default']['CONN_HEALTH_CHECKS']"
    assert _settings_value(expr) == "True"
    assert _settings_value(expr, DB_CONN_HEALTH_CHECKS="false") == "False"


def test_gunicorn_runs_one_worker_more_than_cores_unless_told(monkeypatch):
    import multiprocessing
    import runpy

    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    assert runpy.run_path(str(ROOT / "config" / "gunicorn.conf.py"))["workers"] == multiprocessing.cpu_count() + 1
    monkeypatch.setenv("WEB_CONCURRENCY", "7")
    assert runpy.run_path(str(ROOT / "config" / "gunicorn.conf.py"))["workers"] == 7
