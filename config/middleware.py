"""The middleware stack, trimmed for API requests without changing an answer.

- ``OutsideApi``: a middleware that only pages use (the admin's flash messages, static files),
  which requests under ``/api/`` go straight past. JSON answers never carry messages and
  ``STATIC_URL`` is not under ``/api/``.
- ``ContentSecurityPolicyMiddleware``: Django's, with the header built once per policy instead of
  on every response. A response whose nonce was used (an HTML page with a script) still gets a policy
  built with that nonce; every other response (every JSON answer) gets the same string each time.
"""

from django.conf import settings
from django.contrib.messages.middleware import MessageMiddleware
from django.middleware import csp
from django.utils.csp import CSP, build_policy
from whitenoise.middleware import WhiteNoiseMiddleware

API_PREFIX = "/api/"


class OutsideApi:
    """Mixed in before a middleware class (a subclass, so the admin's checks still find it):
    requests under ``API_PREFIX`` skip it. Only for middleware whose work is all in ``__call__``
    (``process_request``/``process_response``), none in the hooks the handler collects."""

    def __call__(self, request):
        if request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        return super().__call__(request)


class WhiteNoiseOutsideApi(OutsideApi, WhiteNoiseMiddleware):
    pass


class MessagesOutsideApi(OutsideApi, MessageMiddleware):
    pass


class ContentSecurityPolicyMiddleware(csp.ContentSecurityPolicyMiddleware):
    """Django's ``process_response``, but for the policy string of a response without a nonce."""

    def process_response(self, request, response):
        nonce = csp.get_nonce(request)
        sentinel = object()
        if (csp_config := getattr(response, "_csp_config", sentinel)) is sentinel:
            csp_config = settings.SECURE_CSP
        if (csp_ro_config := getattr(response, "_csp_ro_config", sentinel)) is sentinel:
            csp_ro_config = settings.SECURE_CSP_REPORT_ONLY
        for header, config in ((CSP.HEADER_ENFORCE, csp_config), (CSP.HEADER_REPORT_ONLY, csp_ro_config)):
            if config and header not in response:
                response.headers[str(header)] = build_policy(config, nonce) if nonce else _policy(config)
        return response


_MAX_POLICIES = 64
_policies: dict[int, tuple[object, str]] = {}


def _policy(config) -> str:
    """``build_policy(config)`` without a nonce, built once per config object (the entry keeps the
    object, so its id is not reused while the entry lives)."""
    entry = _policies.get(id(config))
    if entry is None or entry[0] is not config:
        if len(_policies) >= _MAX_POLICIES:
            _policies.clear()
        entry = (config, build_policy(config, None))
        _policies[id(config)] = entry
    return entry[1]
