"""The catalog's shared cache: pages of the public catalog, valid until any course changes.

Every host keeps the pages in the shared cache (Redis in production) under a key that includes the
catalog version; any write to a course (saved, deleted, touched, its instructors or content
changed) bumps the version once its transaction commits, so no host ever serves a stale page.
Signals are the decoupled hook here (cache invalidation only); the services also bump explicitly
where they write with ``QuerySet.update()``, which sends no signal.
"""

from django.core.cache import cache
from django.db import transaction

VERSION_KEY = "catalog:version"
PAGE_TIMEOUT = 300


def catalog_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, 1, timeout=None)
        version = cache.get(VERSION_KEY) or 1
    return version


def catalog_page_key(*, url: str) -> str:
    return f"catalog:page:{catalog_version()}:{url}"


def catalog_changed() -> None:
    """Invalidate every cached catalog page, after the current transaction commits (a reader in
    between would otherwise cache the old rows under the new version)."""
    transaction.on_commit(_bump)


def _bump() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # the key expired or was evicted: any new value invalidates the old pages
        cache.set(VERSION_KEY, catalog_version() + 1, timeout=None)


def _on_course_write(sender, **kwargs) -> None:
    catalog_changed()


def connect_signals() -> None:
    from django.db.models.signals import m2m_changed, post_delete, post_save

    from courseware.models import Course

    post_save.connect(_on_course_write, sender=Course, dispatch_uid="catalog.course_saved")
    post_delete.connect(_on_course_write, sender=Course, dispatch_uid="catalog.course_deleted")
    m2m_changed.connect(_on_course_write, sender=Course.instructors.through, dispatch_uid="catalog.instructors")
