"""A database holding DRF's plain-text tokens migrates to digests, and every old key still signs in.

The suite runs without migrations (``--no-migrations``), so the test runs the data migration's own
function on a database laid out as after ``0002`` plus the table DRF's authtoken app left."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import AuthToken
from tests.factories import UserFactory

OLD_KEY = "0123456789abcdef0123456789abcdef01234567"


@pytest.mark.django_db(transaction=True)
def test_old_plain_tokens_are_hashed_in_place_and_keep_working():
    user = UserFactory()
    issued = timezone.now() - timedelta(days=30)
    migration = importlib.import_module("accounts.migrations.0003_hash_existing_tokens")
    with connection.cursor() as cursor:  # the table rest_framework.authtoken left behind, with a key
        cursor.execute(
            'CREATE TABLE "authtoken_token" ("key" varchar(40) PRIMARY KEY, '
            f'"created" {connection.data_types["DateTimeField"]} NOT NULL, "user_id" bigint NOT NULL)'
        )  # "created" as DRF's migration made it: with the time zone on PostgreSQL
        cursor.execute(
            'INSERT INTO "authtoken_token" ("key", "created", "user_id") VALUES (%s, %s, %s)',
            [OLD_KEY, connection.ops.adapt_datetimefield_value(issued), user.pk],
        )
    try:
        with connection.schema_editor() as schema_editor:
            migration.hash_existing_tokens(apps, schema_editor)
        with connection.cursor() as cursor:
            cursor.execute('SELECT COUNT(*) FROM "authtoken_token"')
            assert cursor.fetchone()[0] == 0  # no plain key left at rest
            cursor.execute('SELECT "digest" FROM "accounts_authtoken" WHERE "user_id" = %s', [user.pk])
            assert cursor.fetchone()[0] != OLD_KEY
        assert AuthToken.objects.get(user=user).created_at == issued  # when it was issued, not now
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {OLD_KEY}")
        me = client.get("/api/me/")
        assert me.status_code == 200 and me.json()["id"] == user.pk
    finally:
        with connection.cursor() as cursor:
            cursor.execute('DROP TABLE IF EXISTS "authtoken_token"')


@pytest.mark.django_db(transaction=True)
def test_a_database_without_drf_tokens_migrates_as_a_no_op():
    migration = importlib.import_module("accounts.migrations.0003_hash_existing_tokens")
    with connection.schema_editor() as schema_editor:
        migration.hash_existing_tokens(apps, schema_editor)
