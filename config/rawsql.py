"""Helpers for the few hand-written queries on the hot request paths.

The ORM builds and compiles its SQL again on every call (about 0.3-1 ms of Python per query on
these machines, more than the database takes to answer a primary-key lookup). The handful of
queries every learner request makes are written once, from model metadata, and their rows turned
back into model instances here, exactly as the ORM would (``Model.from_db``).
"""

from datetime import UTC, datetime

from django.db import connection
from django.db.models import DateTimeField, Model
from django.utils.dateparse import parse_datetime


def aware(value):
    """A datetime from a raw cursor: aware on PostgreSQL; on SQLite naive UTC, or text where the
    column type is lost (an expression)."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = parse_datetime(value)
    return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)


def columns(model: type[Model], alias: str) -> str:
    """Every concrete column of ``model``, qualified by ``alias``, in field order."""
    return ", ".join(f'{alias}."{f.column}"' for f in model._meta.concrete_fields)


def instance(model: type[Model], values) -> Model:
    """A ``model`` instance from a row holding ``columns(model, ...)`` in order."""
    fields = model._meta.concrete_fields
    values = [aware(value) if isinstance(f, DateTimeField) else value for f, value in zip(fields, values, strict=True)]
    return model.from_db(connection.alias, [f.attname for f in fields], values)


def update_fields(obj: Model, names: list[str]) -> None:
    """Write ``names`` of ``obj`` to its row, as ``obj.save(update_fields=names)`` would (each field's
    ``pre_save`` applies, so ``auto_now`` stamps), minus the ORM's per-call SQL compilation. Sends no
    ``pre_save``/``post_save`` signal: only for models nothing listens to."""
    fields = [obj._meta.get_field(name) for name in names]
    values = [f.get_db_prep_save(f.pre_save(obj, False), connection) for f in fields]
    assignments = ", ".join(f'"{f.column}" = %s' for f in fields)
    with connection.cursor() as cursor:
        cursor.execute(
            f'UPDATE "{obj._meta.db_table}" SET {assignments} WHERE "{obj._meta.pk.column}" = %s',  # noqa: S608
            [*values, obj.pk],
        )
