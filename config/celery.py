import os
import time
from pathlib import Path
from typing import Any

from celery import Celery
from celery.signals import beat_init, before_task_publish, task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# --- Database connections in workers --------------------------------------------------------------
# Celery's Django fixup closes every database connection before and after each task, so every task
# paid for a new PostgreSQL connection and a new server backend whose catalog caches start cold (about
# 40 ms a task on the benchmark machine, four times the task's own work). ``CELERY_DB_REUSE_MAX`` (in
# settings) turns that off but for a reconnect every so many tasks; these two handlers give tasks the
# lifecycle Django gives requests instead: ``close_old_connections`` before and after each task, which
# honours ``CONN_MAX_AGE`` and re-arms ``CONN_HEALTH_CHECKS`` (checked before the task's first
# query). A task that did not succeed may have been interrupted mid-query (a soft time limit raises
# inside the database call) and left a connection Django would still call usable: it is closed.
def _runs_in_worker(task: Any) -> bool:
    # Eager tasks run inside the caller's request or transaction: its connection is not ours to close.
    return task is not None and not getattr(task.request, "is_eager", False)


@task_prerun.connect
def _connections_before_task(sender: Any = None, **kwargs: Any) -> None:
    if _runs_in_worker(sender):
        from django.db import close_old_connections

        close_old_connections()


@task_postrun.connect
def _connections_after_task(sender: Any = None, state: str | None = None, **kwargs: Any) -> None:
    if not _runs_in_worker(sender):
        return
    from django.db import close_old_connections, connections

    if state == "SUCCESS":
        close_old_connections()
    else:
        connections.close_all()


# --- Queue health ---------------------------------------------------------------------------------
# Each message carries the time it was sent, so /healthz can tell a queue's oldest message's age
# (``config.health``): a queue nobody consumes shows as waiting, not just as long.
@before_task_publish.connect
def _stamp_sent_at(headers: dict | None = None, **kwargs: Any) -> None:
    if headers is not None:
        headers.setdefault("sent_at", time.time())


@beat_init.connect
def _beat_state_directory(sender: Any = None, **kwargs: Any) -> None:
    """beat keeps its schedule state under VAR_DIR (``CELERY_BEAT_SCHEDULE_FILENAME``): make sure it exists."""
    filename = app.conf.beat_schedule_filename
    if filename:
        Path(filename).parent.mkdir(parents=True, exist_ok=True)
