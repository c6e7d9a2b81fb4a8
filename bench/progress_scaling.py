"""Progress against table size: ``progress_snapshot`` timed in-process with 1,000 completion rows in the
table and with all of them (``load_dataset`` calls the probe at both points)."""

import statistics
import time

from bench.dataset import COMPLETIONS_PER_LEARNER

# Project code (Django models, services, the Celery app) is imported inside the functions below, not
# here: it can be imported only after django.setup(), which bench.main runs once the environment is set
# and courses_bench is migrated.


def progress_probe(*, calls: int):
    """Time ``learning.progress.selectors.progress_snapshot`` for learner 1 (10 completions) in-process."""

    def probe(*, cur_rows: int) -> dict:
        from django.db import connection

        from courseware.models import Course
        from learning.outline import course_outline
        from learning.progress.selectors import progress_snapshot

        outline = course_outline(course=Course.objects.get(pk=1))  # connect and warm up
        progress_snapshot(learner_id=1, course_id=1, outline=outline)
        batches = []
        for _ in range(5):
            t = time.perf_counter()
            for _ in range(calls):
                snap = progress_snapshot(learner_id=1, course_id=1, outline=outline)
            batches.append((time.perf_counter() - t) / calls * 1000)
        assert snap.completed_lessons == COMPLETIONS_PER_LEARNER, snap
        connection.close()
        return {"rows": cur_rows, "ms_per_call": min(batches), "ms_median_batch": statistics.median(batches)}

    return probe
