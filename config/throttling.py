"""Rate limits as fixed-window counters in the shared cache: one atomic ``INCR`` per request.

DRF's stock throttles keep a sliding log: every request reads the caller's list of timestamps,
appends one and writes the whole list back. That costs two cache round trips and a pickle of up to
``rate`` floats per request (thousands for a busy anonymous address), and two hosts racing on the
same key can each lose the other's write. A counter per (scope, caller, window) costs one atomic
round trip and a few bytes, and is exact across hosts. The price is the usual fixed-window one: a
caller may spend one window's allowance at its very end and the next at the very start.

Counters live in the ``throttle`` cache: the default Redis in production, files under ``VAR_DIR`` in
the embedded default, so every process of a host counts against one limit.

The caller's identity is ``REMOTE_ADDR`` unless ``NUM_PROXIES`` says how many proxies in front
append to ``X-Forwarded-For`` (``client_ip``; django-axes asks the same function).

When the cache is down (django-redis ignores the error and answers ``None``) requests are let
through: a cache outage never fails a request.

Another Redis read that a request needs can ride along the counter's round trip: an app registers it
with ``ride_along_register`` (the content version does, from ``courseware``'s ``ready()``). This
module knows no app: it only runs what was registered.
"""

import contextlib
import fcntl
import hashlib
import logging
import os
import time
from collections.abc import Callable
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.filebased import FileBasedCache
from rest_framework import throttling
from rest_framework.settings import api_settings

logger = logging.getLogger(__name__)

# (wanted, take): ``wanted()`` answers the full Redis key this request still needs read, or None;
# ``take(raw)`` receives that key's raw value, read in the counter's round trip.
_ride_along: tuple[Callable[[], Any], Callable[[Any], None]] | None = None


def ride_along_register(*, wanted: Callable[[], Any], take: Callable[[Any], None]) -> None:
    """Have every counted request read one more Redis key in the same round trip (one reader)."""
    global _ride_along
    _ride_along = (wanted, take)


def _cache():
    return caches["throttle"]


def _redis():
    """The Redis client behind the throttle cache, or None for other backends (tests, embedded)."""
    cache = _cache()
    get_client = getattr(getattr(cache, "client", None), "get_client", None)
    return get_client(write=True) if get_client else None


def _ident(request) -> str | None:
    """DRF's ``BaseThrottle.get_ident``, reading ``X-Forwarded-For`` from ``request.META`` (the same
    value) instead of ``request.headers``, which Django builds from every header on first use."""
    xff = request.META.get("HTTP_X_FORWARDED_FOR")
    remote_addr = request.META.get("REMOTE_ADDR")
    num_proxies = api_settings.NUM_PROXIES
    if num_proxies is not None:
        if num_proxies == 0 or xff is None:
            return remote_addr
        addrs = xff.split(",")
        return addrs[-min(num_proxies, len(addrs))].strip()
    return "".join(xff.split()) if xff else remote_addr


class CounterThrottleMixin:
    """Replaces ``SimpleRateThrottle.allow_request``/``wait`` (the rate parsing and ``get_cache_key``
    stay DRF's; ``get_ident`` is DRF's rule without building ``request.headers``)."""

    def get_ident(self, request):
        return _ident(request)

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        ident = self.get_cache_key(request, view)
        if ident is None:
            return True
        now = time.time()
        window = int(now // self.duration)
        self._window_ends = (window + 1) * self.duration
        self._now = now
        key = f"{ident}:w{window}"
        count = _incr(key, timeout=int(self.duration) + 1)
        return count is None or count <= self.num_requests

    def wait(self) -> float | None:
        return max(0.0, self._window_ends - self._now)


# INCR, EXPIRE on the window's first hit, and optionally GET a second key, atomically and in one
# command (a script: less client work per request than a pipeline of three).
_COUNT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
if #KEYS > 1 then return {n, redis.call('GET', KEYS[2])} end
return {n}
"""


class _CountScript:
    """``Script`` loads itself again (EVALSHA, then SCRIPT LOAD on NOSCRIPT) after a Redis restart."""

    def __init__(self) -> None:
        self._script = None

    def __call__(self, *, keys: list, args: list, client) -> list:
        if self._script is None:
            self._script = client.register_script(_COUNT)
        return self._script(keys=keys, args=args, client=client)


_count_script = _CountScript()


def _incr(key: str, *, timeout: int) -> int | None:
    """Count one hit on ``key`` (created with ``timeout`` on the first hit of its window)."""
    cache = _cache()
    client = _redis()
    if client is not None:  # one round trip: INCR and, on the window's first hit, EXPIRE
        try:
            keys = [cache.make_key(key)]
            # A registered read (the content version) travels in the same round trip.
            extra_key = _ride_along[0]() if _ride_along is not None else None
            if extra_key is not None:
                keys.append(extra_key)
            replies = _count_script(keys=keys, args=[timeout], client=client)
            if extra_key is not None:
                _ride_along[1](replies[1])
            return replies[0]
        except Exception:  # a cache outage never fails a request
            logger.warning("throttle: cache unavailable, request let through", exc_info=True)
            return None
    with _host_lock(cache):
        try:
            return cache.incr(key)
        except ValueError:  # first hit of the window (or the key was evicted)
            if cache.add(key, 1, timeout=timeout):
                return 1
            try:
                return cache.incr(key)  # another request created it in between
            except ValueError:
                return None


@contextlib.contextmanager
def _host_lock(cache):
    """A file cache's ``incr`` is a read and a write: processes of one host take turns on a lock
    file beside the counters, so none loses another's hit. Other caches need no lock."""
    if not isinstance(cache, FileBasedCache):
        yield
        return
    os.makedirs(cache._dir, exist_ok=True)
    with open(os.path.join(cache._dir, "counters.lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


class AnonRateThrottle(CounterThrottleMixin, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(CounterThrottleMixin, throttling.UserRateThrottle):
    """Signed-in callers only: anonymous ones are the anon throttle's (DRF's own user throttle
    counts them a second time, by address)."""

    def get_cache_key(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return None
        return super().get_cache_key(request, view)


class ScopedRateThrottle(CounterThrottleMixin, throttling.ScopedRateThrottle):
    def allow_request(self, request, view) -> bool:
        # DRF's scoped throttle learns its scope (and so its rate) from the view, here.
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)


def client_ip(request) -> str:
    """The client's address as every limit sees it: ``REMOTE_ADDR``, or with ``NUM_PROXIES`` = N > 0
    the address the N-th proxy from us appended to ``X-Forwarded-For`` (DRF's rule)."""
    return _ident(request)


class SignInRateThrottle(CounterThrottleMixin, throttling.SimpleRateThrottle):
    """Every way to sign in (token, API session, admin, password reset) counts against one
    allowance per client address, ``THROTTLE_LOGIN``, signed in or not."""

    scope = "login"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request)}


class SignInAccountRateThrottle(SignInRateThrottle):
    """The same allowance per account named in the request (``username`` or ``email``), whatever
    the address (the password reset request: failed passwords are django-axes' to count)."""

    def get_cache_key(self, request, view):
        data = getattr(request, "data", None) or request.POST
        name = data.get("username") or data.get("email") if hasattr(data, "get") else None
        if not isinstance(name, str) or not name.strip():
            return None
        # The name hashed: no address in a cache key, and one short key however long the name.
        ident = hashlib.blake2b(name.strip().casefold().encode(), digest_size=16).hexdigest()
        return self.cache_format % {"scope": "login_account", "ident": ident}


def sign_in_wait(request) -> float | None:
    """For a sign-in that is not a DRF view (the admin and session login forms): count it on the
    client's allowance; the seconds to wait when it is spent, else None."""
    throttle = SignInRateThrottle()
    return None if throttle.allow_request(request, None) else throttle.wait()
