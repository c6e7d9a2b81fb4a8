"""The test suite's settings: the same settings as every other run (environment-driven), with a
fast password hasher and tasks eager unless a test runs a real worker (Django's test runner
keeps mail in memory)."""

import os

from config.settings import *  # noqa: F403
from config.settings import CACHES, REDIS_URL

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
CELERY_TASK_ALWAYS_EAGER = True
if REDIS_URL:
    # Keys of one test run never meet another's or the production keys on a shared Redis.
    CACHES["default"]["KEY_PREFIX"] = f"test-{os.getpid()}"
# Tests never run collectstatic: serve static files without the hashed manifest.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
