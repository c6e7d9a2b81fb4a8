"""Modules as version items: what a version keeps of a module, and writing it back."""

from courseware.models import Module
from courseware.versions.kinds import ContentKind, DraftItem, RestoredItem, content_kind_register
from courseware.versions.restore import rows_restore

MODULE_FIELDS = ("id", "slug", "title", "summary", "position")


def module_item(row: dict) -> DraftItem:
    """A module row (``MODULE_FIELDS`` values) as a version item."""
    return DraftItem(
        kind="module",
        item_id=row["id"],
        module_id=None,
        position=row["position"],
        meta={f: row[f] for f in MODULE_FIELDS},
        payload={"slug": row["slug"], "title": row["title"], "summary": row["summary"]},
    )


def module_snapshot(course_id: int) -> list[DraftItem]:
    return [module_item(r) for r in Module.objects.filter(course_id=course_id).values(*MODULE_FIELDS)]


def module_restore(course_id: int, items: list[RestoredItem]) -> None:
    rows_restore(model=Module, scope={"course_id": course_id}, items=items, fields_of=lambda i: dict(i.payload))


def module_text(payload: dict) -> str:
    return f"# {payload['title']}\n\n{payload.get('summary', '')}\n"


def register() -> None:
    content_kind_register(
        ContentKind(kind="module", order=0, snapshot=module_snapshot, restore=module_restore, text=module_text)
    )
