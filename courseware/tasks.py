"""Progress pipeline tasks. Thin: load by primary key, call the service. All idempotent, so
``acks_late`` redelivery after a worker dies is safe."""

from celery import shared_task

from courseware import services


@shared_task(acks_late=True, reject_on_worker_lost=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def recompute_enrollment_progress(enrollment_id: int) -> None:
    services.enrollment_progress_recompute(enrollment_id=enrollment_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def refresh_course_progress(course_id: int) -> None:
    """After a content change: recompute every live enrollment of the course, one task each."""
    from courseware.models import Enrollment

    ids = (
        Enrollment.objects.filter(course_id=course_id)
        .exclude(status=Enrollment.Status.DROPPED)
        .values_list("pk", flat=True)
    )
    for enrollment_id in ids.iterator():
        recompute_enrollment_progress.delay(enrollment_id)
