"""Existing courses become version 1: what learners see today, kept exactly.

Every course that has been published gets version 1 holding its modules, lessons and quizzes (with
questions, choices and keys) as they stand, and ``published_version = 1``; a course never published
keeps only its draft. The payloads are built here with the historical models, in the same shape as
``courseware.versions`` builds them at this point of the schema (so the first publish after the
migration sees no change); the code is frozen in this file on purpose, as migrations must be."""

import hashlib
import json

from django.db import migrations
from django.db.models import Q
from django.utils import timezone

SETTINGS = (
    "slug", "title", "description", "pass_percent", "max_attempts", "scoring", "reveal_answers",
    "time_limit_minutes", "shuffle", "draw", "key_version",
)  # fmt: skip
QUESTION_FIELDS = ("id", "quiz_id", "text", "kind", "position", "points", "answer", "tolerance", "accepted")
CHOICE_FIELDS = ("id", "question_id", "role", "text", "is_correct", "explanation", "position", "match_id")
LESSON_PAYLOAD = ("slug", "title", "body_markdown", "body_html", "estimated_minutes")


def _canonical(payload: dict) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def _items(apps, course) -> list[tuple[str, int, int | None, int, dict, dict]]:
    Module = apps.get_model("courseware", "Module")
    Lesson = apps.get_model("lessons", "Lesson")
    Quiz = apps.get_model("quizzes", "Quiz")
    Question = apps.get_model("quizzes", "Question")
    Choice = apps.get_model("quizzes", "Choice")
    out = []
    for m in Module.objects.filter(course=course).values("id", "slug", "title", "summary", "position"):
        payload = {"slug": m["slug"], "title": m["title"], "summary": m["summary"]}
        out.append(("module", m["id"], None, m["position"], dict(m), payload))
    fields = ("id", "module_id", "position", *LESSON_PAYLOAD)
    for row in Lesson.objects.filter(course=course).values(*fields):
        meta = {k: row[k] for k in ("id", "slug", "title", "position", "estimated_minutes")}
        out.append(("lesson", row["id"], row["module_id"], row["position"], meta, {f: row[f] for f in LESSON_PAYLOAD}))
    quizzes = list(Quiz.objects.filter(course=course).values("id", "module_id", "position", *SETTINGS))
    ids = [q["id"] for q in quizzes]
    questions: dict[int, list[dict]] = {}
    for q in Question.objects.filter(quiz_id__in=ids).order_by("position").values(*QUESTION_FIELDS):
        questions.setdefault(q["quiz_id"], []).append(q)
    choices: dict[int, list[dict]] = {}
    for c in Choice.objects.filter(question__quiz_id__in=ids).order_by("role", "position").values(*CHOICE_FIELDS):
        choices.setdefault(c["question_id"], []).append(c)
    for row in quizzes:
        mine = questions.get(row["id"], [])
        payload = {f: row[f] for f in SETTINGS}
        payload["questions"] = [
            {
                **{f: q[f] for f in QUESTION_FIELDS if f not in ("quiz_id", "answer", "tolerance")},
                "answer": None if q["answer"] is None else str(q["answer"]),
                "tolerance": None if q["tolerance"] is None else str(q["tolerance"]),
                "choices": [{f: c[f] for f in CHOICE_FIELDS if f != "question_id"} for c in choices.get(q["id"], [])],
            }
            for q in mine
        ]
        meta = {k: row[k] for k in ("id", "slug", "title", "position", "pass_percent", "max_attempts")}
        meta["question_count"] = len(mine)
        out.append(("quiz", row["id"], row["module_id"], row["position"], meta, payload))
    return out


def forwards(apps, schema_editor):
    Course = apps.get_model("courseware", "Course")
    ContentBlob = apps.get_model("courseware", "ContentBlob")
    CourseVersion = apps.get_model("courseware", "CourseVersion")
    VersionItem = apps.get_model("courseware", "VersionItem")
    for course in Course.objects.filter(Q(is_published=True) | Q(published_at__isnull=False), published_version=0):
        items = _items(apps, course)
        blobs = {}
        rows = []
        for kind, item_id, module_id, position, meta, payload in items:
            data = _canonical(payload)
            digest = hashlib.sha256(data).hexdigest()
            blobs[digest] = ContentBlob(digest=digest, payload=payload, size=len(data))
            rows.append(
                VersionItem(
                    course=course,
                    kind=kind,
                    item_id=item_id,
                    module_id=module_id,
                    position=position,
                    meta=meta,
                    blob_id=digest,
                    since=1,
                )
            )
        ContentBlob.objects.bulk_create(list(blobs.values()), ignore_conflicts=True)
        VersionItem.objects.bulk_create(rows)
        CourseVersion.objects.create(
            course=course,
            number=1,
            published_at=course.published_at or timezone.now(),
            items_added=sum(1 for i in items if i[0] in ("lesson", "quiz")),
            changes=[
                {
                    "kind": i[0],
                    "id": i[1],
                    "slug": i[4].get("slug", ""),
                    "title": i[4].get("title", ""),
                    "change": "added",
                }
                for i in items
            ],
            note="What learners saw when versions began.",
        )
        Course.objects.filter(pk=course.pk).update(published_version=1)


def backwards(apps, schema_editor):
    apps.get_model("courseware", "VersionItem").objects.all().delete()
    apps.get_model("courseware", "CourseVersion").objects.all().delete()
    apps.get_model("courseware", "ContentBlob").objects.all().delete()
    apps.get_model("courseware", "Course").objects.update(published_version=0)


class Migration(migrations.Migration):
    dependencies = [
        ("courseware", "0005_versions"),
        ("lessons", "0002_versions"),
        ("quizzes", "0005_versions"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
