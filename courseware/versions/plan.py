"""What publishing a course's draft would make of its published version: the draft read as version
items, compared item by item with the published version (reads only)."""

from dataclasses import dataclass, field

from courseware.models import Course
from courseware.versions.kinds import DraftItem, content_kinds
from courseware.versions.selectors import items_compare, version_items_current

COUNTED_KINDS = ("lesson", "quiz")  # the items progress counts; modules only hold them


@dataclass
class PublishPlan:
    """What publishing the draft now would do: the items as they would stand, and the changes
    against the published version."""

    course_id: int
    number: int  # the number the version would get
    draft: list[DraftItem]
    published: list[dict]
    pairs: dict[str, list[tuple[dict | None, dict | None]]] = field(default_factory=dict)

    def count(self, change: str) -> int:
        return sum(1 for was, now in self.pairs[change] if (now or was)["kind"] in COUNTED_KINDS)

    @property
    def has_changes(self) -> bool:
        return any(self.pairs[c] for c in ("added", "changed", "removed"))

    @property
    def structure_changed(self) -> bool:
        """Whether the set of modules, lessons or quizzes changes (not only their text or order): stored
        progress and the catalog's counts follow the item set."""
        kinds = {i.kind for i in self.draft} | {i["kind"] for i in self.published}
        return any(self.item_ids(k, after=False) != self.item_ids(k, after=True) for k in kinds)

    def item_ids(self, kind: str, *, after: bool) -> set[int]:
        rows = self.draft if after else self.published
        return {(i.item_id if after else i["item_id"]) for i in rows if (i.kind if after else i["kind"]) == kind}

    def changes(self) -> list[dict]:
        out = []
        for change in ("added", "changed", "removed"):
            for was, now in self.pairs[change]:
                item = now or was
                out.append(
                    {
                        "kind": item["kind"],
                        "id": item["item_id"],
                        "slug": item["meta"].get("slug", ""),
                        "title": item["meta"].get("title", ""),
                        "change": change,
                    }
                )
        return out


def _as_row(item: DraftItem) -> dict:
    return {
        "kind": item.kind,
        "item_id": item.item_id,
        "module_id": item.module_id,
        "position": item.position,
        "meta": item.meta,
        "digest": item.digest,
    }


def draft_items(*, course_id: int) -> list[DraftItem]:
    return [item for kind in content_kinds() for item in kind.snapshot(course_id)]


def version_plan(*, course: Course) -> PublishPlan:
    """Compare the draft with the published version (no writes)."""
    draft = draft_items(course_id=course.pk)
    published = version_items_current(course_id=course.pk)
    plan = PublishPlan(course_id=course.pk, number=course.published_version + 1, draft=draft, published=published)
    plan.pairs = items_compare(old=published, new=[_as_row(i) for i in draft])
    return plan
