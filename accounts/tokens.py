"""API tokens at rest: what is stored (a digest) and how a request's key finds its row.

A key is 40 random hex characters (as DRF's were, so existing clients and keys keep their shape);
the table holds ``sha256(key)``. A copy of the database is no copy of anyone's access. The raw SQL
readers (``accounts.authentication`` and the learning layer's one-round-trip read) name the table
and the condition through ``token_sql_where`` so the rule lives here only."""

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.db import connection
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import AuthToken, User

TOKEN_TABLE = AuthToken._meta.db_table


def token_key_new() -> str:
    return secrets.token_hex(20)


def token_digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def token_sql_where(alias: str) -> str:
    """The SQL condition selecting the live token row ``alias`` for parameters ``%(token_digest)s``
    and ``%(token_now)s`` (see ``token_sql_params``)."""
    return (
        f'{alias}."digest" = %(token_digest)s '
        f'AND ({alias}."expires_at" IS NULL OR {alias}."expires_at" > %(token_now)s)'
    )


def token_sql_params(key: str) -> dict:
    now = connection.ops.adapt_datetimefield_value(timezone.now())  # SQLite: the stored text form
    return {"token_digest": token_digest(key), "token_now": now}


def password_reset_link(*, user: User) -> str:
    """The link to the reset page for ``user``: valid for ``PASSWORD_RESET_TIMEOUT`` seconds and
    only until the password changes (or the user signs in: Django's token covers the last login)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return settings.PASSWORD_RESET_URL.format(uid=uid, token=default_token_generator.make_token(user))
