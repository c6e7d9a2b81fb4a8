"""Writing an old version's items back into the draft rows, ids kept."""

from collections.abc import Callable

from django.db import models
from django.utils import timezone

from courseware.versions.kinds import RestoredItem

PARKED = 1_000_000  # positions (and slugs) rows are moved to while the draft is rewritten


def rows_restore(
    *,
    model: type[models.Model],
    scope: dict,
    items: list[RestoredItem],
    fields_of: Callable[[RestoredItem], dict],
    slugged: bool = True,
) -> None:
    """Make the draft rows of ``model`` within ``scope`` (e.g. ``{"course_id": 3}``) exactly
    ``items``: the others are retired, these revived and rewritten in place. Rows are first parked
    out of the way of the unique positions and slugs, then given their final values."""
    wanted = {i.item_id: i for i in items}
    for row in model.objects.filter(**scope).exclude(pk__in=wanted):
        row.delete()  # retires (see ``courseware.models.Retirable``)
    existing = set(model.all_objects.filter(pk__in=wanted).values_list("pk", flat=True))
    for pk in existing:
        parked = {"position": PARKED + pk, "removed_at": None}
        if slugged:
            parked["slug"] = f"restoring-{pk}"
        model.all_objects.filter(pk=pk).update(**parked)
    now = timezone.now()
    for item in items:
        values = {**fields_of(item), "position": item.position, "removed_at": None}
        if any(f.name == "updated_at" for f in model._meta.concrete_fields):
            values["updated_at"] = now
        if item.item_id in existing:
            model.all_objects.filter(pk=item.item_id).update(**values)
        else:  # a row that no longer exists (deleted before versions kept them): made again, same id
            model.all_objects.create(pk=item.item_id, **{**scope, **values})
