"""Positions and content rules that modules, lessons and quizzes share: gapless unique positions in
their container, moves between containers, slug and title rules, and the module lock that serialises
reorders."""

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models
from django.db.models import F, Max, QuerySet
from django.utils.text import slugify

from config.errors import Conflict, NotFound
from courseware.models import Module
from courseware.structure.changes import course_draft_changed

logger = logging.getLogger(__name__)


# --- Authoring: positions and slugs of course content ---------------------------------------------
# Modules (per course), lessons and quizzes (each per module) hold unique positions >= 1. A reorder
# shifts the others in two phases: park the rows far above every real position, then land them on
# their final ones, so the unique (parent, position) constraint never sees two rows on one position.
POSITION_MAX = 999_999
_PARKED = 1_000_000_000
CONTENT_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
CONTENT_SLUG_MAX = 100


def position_validate(*, position: int | None, field: str = "position") -> None:
    if position is not None and not 1 <= position <= POSITION_MAX:
        raise ValidationError({field: [f"Must be between 1 and {POSITION_MAX}."]})


def _positions_shift(rows: QuerySet, delta: int) -> None:
    pks = list(rows.values_list("pk", flat=True))
    if not pks:
        return
    model = rows.model
    model.objects.filter(pk__in=pks).update(position=F("position") + _PARKED)
    model.objects.filter(pk__in=pks).update(position=F("position") - _PARKED + delta)


def position_make_room(*, siblings: QuerySet, position: int | None) -> int:
    """The position an item joining ``siblings`` takes: ``position`` (the siblings at or after it move
    up one when it is taken), or after the last one when ``position`` is None."""
    if position is None:
        last = siblings.aggregate(last=Max("position"))["last"]
        return (last or 0) + 1
    if siblings.filter(position=position).exists():
        _positions_shift(siblings.filter(position__gte=position), +1)
    return position


def position_close_gap(*, siblings: QuerySet, position: int) -> None:
    """Close the gap an item leaving ``siblings`` at ``position`` leaves (those after it move down one)."""
    _positions_shift(siblings.filter(position__gt=position), -1)


def position_move(
    *, item: models.Model, old_siblings: QuerySet, new_siblings: QuerySet, position: int, **changes
) -> None:
    """Move ``item`` to ``position`` among ``new_siblings`` (both sibling sets exclude the item; they
    are the same set for a move within one parent). ``changes`` (e.g. ``module_id``) are saved with it."""
    type(item).objects.filter(pk=item.pk).update(position=2 * _PARKED)
    position_close_gap(siblings=old_siblings, position=item.position)
    item.position = position_make_room(siblings=new_siblings, position=position)
    for name, value in changes.items():
        setattr(item, name, value)
    item.save(update_fields=["position", *changes, "updated_at"])


def module_item_move(*, item: models.Model, position: int, module: Module | None = None) -> models.Model:
    """Move a lesson or quiz (``item``: a row with ``module``, ``course`` and ``position``) to
    ``position`` in ``module`` (default: its own module), which must belong to the same course. Its
    siblings shift so positions stay unique and gapless. Call inside a transaction."""
    kind = item._meta.verbose_name
    target_id = module.pk if module is not None else item.module_id
    if module is not None and module.course_id != item.course_id:
        raise ValidationError({"module": [f"Must be a module of the {kind}'s course."]})
    position_validate(position=position)
    for module_id in sorted({item.module_id, target_id}):  # lock both modules, in a fixed order
        Module.objects.select_for_update(no_key=True).filter(pk=module_id).first()
    model = type(item)
    item = model.objects.get(pk=item.pk)
    if (item.module_id, item.position) == (target_id, position):
        return item
    others = model.objects.exclude(pk=item.pk)
    position_move(
        item=item,
        old_siblings=others.filter(module_id=item.module_id),
        new_siblings=others.filter(module_id=target_id),
        position=position,
        module_id=target_id,
    )
    course_draft_changed(course_id=item.course_id)
    return item


def module_lock(*, module_id: int) -> Module:
    """Lock a module's row (serialising reorders of its lessons and quizzes); 404 when it is gone."""

    module = Module.objects.select_for_update(no_key=True).filter(pk=module_id).first()
    if module is None:
        raise NotFound("No module with this id.")
    return module


@contextmanager
def content_save_guard() -> Iterator[None]:
    """A unique slug or position taken by a concurrent request between the check and the save → 409."""

    try:
        yield
    except IntegrityError:
        raise Conflict("A concurrent change took this slug or position; try again.", code="concurrent_change")


def content_title_check(item: models.Model, errors: dict[str, list[str]]) -> None:
    """Strip a lesson's or quiz's title in place and record what is wrong with it in ``errors``."""
    item.title = (item.title or "").strip()
    if not item.title:
        errors["title"] = ["This field may not be blank."]
    elif len(item.title) > 200:
        errors["title"] = ["At most 200 characters."]


def content_slug_validate(*, slug: str, field: str = "slug") -> None:
    """Slugs of modules, lessons and quizzes: what the course-as-code format accepts."""
    if not isinstance(slug, str) or not CONTENT_SLUG_RE.match(slug):
        raise ValidationError({field: ["Use lowercase letters, digits and hyphens, starting with a letter or digit."]})
    if len(slug) > CONTENT_SLUG_MAX:
        raise ValidationError({field: [f"At most {CONTENT_SLUG_MAX} characters."]})


def content_slug_from_title(*, title: str, existing: QuerySet, fallback: str) -> str:
    """A slug for ``title`` not yet used in ``existing`` (a queryset of the same kind in the course)."""
    base = slugify(title).replace("_", "-").strip("-")[: CONTENT_SLUG_MAX - 8].strip("-") or fallback
    used = set(existing.filter(slug__startswith=base).values_list("slug", flat=True))
    slug, n = base, 2
    while slug in used:
        slug, n = f"{base}-{n}", n + 1
    return slug
