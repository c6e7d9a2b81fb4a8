"""Token authentication that costs one small query per request, and no write.

DRF's ``TokenAuthentication`` builds an ORM query with ``select_related`` on every request; this
one runs the same lookup written once (see ``config.rawsql``) and answers exactly as DRF does."""

import functools

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from config import rawsql


@functools.cache
def _token_user_sql() -> str:
    user = get_user_model()
    return (
        f'SELECT {rawsql.columns(user, "u")} FROM "{Token._meta.db_table}" t '  # noqa: S608 (identifiers only)
        f'JOIN "{user._meta.db_table}" u ON u."{user._meta.pk.column}" = t."user_id" WHERE t."key" = %s'
    )


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key):
        with connection.cursor() as cursor:
            cursor.execute(_token_user_sql(), [key])
            row = cursor.fetchone()
        if row is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        user = rawsql.instance(get_user_model(), row)
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        token = Token(key=key, user_id=user.pk)
        token._state.adding = False
        return (user, token)
