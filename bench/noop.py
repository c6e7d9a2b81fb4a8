"""A no-op Celery task, the baseline for the progress task's throughput (loaded with ``-I bench.noop``)."""

from config.celery import app


@app.task(name="bench.noop.noop", ignore_result=True)
def noop(i: int) -> None:
    return None
