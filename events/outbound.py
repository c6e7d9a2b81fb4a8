"""Outbound HTTP for webhooks, safe against server-side request forgery.

A subscription URL must be https (plain http only with ``WEBHOOKS_ALLOW_PRIVATE_URLS``), and every
address its host resolves to must be a public one: loopback, private, link-local (the cloud metadata
service at 169.254.169.254), shared, multicast and reserved addresses are refused when subscribing
and again at every delivery. The delivery resolves the name itself and connects to the address it
checked (the Host header and TLS name stay the URL's), so a DNS answer that changes between the
check and the connection (rebinding) cannot redirect it. Redirects are never followed, and at most
``RESPONSE_MAX_BYTES`` of an answer are read."""

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

RESPONSE_MAX_BYTES = 4096
USER_AGENT = "Courses-Webhooks/1.0"


class UnsafeURL(Exception):
    """The URL may not be called: the message says why."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent on the request line


@dataclass(frozen=True)
class Answer:
    status_code: int | None
    error: str
    body: bytes = b""

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def private_urls_allowed() -> bool:
    return bool(getattr(settings, "WEBHOOKS_ALLOW_PRIVATE_URLS", False))


def url_target(url: str) -> Target:
    """The parts of a subscription URL, or ``UnsafeURL`` when it is not one we may call."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeURL(f"Not a valid URL: {exc}.")
    scheme = parts.scheme.lower()
    allowed = ("https", "http") if private_urls_allowed() else ("https",)
    if scheme not in allowed:
        raise UnsafeURL("The URL must use https.")
    if parts.username or parts.password:
        raise UnsafeURL("The URL must not carry a user name or password.")
    host = parts.hostname
    if not host:
        raise UnsafeURL("The URL needs a host name.")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(scheme=scheme, host=host, port=port or (443 if scheme == "https" else 80), path=path)


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (a literal address resolves to itself)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def address_is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def url_addresses(url: str) -> tuple[Target, list[str]]:
    """The target and the addresses we may connect to; ``UnsafeURL`` if the URL is not allowed or
    any address of its host is not public (a name with one private address among public ones is
    refused: which one a client picks is not ours to control)."""
    target = url_target(url)
    try:
        addresses = resolve(target.host, target.port)
    except (OSError, UnicodeError) as exc:
        raise UnsafeURL(f"The host {target.host!r} does not resolve ({exc}).")
    if not addresses:
        raise UnsafeURL(f"The host {target.host!r} does not resolve.")
    if not private_urls_allowed():
        refused = [a for a in addresses if not address_is_public(a)]
        if refused:
            raise UnsafeURL(
                f"The host {target.host!r} resolves to {', '.join(refused)}: loopback, private, "
                "link-local and other non-public addresses are not allowed."
            )
    return target, addresses


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(*, url: str, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
    """POST ``body`` to ``url`` within ``timeout`` seconds in all (connect, send, answer). Never
    raises for a delivery problem: the answer carries the status code or the error."""
    try:
        target, addresses = url_addresses(url)
    except UnsafeURL as exc:
        return Answer(status_code=None, error=f"Refused: {exc}")
    deadline = time.monotonic() + timeout
    connection_class = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    conn = connection_class(target.host, target.port, addresses[0], timeout)
    try:
        conn.request(
            "POST",
            target.path,
            body=body,
            headers={
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
                **headers,
            },
        )
        sock = conn.sock  # kept: the connection lets go of it once the answer says it will close
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        response = conn.getresponse()
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        data = response.read(RESPONSE_MAX_BYTES)
        if time.monotonic() > deadline:
            return Answer(status_code=None, error=f"Timed out after {timeout:g} s.")
        status = response.status
        if 300 <= status < 400:
            return Answer(status_code=status, error="Redirects are not followed.", body=data)
        error = "" if 200 <= status < 300 else f"HTTP {status}"
        return Answer(status_code=status, error=error, body=data)
    except TimeoutError:
        return Answer(status_code=None, error=f"Timed out after {timeout:g} s.")
    except (OSError, http.client.HTTPException) as exc:
        return Answer(status_code=None, error=f"{type(exc).__name__}: {exc}"[:500])
    finally:
        conn.close()
