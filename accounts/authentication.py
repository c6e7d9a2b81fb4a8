"""Token authentication that costs one small query per request, and no write.

DRF's ``TokenAuthentication`` builds an ORM query with ``select_related`` on every request; this
one runs the same lookup written once (see ``config.rawsql``). Keys are stored as digests
(``accounts.tokens``): the request's key is hashed and looked up, expired tokens are no tokens.

A view that knows which course's learner state it will read offers a reader for it: a
``learner_state_wanted()`` method returning an object with ``user_by_token(key)`` (the learning
layer's ``StateWanted``), which reads the token's user and that state in one statement: one round
trip to the database instead of two or three on the busiest learner reads. This module knows
nothing of courses: it only asks the view's reader, when there is one."""

import functools

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from accounts.models import AuthToken
from accounts.tokens import TOKEN_TABLE, token_digest, token_sql_params, token_sql_where
from config import rawsql


@functools.cache
def _token_user_sql() -> str:
    user = get_user_model()
    return (
        f'SELECT {rawsql.columns(user, "u")} FROM "{TOKEN_TABLE}" t '  # noqa: S608 (identifiers only)
        f'JOIN "{user._meta.db_table}" u ON u."{user._meta.pk.column}" = t."user_id" WHERE {token_sql_where("t")}'
    )


def _user_by_token(key: str):
    with connection.cursor() as cursor:
        cursor.execute(_token_user_sql(), token_sql_params(key))
        row = cursor.fetchone()
    return rawsql.instance(get_user_model(), row) if row is not None else None


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate(self, request):
        view = (getattr(request, "parser_context", None) or {}).get("view")
        wanted = getattr(view, "learner_state_wanted", None)
        self._wanted = wanted(request) if wanted is not None else None
        return super().authenticate(request)

    def authenticate_credentials(self, key):
        wanted = getattr(self, "_wanted", None)
        user = wanted.user_by_token(key) if wanted is not None else _user_by_token(key)
        if user is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        # ``request.auth``: the token as far as this request knows it (its digest names the row).
        token = AuthToken(digest=token_digest(key), user_id=user.pk)
        token._state.adding = False
        return (user, token)
