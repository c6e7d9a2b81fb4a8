"""Reads of course versions: the published version's items (what learners read), any version's
items, the version list, and the diff between two versions."""

import difflib

from django.db.models import Q, QuerySet

from courseware.catalog_cache import local_get
from courseware.models import ContentBlob, Course, CourseVersion, VersionItem
from courseware.versions.kinds import content_kind, content_kinds

ITEM_FIELDS = ("kind", "item_id", "module_id", "position", "meta", "blob_id", "course_id")


def _item(row: dict) -> dict:
    row["digest"] = row.pop("blob_id")
    return row


def version_items(*, course_id: int, number: int) -> list[dict]:
    """The items of version ``number`` of the course (kind, item_id, module_id, position, meta,
    digest), ordered by kind and position. One query."""
    rows = (
        VersionItem.objects.filter(course_id=course_id, since__lte=number)
        .filter(Q(until__isnull=True) | Q(until__gt=number))
        .order_by("kind", "position", "item_id")
        .values(*ITEM_FIELDS)
    )
    return [_item(r) for r in rows]


def published_items(*, course: Course) -> list[dict]:
    """The published version's items, from this process's memory while the content version holds."""
    if not course.published_version:
        return []
    key = f"published-items:{course.pk}:{course.published_version}"
    return local_get(key, lambda: version_items_current(course_id=course.pk))


def version_items_current(*, course_id: int) -> list[dict]:
    rows = (
        VersionItem.objects.filter(course_id=course_id, until__isnull=True)
        .order_by("kind", "position", "item_id")
        .values(*ITEM_FIELDS)
    )
    return [_item(r) for r in rows]


def published_item(*, kind: str, item_id: int) -> dict | None:
    """One item of its course's published version, or None when no published version holds it.
    One query, then none while the content version holds."""

    def read() -> dict | None:
        row = VersionItem.objects.filter(kind=kind, item_id=item_id, until__isnull=True).values(*ITEM_FIELDS).first()
        return _item(row) if row else None

    return local_get(f"published-item:{kind}:{item_id}", read)


def blob_payload(*, digest: str) -> dict:
    """A blob's payload. Blobs never change, so a process keeps what it read (while the content
    version holds, like everything else it keeps)."""
    return local_get(f"blob:{digest}", lambda: ContentBlob.objects.values_list("payload", flat=True).get(pk=digest))


def blob_payloads(*, digests: set[str]) -> dict[str, dict]:
    return dict(ContentBlob.objects.filter(pk__in=digests).values_list("digest", "payload"))


def version_list(*, course: Course) -> QuerySet[CourseVersion]:
    return CourseVersion.objects.filter(course=course).select_related("published_by", "course").order_by("-number")


def version_get(*, course: Course, number: int) -> CourseVersion | None:
    return CourseVersion.objects.filter(course=course, number=number).first()


# --- Diff -------------------------------------------------------------------------------------------
def items_compare(*, old: list[dict], new: list[dict]) -> dict[str, list[tuple[dict | None, dict | None]]]:
    """Pairs (old, new) of the items that differ, by change: added (None, new), changed, removed
    (old, None). Items are dicts with kind, item_id, module_id, position, meta and digest."""
    before = {(i["kind"], i["item_id"]): i for i in old}
    after = {(i["kind"], i["item_id"]): i for i in new}
    out: dict[str, list] = {"added": [], "changed": [], "removed": []}
    for key, item in after.items():
        was = before.get(key)
        if was is None:
            out["added"].append((None, item))
        elif any(was[f] != item[f] for f in ("digest", "module_id", "position", "meta")):
            out["changed"].append((was, item))
    out["removed"] = [(item, None) for key, item in before.items() if key not in after]
    return out


def _text_diff(*, kind: str, old: dict | None, new: dict | None, old_label: str, new_label: str) -> str:
    handler = content_kind(kind)
    a = handler.text(old).splitlines(keepends=True) if old is not None else []
    b = handler.text(new).splitlines(keepends=True) if new is not None else []
    return "".join(difflib.unified_diff(a, b, fromfile=old_label, tofile=new_label))


def version_diff(*, course: Course, number: int, against: int) -> dict:
    """What changed from version ``against`` to version ``number`` (either may be the later one):
    per kind, items added, changed (with a unified text diff of the Markdown or of the questions,
    and whether it moved) and removed."""
    old = version_items(course_id=course.pk, number=against)
    new = version_items(course_id=course.pk, number=number)
    pairs = items_compare(old=old, new=new)
    digests = {i["digest"] for group in pairs.values() for pair in group for i in pair if i is not None}
    payloads = blob_payloads(digests=digests)
    out: dict = {"version": number, "against": against}
    for handler in content_kinds():
        plural = "quizzes" if handler.kind == "quiz" else f"{handler.kind}s"
        section: dict[str, list] = {"added": [], "changed": [], "removed": []}
        for change, group in pairs.items():
            for was, now in group:
                item = now or was
                if item["kind"] != handler.kind:
                    continue
                entry = {
                    "id": item["item_id"],
                    "slug": item["meta"].get("slug", ""),
                    "title": item["meta"].get("title", ""),
                }
                if change == "changed":
                    entry["moved"] = (was["module_id"], was["position"]) != (now["module_id"], now["position"])
                    slug = item["meta"].get("slug", "")
                    entry["diff"] = _text_diff(
                        kind=handler.kind,
                        old=payloads.get(was["digest"]),
                        new=payloads.get(now["digest"]),
                        old_label=f"v{against}/{was['meta'].get('slug', slug)}",
                        new_label=f"v{number}/{slug}",
                    )
                section[change].append(entry)
        out[plural] = section
    return out
