"""Caches of published course content, exact across hosts.

Two layers, both keyed by the **content version**, one integer in the shared cache (Redis in
production) that changes whenever any course or its content changes:

- the shared cache holds catalog pages (and outlines, under keys of their own);
- each process keeps what it serves most (course rows by slug, outlines, ready-made response
  bytes, lesson pages, quiz answer keys) in its own memory, and uses an entry only while the
  version it was built under is still current.

Any write to a course (saved, deleted, touched, its instructors or content changed) bumps the
version once its transaction commits, so no host serves stale content after that: each request
reads the version once (one round trip, memoized until the request ends) and every local entry
built under an older version is rebuilt. Signals are the decoupled hook here (cache invalidation
only); the services also bump explicitly where they write with ``QuerySet.update()``, which sends
no signal.

When the shared cache cannot be read the version is unknown and the local layer is bypassed
(everything comes from the database). A new version key starts from the clock, so a Redis that
restarts empty never brings back a number an older entry was built under.
"""

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from courseware.models import Course

logger = logging.getLogger(__name__)

VERSION_KEY = "catalog:version"
PAGE_TIMEOUT = 300
# Entries per process and space; least recently used go first. Catalog pages have a space of their
# own, so searches (one page per query string) never push the outlines out.
LOCAL_MAX_ENTRIES = {"content": 2048, "pages": 256}

_request = threading.local()
_local: dict[str, OrderedDict[str, tuple[int, Any]]] = {space: OrderedDict() for space in LOCAL_MAX_ENTRIES}
_local_lock = threading.Lock()


def _read_version() -> int | None:
    if not settings.CONTENT_VERSION_CACHE:
        return None
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, time.time_ns(), timeout=None)
        version = cache.get(VERSION_KEY)
    return version


def content_version() -> int | None:
    """The current content version, or None when the shared cache is unreachable. Read once per
    request (the request sees one consistent version); outside a request, read every time."""
    if getattr(_request, "active", False):
        if _request.version is None:
            _request.version = _read_version()
        return _request.version
    return _read_version()


def version_wanted() -> Any | None:
    """To ride along a Redis round trip the request makes anyway (the rate-limit counter's): the
    Redis key of the content version when this request has not read it yet, else None (not in a
    request, already read, no shared cache). Hand the reply to ``version_take``."""
    if not settings.CONTENT_VERSION_CACHE or not getattr(_request, "active", False) or _request.version is not None:
        return None
    return cache.make_key(VERSION_KEY)


def version_take(raw: Any) -> None:
    """The raw reply of a read of ``version_wanted()``'s key: this request's content version."""
    if raw is not None:  # a missing key is created by the first ordinary read
        _request.version = cache.client.decode(raw)


def catalog_page_key(*, url: str) -> str | None:
    """Where the catalog page at ``url`` is cached, or None when it must not be (no version). The
    URL (any query string a caller sends) is hashed: keys keep one short length. The entry is the
    page's rendered JSON (``page-json``: hosts of a release that cached it as a dict use other keys)."""
    version = content_version()
    if version is None:
        return None
    return f"catalog:page-json:{version}:{hashlib.blake2b(url.encode(), digest_size=16).hexdigest()}"


def local_get(key: str, build: Callable[[], Any], *, space: str = "content") -> Any:
    """``build()``'s value for ``key``, from this process's memory while the content version is
    unchanged. ``build`` must depend only on course content (never on the caller)."""
    version = content_version()
    if version is None:
        return build()
    entries = _local[space]
    hit = entries.get(key)
    if hit is not None and hit[0] == version:
        return hit[1]
    value = build()
    with _local_lock:
        entries[key] = (version, value)
        entries.move_to_end(key)
        while len(entries) > LOCAL_MAX_ENTRIES[space]:
            entries.popitem(last=False)
    return value


def local_peek(key: str, *, space: str = "content") -> Any | None:
    """What ``local_get`` would serve for ``key`` without building it: the entry if this process
    holds one built under the current content version, else None."""
    version = content_version()
    hit = _local[space].get(key) if version is not None else None
    return hit[1] if hit is not None and hit[0] == version else None


def local_clear() -> None:
    with _local_lock:
        for entries in _local.values():
            entries.clear()


def catalog_changed() -> None:
    """Invalidate every cached page and local entry: now, so the writing transaction itself (and
    its tests) read the change back, and again once the transaction commits, because a reader in
    between may have cached the old rows under the first new version."""
    _bump()
    transaction.on_commit(_bump)


def _bump() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # the key expired or was evicted: a fresh clock value invalidates the rest
        cache.set(VERSION_KEY, time.time_ns(), timeout=None)
    except Exception:  # Redis down: readers bypass the caches until it answers again
        logger.warning("content version not bumped: cache unavailable", exc_info=True)
    if getattr(_request, "active", False):
        _request.version = None  # this request's own later reads see its change


def _request_started(sender, **kwargs) -> None:
    _request.active = True
    _request.version = None


def _request_finished(sender, **kwargs) -> None:
    _request.active = False
    _request.version = None


def _on_course_write(sender, **kwargs) -> None:
    catalog_changed()


def connect_signals() -> None:
    from django.core.signals import request_finished, request_started
    from django.db.models.signals import m2m_changed, post_delete, post_save

    post_save.connect(_on_course_write, sender=Course, dispatch_uid="catalog.course_saved")
    post_delete.connect(_on_course_write, sender=Course, dispatch_uid="catalog.course_deleted")
    m2m_changed.connect(_on_course_write, sender=Course.instructors.through, dispatch_uid="catalog.instructors")
    request_started.connect(_request_started, dispatch_uid="catalog.request_started")
    request_finished.connect(_request_finished, dispatch_uid="catalog.request_finished")
