"""What a version is made of: each kind of content (module, lesson, quiz) registers how to read its
draft as version items and how to write a version's items back into the draft. ``courseware`` holds
the registry and the module kind; ``lessons`` and ``quizzes`` register theirs from ``ready()``, so
this layer names no app above it."""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.db.models import Count, Q, QuerySet


def canonical(payload: dict) -> bytes:
    """The bytes a payload is stored and addressed by: sorted keys, no spaces, UTF-8."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


@dataclass(frozen=True)
class DraftItem:
    """One module, lesson or quiz as the draft has it now."""

    kind: str
    item_id: int
    module_id: int | None
    position: int
    meta: dict  # the item's outline fields (what the course page shows)
    payload: dict = field(repr=False)  # everything a learner reads of it, keys included

    @cached_property
    def blob(self) -> bytes:
        return canonical(self.payload)

    @cached_property
    def digest(self) -> str:
        return hashlib.sha256(self.blob).hexdigest()


@dataclass(frozen=True)
class RestoredItem:
    """One item of an old version, to be written back into the draft."""

    item_id: int
    module_id: int | None
    position: int
    payload: dict


@dataclass(frozen=True)
class ContentKind:
    kind: str
    order: int  # snapshot, restore and outline order: modules before what they hold
    snapshot: Callable[[int], list[DraftItem]]  # course id -> the draft's items of this kind
    restore: Callable[[int, list[RestoredItem]], None]  # course id, items -> the draft holds exactly these
    text: Callable[[dict], str]  # payload -> the text a diff compares (Markdown, questions)
    label: Callable[[dict], str] = lambda payload: payload.get("title", "")
    # For the kinds progress counts (lessons, quizzes), how learners stand on them (the impact preview):
    # (course id, learners queryset of ids, item ids before, item ids after) -> {learner: [done before, after]}
    done: Callable[[int, Any, frozenset[int], frozenset[int]], dict[int, list[int]]] | None = None
    # (learners queryset of ids, item ids) -> {item id: learners who completed or attempted it}, those learners
    touched: Callable[[Any, set[int]], tuple[dict[int, int], set[int]]] | None = None


_kinds: dict[str, ContentKind] = {}


def content_kind_register(kind: ContentKind) -> None:
    _kinds[kind.kind] = kind


def content_kinds() -> list[ContentKind]:
    return sorted(_kinds.values(), key=lambda k: k.order)


def content_kind(kind: str) -> ContentKind:
    return _kinds[kind]


def item_payload_text(kind: str, payload: dict[str, Any]) -> str:
    return content_kind(kind).text(payload)


# --- How learners stand on items: the two reads every counted kind's ``done`` and ``touched`` make ---
def learners_done_counts(
    rows: QuerySet, *, item: str, before: frozenset[int], after: frozenset[int]
) -> dict[int, list[int]]:
    """Per learner, how many distinct items of ``before`` and of ``after`` ``rows`` hold (rows with a
    ``learner_id`` and an ``item`` column, e.g. completions and ``lesson_id``): one query."""
    grouped = rows.values("learner_id").annotate(
        before=Count(item, distinct=True, filter=Q(**{f"{item}__in": before})),
        after=Count(item, distinct=True, filter=Q(**{f"{item}__in": after})),
    )
    return {r["learner_id"]: [r["before"], r["after"]] for r in grouped}


def learners_per_item(rows: QuerySet, *, item: str) -> tuple[dict[int, int], set[int]]:
    """The learners ``rows`` hold per ``item``, and who they are: two queries."""
    per_item = dict(rows.values_list(item).annotate(n=Count("learner_id", distinct=True)))
    return per_item, set(rows.values_list("learner_id", flat=True).distinct())
