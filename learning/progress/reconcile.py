"""The reconcile sweep's finders: progress, certificates and emails whose task message was lost
(the broker was down, a worker died before publishing). ``tasks.reconcile_run`` redoes what they find."""

import logging
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import CharField, Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Concat

from courseware.models import Certificate, Enrollment
from notifications.models import OutboundEmail
from notifications.sending import email_max_attempts
from notifications.tasks import email_retry_countdown

logger = logging.getLogger(__name__)

# A pending email untouched for this long has lost its send message.
LOST_AFTER = timedelta(minutes=1)


def reconcile_batch_size() -> int:
    return max(1, int(getattr(settings, "RECONCILE_BATCH_SIZE", 500)))


# --- Finding --------------------------------------------------------------------------------------
def enrollments_with_stale_progress(*, limit: int) -> list[int]:
    """Live enrollments whose stored progress is out of date: it counts fewer of the learner's
    activity numbers than the enrollment holds (a completion or submission whose task message was
    lost: each numbers the activity in its own transaction, and a recompute records the number it
    counted up to), or it was computed at an older content version of the course.

    Both are compared on the enrollment row, so a sweep is one pass over enrollments with no lookup
    per row (at 100,000 enrollments and 1,000,000 completions: 20 ms, where looking for completions
    newer than each recompute took 600 ms). No index serves it, on purpose: an index on either
    number would add index writes to every completion and every recompute (the hot path) to speed up
    a sweep that runs once a minute."""
    behind = Q(progress_seq__lt=F("activity_seq"))
    outdated = Q(progress_computed_at__isnull=False, progress_version__lt=F("course__content_version"))
    stale = Enrollment.objects.exclude(status=Enrollment.Status.DROPPED).filter(behind | outdated)
    # Oldest first: a backlog longer than one batch is worked through in the order it fell behind.
    oldest_first = stale.order_by(F("progress_computed_at").asc(nulls_first=True), "pk")
    return list(oldest_first.values_list("pk", flat=True)[:limit])


# The certificate finders look only at what was completed or issued since the last sweep that saw
# its whole window (a watermark in the cache), less a recheck margin, on an index of recent rows: a
# sweep's cost follows the rate of completions, not how many there have ever been (at 500,000
# completed enrollments a full anti-join took hundreds of milliseconds a sweep). The drain completes,
# issues and queues the email in one transaction, so these catch only the rare leftover.
#
# What keeps the window honest:
# - the margin covers a transaction that stamped its rows before the watermark moved and committed
#   after it (and clocks that disagree by less than that);
# - the watermark never passes an item a sweep found: the redo may be lost too (the broker down
#   during the sweep), so it stops at the oldest one found, and a sweep that found a full batch
#   leaves it where it was;
# - without a watermark (first sweep, cache flushed, evicted or unreachable) the finders look at
#   everything, and so they do once every FULL_SWEEP_EVERY: a row that became a leftover long after
#   its stamp (a learner without an address who adds one) is found within a day. Losing the cache
#   costs one full sweep, never an item.
WATERMARK_KEY = "progress:reconcile:certificates-checked"
FULL_SWEEP_EVERY = timedelta(days=1)


def reconcile_recheck() -> timedelta:
    return timedelta(seconds=max(0, int(getattr(settings, "RECONCILE_RECHECK_SECONDS", 900))))


def certificates_checked_since(*, now: datetime) -> datetime | None:
    """Where the certificate finders start: the watermark less the recheck margin; None (everything)
    without one, or when the last full sweep is a ``FULL_SWEEP_EVERY`` old."""
    mark = cache.get(WATERMARK_KEY)
    try:
        checked, full = (datetime.fromtimestamp(float(t), tz=UTC) for t in mark)
    except (TypeError, ValueError):  # none, or not ours
        return None
    if now - full >= FULL_SWEEP_EVERY:
        return None
    return checked - reconcile_recheck()


def certificates_checked_advance(
    *, since: datetime | None, swept_at: datetime, found: list[datetime | None], complete: bool
) -> None:
    """After a sweep from ``since`` that started at ``swept_at``: ``found``, the stamps (completed or
    issued at) of the leftovers it found; ``complete``, whether it saw all of its window (no finder
    stopped at its batch size). Moves the watermark to ``swept_at``, or back to the oldest leftover."""
    if not complete:
        return  # the rest of the window next time, from where it was
    if any(stamp is None for stamp in found):
        cache.delete(WATERMARK_KEY)  # a leftover with no stamp: only a full sweep sees it again
        return
    checked = min([swept_at, *found])
    mark = cache.get(WATERMARK_KEY)
    full = swept_at.timestamp() if since is None else _full_sweep_of(mark, default=swept_at.timestamp())
    cache.set(WATERMARK_KEY, (checked.timestamp(), full), timeout=None)


def _full_sweep_of(mark, *, default: float) -> float:
    try:
        return float(mark[1])
    except (TypeError, ValueError, IndexError):
        return default


def enrollments_completed_without_certificate(*, limit: int, since: datetime | None = None) -> list[int]:
    """Completed enrollments with no certificate, completed at or after ``since`` (None: all)."""
    certificates = Certificate.objects.filter(learner_id=OuterRef("learner_id"), course_id=OuterRef("course_id"))
    missing = Enrollment.objects.filter(status=Enrollment.Status.COMPLETED)
    if since is not None:
        missing = missing.filter(completed_at__gte=since)
    missing = missing.exclude(Exists(certificates))
    return list(missing.order_by("pk").values_list("pk", flat=True)[:limit])


def enrollments_completed_at(*, ids: list[int]) -> list[datetime | None]:
    """When these enrollments were completed (no query for none)."""
    if not ids:
        return []
    return list(Enrollment.objects.filter(pk__in=ids).values_list("completed_at", flat=True))


def certificates_without_email(*, limit: int, since: datetime | None = None) -> QuerySet[Certificate]:
    """Valid certificates of learners with an address but no certificate email row at all, issued at
    or after ``since`` (None: all)."""
    emails = OutboundEmail.objects.filter(key=Concat(Value("certificate:"), OuterRef("code"), output_field=CharField()))
    certificates = Certificate.objects.filter(revoked=False)
    if since is not None:
        certificates = certificates.filter(issued_at__gte=since)
    return (
        certificates.exclude(learner__email="").exclude(Exists(emails)).select_related("learner").order_by("pk")[:limit]
    )


def emails_lost_pending(*, now: datetime, limit: int) -> list[int]:
    """Pending emails whose send message is gone: untouched for a minute, or, for one waiting for a
    retry, for a minute past the longest retry countdown."""

    longest_wait = timedelta(seconds=email_retry_countdown(retries=max(0, email_max_attempts() - 2)))
    lost = OutboundEmail.objects.filter(status=OutboundEmail.Status.PENDING).filter(
        Q(last_error="", updated_at__lt=now - LOST_AFTER) | Q(updated_at__lt=now - LOST_AFTER - longest_wait)
    )
    return list(lost.order_by("pk").values_list("pk", flat=True)[:limit])
