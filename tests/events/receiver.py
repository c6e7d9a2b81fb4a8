"""A real webhook receiver for tests: a threading HTTP server on a free loopback port that verifies the
Standard Webhooks signature of every request with the ``standardwebhooks`` package, records what it
got, and answers as the test says (2xx, 500, slowly, a redirect). ``stop()`` closes the port (the
receiver is down: connections are refused); ``start()`` opens it again on the same port."""

import contextlib
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.worker import free_port


@dataclass
class Received:
    webhook_id: str
    timestamp: str
    signature: str
    body: dict
    raw: bytes
    verified_with: list[int]  # indexes into Receiver.secrets of the secrets that verify it
    at: float


@dataclass
class Receiver:
    secrets: list[str] = field(default_factory=list)
    status: int = 200
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    requests: list[Received] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks?x=1"

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                verified = []
                for i, secret in enumerate(receiver.secrets):
                    with contextlib.suppress(WebhookVerificationError):
                        Webhook(secret).verify(raw, headers)
                        verified.append(i)
                with receiver._lock:
                    receiver.requests.append(
                        Received(
                            webhook_id=headers.get("webhook-id", ""),
                            timestamp=headers.get("webhook-timestamp", ""),
                            signature=headers.get("webhook-signature", ""),
                            body=json.loads(raw or b"{}"),
                            raw=raw,
                            verified_with=verified,
                            at=time.monotonic(),
                        )
                    )
                if receiver.delay:
                    time.sleep(receiver.delay)
                self.send_response(receiver.status)
                for name, value in receiver.headers.items():
                    self.send_header(name, value)
                body = b"x" * 100_000 if receiver.status == 200 else b"nope"
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(OSError):
                    self.wfile.write(body)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self._server.allow_reuse_address = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # What arrived ------------------------------------------------------------------------------
    def ids(self) -> list[str]:
        with self._lock:
            return [r.webhook_id for r in self.requests]

    def accepted_ids(self) -> list[str]:
        """Ids of requests answered 2xx (the status at the time is not recorded: use with a fixed status)."""
        return self.ids()

    def all_verified(self) -> bool:
        with self._lock:
            return all(r.verified_with for r in self.requests)
