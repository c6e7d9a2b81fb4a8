"""Writes of course versions: publishing the draft as a new numbered version (copy-on-write rows,
content-addressed blobs), and restoring an old version into the draft.

The draft is the content rows themselves (modules, lessons, quizzes, questions), written by every
authoring path (API, admin, course folders and zips). Learners read only the published version:
the ``VersionItem`` rows with ``until`` null, whose content is in ``ContentBlob``."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from config.errors import ApplicationError, NotFound
from courseware.models import ContentBlob, Course, CourseVersion, VersionItem
from courseware.structure.changes import course_content_changed, course_draft_changed, course_touch
from courseware.versions.impact import publish_impact
from courseware.versions.kinds import RestoredItem, content_kinds
from courseware.versions.plan import COUNTED_KINDS, PublishPlan, version_plan
from courseware.versions.selectors import blob_payloads, version_items
from events.services import event_record


def _publishable_check(plan: PublishPlan) -> None:
    lessons = [i for i in plan.draft if i.kind == "lesson"]
    if not lessons:
        raise ApplicationError("A course needs at least one lesson before it can be published.", code="no_lessons")
    if empty := [i.payload["title"] for i in lessons if not (i.payload.get("body_markdown") or "").strip()]:
        raise ApplicationError(
            f"Every lesson needs a body before the course can be published; empty: {', '.join(empty)}.",
            code="empty_lessons",
        )


@dataclass
class Publication:
    course: Course
    version: CourseVersion
    created: bool  # False: the draft equals the published version, nothing new was made
    plan: PublishPlan


@transaction.atomic
def version_publish(
    *, course: Course, actor: User | None, note: str = "", checked: bool = True, plan: PublishPlan | None = None
) -> Publication:
    """Publish the draft: a new numbered version when anything changed (else the current one, so a
    repeat is harmless), the course listed in the catalog, learners' progress recomputed against it
    after commit (``course_content_changed``), a ``course.published`` event."""
    # FOR NO KEY UPDATE: serialises publishes and authoring of the course, but not the learners'
    # writes whose foreign-key checks take KEY SHARE on the course row at commit. A plain FOR UPDATE
    # deadlocked a publish (course locked, then waiting for the enrollments it marks stale) with a
    # completion (its enrollment updated, then waiting for the course row's key share).
    course = Course.objects.select_for_update(no_key=True).get(pk=course.pk)
    plan = plan or version_plan(course=course)  # a caller's plan was made under this lock
    if checked:
        _publishable_check(plan)
    now = timezone.now()
    created = plan.has_changes or not course.published_version
    if created:
        version = _version_write(course=course, plan=plan, actor=actor, now=now, note=note)
        course.published_version = version.number
    else:
        version = CourseVersion.objects.get(course=course, number=course.published_version)
    listed = not course.is_published
    if created or listed:
        course.is_published = True
        course.published_at = course.published_at or now
        course.save(update_fields=["is_published", "published_at", "published_version", "updated_at"])
        if plan.structure_changed:  # stored progress and the counts follow the item set: recompute them
            course_content_changed(course_id=course.pk)
        else:  # text or order only: progress stays valid; caches key on the published version
            course_touch(course_id=course.pk)
        event_record(
            type="course.published",
            course_id=course.pk,
            course_slug=course.slug,
            data={
                "title": course.title,
                "published_at": course.published_at.isoformat(),
                "version": version.number,
                "items_added": version.items_added,
                "items_changed": version.items_changed,
                "items_removed": version.items_removed,
            },
        )
    return Publication(course=course, version=version, created=created, plan=plan)


def _version_write(*, course: Course, plan: PublishPlan, actor: User | None, now, note: str) -> CourseVersion:
    number = plan.number
    by_key = {(i.kind, i.item_id): i for i in plan.draft}
    fresh = [by_key[(now_["kind"], now_["item_id"])] for _, now_ in plan.pairs["added"] + plan.pairs["changed"]]
    if not plan.published:  # the first version holds every item
        fresh = plan.draft
    ContentBlob.objects.bulk_create(
        [
            ContentBlob(digest=i.digest, payload=i.payload, size=len(i.blob))
            for i in {i.digest: i for i in fresh}.values()
        ],
        ignore_conflicts=True,
    )
    closing = {(was["kind"], was["item_id"]) for was, _ in plan.pairs["changed"] + plan.pairs["removed"]}
    if closing:
        VersionItem.objects.filter(pk__in=_current_pks(course_id=course.pk, keys=closing)).update(until=number)
    VersionItem.objects.bulk_create(
        [
            VersionItem(
                course=course,
                kind=i.kind,
                item_id=i.item_id,
                module_id=i.module_id,
                position=i.position,
                meta=i.meta,
                blob_id=i.digest,
                since=number,
            )
            for i in fresh
        ]
    )
    return CourseVersion.objects.create(
        course=course,
        number=number,
        published_at=now,
        published_by=actor if actor is not None and actor.is_authenticated else None,
        items_added=plan.count("added") if plan.published else sum(1 for i in plan.draft if i.kind in COUNTED_KINDS),
        items_changed=plan.count("changed"),
        items_removed=plan.count("removed"),
        changes=plan.changes(),
        note=note[:300],
    )


def _current_pks(*, course_id: int, keys: set[tuple[str, int]]) -> list[int]:
    rows = VersionItem.objects.filter(course_id=course_id, until__isnull=True).values_list("pk", "kind", "item_id")
    return [pk for pk, kind, item_id in rows if (kind, item_id) in keys]


@transaction.atomic
def version_restore(*, course: Course, number: int) -> PublishPlan:
    """Make the draft version ``number``'s content (ids kept: completions and attempts of a restored
    item count again once it is published). Nothing reaches learners until the next publish.
    Returns what publishing would now do."""
    course = Course.objects.select_for_update(no_key=True).get(pk=course.pk)
    if not CourseVersion.objects.filter(course=course, number=number).exists():
        raise NotFound(f"This course has no version {number}.")
    items = version_items(course_id=course.pk, number=number)
    payloads = blob_payloads(digests={i["digest"] for i in items})
    for handler in content_kinds():
        handler.restore(
            course.pk,
            [
                RestoredItem(
                    item_id=i["item_id"],
                    module_id=i["module_id"],
                    position=i["position"],
                    payload=payloads[i["digest"]],
                )
                for i in items
                if i["kind"] == handler.kind
            ],
        )
    course_draft_changed(course_id=course.pk)
    return version_plan(course=course)


def course_publish(*, course: Course, actor: User | None, dry_run: bool = False, note: str = "") -> dict:
    """Publish the course's draft (``POST /courses/{slug}/publish/``), or with ``dry_run`` only say
    what publishing would do (nothing is written). Either way the answer is the impact on enrolled
    learners as it stands before the publish (``courseware.versions.impact``) with ``version``: the
    number the draft has (or would have) as the published version. Publishing a draft equal to the
    published version makes no new version (a repeat is harmless)."""
    if dry_run:
        plan = version_plan(course=course)
        _publishable_check(plan)
        return {**publish_impact(course=course, plan=plan), "dry_run": True}
    with transaction.atomic():
        locked = Course.objects.select_for_update(no_key=True).get(pk=course.pk)
        plan = version_plan(course=locked)
        _publishable_check(plan)
        impact = publish_impact(course=locked, plan=plan)
        publication = version_publish(course=locked, actor=actor, note=note, checked=False, plan=plan)
    return {**impact, "version": publication.version.number, "dry_run": False}
