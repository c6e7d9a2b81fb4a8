"""DRF's plain-text tokens (``authtoken_token``) become digests in ``accounts_authtoken``: every key
that worked before works after, and the plain keys are deleted from the old table."""

import hashlib
from datetime import UTC

from django.db import migrations
from django.utils.dateparse import parse_datetime


def hash_existing_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if "authtoken_token" not in connection.introspection.table_names():
        return
    AuthToken = apps.get_model("accounts", "AuthToken")
    with connection.cursor() as cursor:
        cursor.execute('SELECT "key", "user_id", "created" FROM "authtoken_token"')
        rows = cursor.fetchall()
    AuthToken.objects.bulk_create(
        [
            AuthToken(
                digest=hashlib.sha256(key.encode()).hexdigest(), user_id=user_id, client="(issued before hashing)"
            )
            for key, user_id, _created in rows
        ],
        ignore_conflicts=True,
    )
    created = {user_id: _aware(created) for _key, user_id, created in rows}
    for token in AuthToken.objects.filter(client="(issued before hashing)"):
        if token.user_id in created and created[token.user_id] is not None:
            AuthToken.objects.filter(pk=token.pk).update(created_at=created[token.user_id])
    with connection.cursor() as cursor:
        cursor.execute('DELETE FROM "authtoken_token"')


def _aware(value):
    """The old row's time as an aware datetime: SQLite hands the raw column back as text, in UTC with no
    offset (how Django stores datetimes there); PostgreSQL's column has the time zone."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_token_digests_and_display_name")]

    operations = [migrations.RunPython(hash_existing_tokens, migrations.RunPython.noop, elidable=True)]
