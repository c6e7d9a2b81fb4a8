"""Where the benchmark's files are, the services it uses on loopback (PostgreSQL database
``courses_bench``, Redis DBs 8 and 9, unless ``BENCH_DB_NAME`` and ``BENCH_REDIS_DBS`` say otherwise),
and the environment of every process of the run: importing this module puts ``ENV`` into
``os.environ``, so it is imported before Django is set up."""

import os
import secrets
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
OUT = BENCH / "out"
VENV_BIN = ROOT / ".venv" / "bin"
MAIL_DIR = OUT / "mail"
# BENCH_DB_NAME / BENCH_REDIS_DBS ("8,9") move a run elsewhere (several people share a machine).
DB_NAME = os.environ.get("BENCH_DB_NAME", "courses_bench")
PG = "postgres://postgres@127.0.0.1:5432"
_CACHE_DB, _BROKER_DB = os.environ.get("BENCH_REDIS_DBS", "8,9").split(",")
REDIS_CACHE = f"redis://127.0.0.1:6379/{int(_CACHE_DB)}"
REDIS_BROKER = f"redis://127.0.0.1:6379/{int(_BROKER_DB)}"
HIGH = "1000000/minute"

ENV = {
    "DATABASE_URL": f"{PG}/{DB_NAME}",
    "REDIS_URL": REDIS_CACHE,
    "CELERY_BROKER_URL": REDIS_BROKER,
    "SECRET_KEY": "bench-" + secrets.token_hex(24),
    "DEBUG": "0",
    "SECURE_SSL_REDIRECT": "false",
    "SESSION_COOKIE_SECURE": "false",
    "CSRF_COOKIE_SECURE": "false",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "THROTTLE_ANON": HIGH,
    "THROTTLE_USER": HIGH,
    "THROTTLE_LOGIN": HIGH,
    "THROTTLE_REGISTER": HIGH,
    "THROTTLE_QUIZ_SUBMIT": HIGH,
    "EMAIL_BACKEND": "notifications.backends.FileEmailBackend",
    "EMAIL_FILE_PATH": str(MAIL_DIR),
    "LOG_LEVEL": "WARNING",
    "DJANGO_SETTINGS_MODULE": "config.settings",
}
os.environ.update(ENV)


def log(msg: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {msg}", flush=True)
