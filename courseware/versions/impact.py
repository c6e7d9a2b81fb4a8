"""What publishing a course's draft would do to its enrolled learners (the publish dry run, the import
dry run, the admin's preview): items added, changed and removed, how many learners each touches, and
how the progress distribution moves. Reads only, and a fixed number of grouped queries whatever the
number of learners or items (two per counted kind, plus the enrollments).

How learners stand on an item is the content kind's to say (``ContentKind.done`` and ``touched``,
registered by ``lessons`` and ``quizzes``), so this layer names no app above it."""

from collections import Counter

from courseware.models import Course, Enrollment
from courseware.versions.kinds import content_kind
from courseware.versions.plan import COUNTED_KINDS, PublishPlan, version_plan


def _percent(done: int, total: int) -> int:
    # The rule of ``ProgressSnapshot.percent``: rounded down, 100 only when everything is done.
    return (100 * done) // total if total else 0


def publish_impact(*, course: Course, plan: PublishPlan | None = None) -> dict:
    """The impact of publishing ``course``'s draft now:

    - ``items_added``/``items_changed``/``items_removed``: lessons and quizzes (modules only hold them);
    - ``learners_affected``: enrolled learners (not dropped) whose progress moves, or who completed or
      attempted an item that changes or goes;
    - ``progress_changes``: ``[{from, to, learners}]``, the moves only, largest group first;
    - ``completed_learners``: learners who completed the course; they stay completed, with their
      certificates, whatever the new version holds;
    - ``changes``: item by item, with ``learners`` it touches (every enrolled learner for an item
      added; those who completed or attempted it for one changed or removed; null for a module).
    """
    plan = plan or version_plan(course=course)
    enrolled = Enrollment.objects.filter(course=course).exclude(status=Enrollment.Status.DROPPED)
    statuses = dict(enrolled.values_list("learner_id", "status"))
    learners = enrolled.values("learner_id")

    before_total = after_total = 0
    done: dict[int, list[int]] = {learner: [0, 0] for learner in statuses}
    per_item: dict[str, dict[int, int]] = {}
    touching: set[int] = set()
    for kind in COUNTED_KINDS:
        handler = content_kind(kind)
        before = frozenset(plan.item_ids(kind, after=False))
        after = frozenset(plan.item_ids(kind, after=True))
        before_total, after_total = before_total + len(before), after_total + len(after)
        for learner, (was, will) in handler.done(course.pk, learners, before, after).items():
            if learner in done:
                done[learner][0] += was
                done[learner][1] += will
        changing = {(now or was)["item_id"] for c in ("changed", "removed") for was, now in plan.pairs[c]
                    if (now or was)["kind"] == kind}  # fmt: skip
        per_item[kind], who = handler.touched(learners, changing) if changing else ({}, set())
        touching |= who

    moves: Counter[tuple[int, int]] = Counter()
    moved = set()
    for learner, (was, will) in done.items():
        old, new = _percent(was, before_total), _percent(will, after_total)
        if old != new:
            moves[(old, new)] += 1
            moved.add(learner)

    changes = []
    for change in plan.changes():
        if change["kind"] not in COUNTED_KINDS:
            touched = None
        elif change["change"] == "added":
            touched = len(statuses)
        else:
            touched = per_item[change["kind"]].get(change["id"], 0)
        changes.append({**change, "learners": touched})

    return {
        "version": plan.number if plan.has_changes or not course.published_version else course.published_version,
        "has_changes": plan.has_changes,
        "items_added": plan.count("added"),
        "items_changed": plan.count("changed"),
        "items_removed": plan.count("removed"),
        "learners_enrolled": len(statuses),
        "learners_affected": len(moved | (touching & statuses.keys())),
        "progress_changes": [
            {"from": old, "to": new, "learners": n}
            for (old, new), n in sorted(moves.items(), key=lambda kv: (-kv[1], -kv[0][0], -kv[0][1]))
        ],
        "completed_learners": sum(1 for s in statuses.values() if s == Enrollment.Status.COMPLETED),
        "changes": changes,
    }
