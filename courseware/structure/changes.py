"""Telling the platform that a course's content changed: the structure changed (its content version
is bumped, the progress pipeline told through ``courseware.signals``), or only text changed (cached
outlines and pages are dropped). Every write of course content ends with one of the two."""

from django.db.models import F
from django.utils import timezone

from courseware import signals
from courseware.catalog_cache import catalog_changed
from courseware.models import Course
from courseware.structure.counts import course_counts_from_rows


# --- Content changes ----------------------------------------------------------------------------
def course_draft_changed(*, course_id: int) -> None:
    """Call after the draft's lessons, quizzes or modules are added, removed or moved (inside the
    same transaction). Learners read the published version, so their progress stays valid; only
    what shows the draft (and the course's ``updated_at``) changes."""
    course_touch(course_id=course_id)


def course_content_changed(*, course_id: int) -> None:
    """Call when a course's published version changes what it holds (a publish, inside its
    transaction). Bumps the content version, which makes every enrollment's stored progress stale
    and every cached outline invalid, recounts the module, lesson and quiz counts the catalog shows
    (``courseware.structure.counts``, in the same UPDATE: at a publish the draft's rows are the
    published version), and tells the progress pipeline (``courseware.signals``), which recomputes
    after commit."""
    Course.objects.filter(pk=course_id).update(
        content_version=F("content_version") + 1, updated_at=timezone.now(), **course_counts_from_rows()
    )
    catalog_changed()  # lesson and quiz counts are on the catalog
    signals.course_content_changed.send(sender=Course, course_id=course_id)


def course_touch(*, course_id: int) -> None:
    """Call after text of a course's content changes (titles, bodies): invalidates cached outlines
    without marking learners' progress stale."""
    Course.objects.filter(pk=course_id).update(updated_at=timezone.now())
    catalog_changed()
