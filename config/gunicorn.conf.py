"""gunicorn settings for production: ``gunicorn -c config/gunicorn.conf.py config.wsgi``.

Every value can be overridden by the environment (``GUNICORN_BIND``, ``WEB_CONCURRENCY``,
``GUNICORN_THREADS``, ``GUNICORN_TIMEOUT``) or on the command line. The benchmark (``make bench``)
serves the API with exactly this file.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Sync workers: every request holds a worker while it waits on PostgreSQL or Redis, so a host runs
# more workers than cores (gunicorn's own rule of thumb, 2 x cores + 1) to keep the cores busy.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 1))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 20
keepalive = 5  # behind a load balancer that reuses connections
# Import the app once in the master: workers fork with Django ready (faster starts, shared pages).
# Database and Redis connections are opened lazily in each worker, never before the fork.
preload_app = True
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
