"""gunicorn settings for production: ``gunicorn -c config/gunicorn.conf.py config.wsgi``.

Every value can be overridden by the environment (``GUNICORN_BIND``, ``WEB_CONCURRENCY``,
``GUNICORN_THREADS``, ``GUNICORN_TIMEOUT``) or on the command line. The benchmark (``make bench``)
serves the API with exactly this file.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Sync workers: every request holds a worker while it waits on PostgreSQL or Redis, so a host runs
# one more worker than it has cores to keep them busy. Not gunicorn's rule of thumb (2 x cores + 1):
# our requests wait little (sub-millisecond queries on prepared statements), and on the 2-core
# benchmark machine 3 workers served 20-35 % more than 5, with lower p99 (the extra workers only
# fight PostgreSQL, Redis and each other for the same cores). Hosts whose database is further away
# wait longer per request and want more: set WEB_CONCURRENCY.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 1))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 20
keepalive = 5  # behind a load balancer that reuses connections
# Import the app once in the master: workers fork with Django ready (faster starts, shared pages).
# Database and Redis connections are opened lazily in each worker, never before the fork.
preload_app = True
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
