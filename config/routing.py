"""URL resolution for ``/api/`` that remembers its answers.

``api/`` includes seven apps' patterns, tried in turn: resolving a path under it tried dozens of
patterns and built the list of everything tried (Django keeps it for its debug 404 page), 19-25 µs
of CPU on every API request (in-process, the bench's hot paths), the same answer each time for the
same path. This resolver keeps
the last ``MAX_PATHS`` answers by path (an LRU; paths longer than ``MAX_PATH_LENGTH`` are not kept).
A path that resolves to nothing is not remembered (its 404 is resolved again). The patterns never
change while the process runs, so a remembered answer is the one Django would compute; the match is
shared between requests, and the root resolver copies what it passes on (``kwargs``), as it does for
every included resolver."""

import functools

from django.urls import URLResolver, include
from django.urls.resolvers import RoutePattern

MAX_PATHS = 2048
MAX_PATH_LENGTH = 200


class RememberingResolver(URLResolver):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._resolve_remembered = functools.lru_cache(maxsize=MAX_PATHS)(super().resolve)

    def resolve(self, path):
        path = str(path)
        if len(path) > MAX_PATH_LENGTH:
            return super().resolve(path)
        return self._resolve_remembered(path)


def remembering_path(route: str, patterns: list) -> RememberingResolver:
    """``path(route, include(patterns))``, resolved through ``RememberingResolver``."""
    urlconf_module, app_name, namespace = include(patterns)
    return RememberingResolver(
        RoutePattern(route, is_endpoint=False), urlconf_module, None, app_name=app_name, namespace=namespace
    )
