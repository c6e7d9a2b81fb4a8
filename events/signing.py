"""Standard Webhooks signing (https://www.standardwebhooks.com/) with the ``standardwebhooks``
package: ``webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">``; during a secret's
grace period after rotation, the old secret's signature is sent too (space-separated)."""

import base64
import secrets
from datetime import datetime

from standardwebhooks.webhooks import Webhook

SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
SECRET_BYTES = 32


def secret_generate() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def signature_header(*, secrets_: list[str], msg_id: str, timestamp: datetime, body: str) -> str:
    return " ".join(Webhook(secret).sign(msg_id=msg_id, timestamp=timestamp, data=body) for secret in secrets_)


def webhook_headers(*, secrets_: list[str], msg_id: str, timestamp: datetime, body: str) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature_header(secrets_=secrets_, msg_id=msg_id, timestamp=timestamp, body=body),
    }
