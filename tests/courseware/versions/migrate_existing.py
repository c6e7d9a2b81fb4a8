"""Run as a script by ``test_migration.py``, on a database of its own: migrate to the schema before
versions, fill it as a site running that release would be, migrate to the newest schema, and print
what the current code then sees (JSON on the last line)."""

import json
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
sys.path.insert(0, os.getcwd())
django.setup()

from django.db import connection  # noqa: E402
from django.db.migrations.executor import MigrationExecutor  # noqa: E402
from django.utils import timezone  # noqa: E402

BEFORE = {"courseware": "0002_enrollment_activity_seq", "lessons": "0001_initial", "quizzes": "0004_overrides"}


def targets(executor: MigrationExecutor, *, before: bool) -> list[tuple[str, str]]:
    leaves = executor.loader.graph.leaf_nodes()
    return [(app, BEFORE[app]) if before and app in BEFORE else (app, name) for app, name in leaves]


def fill(apps) -> dict:
    now = timezone.now()
    User = apps.get_model("accounts", "User")
    Course = apps.get_model("courseware", "Course")
    Module = apps.get_model("courseware", "Module")
    Enrollment = apps.get_model("courseware", "Enrollment")
    Lesson = apps.get_model("lessons", "Lesson")
    LessonCompletion = apps.get_model("lessons", "LessonCompletion")
    Quiz = apps.get_model("quizzes", "Quiz")
    Question = apps.get_model("quizzes", "Question")
    Choice = apps.get_model("quizzes", "Choice")
    learner = User.objects.create(username="old-learner", email="old@example.com", password="!", name="Old Learner")
    course = Course.objects.create(
        slug="old-course", title="Old course", summary="S", is_published=True, published_at=now, estimated_hours=1
    )
    draft = Course.objects.create(slug="old-draft", title="Never published", summary="S", estimated_hours=1)
    lessons = []
    for c in (course, draft):
        module = Module.objects.create(course=c, slug=f"{c.slug}-m1", title="Module", position=1)
        for p in (1, 2):
            lessons.append(
                Lesson.objects.create(
                    course=c, module=module, slug=f"{c.slug}-l{p}", title=f"Lesson {p}", position=p,
                    body_markdown=f"Body {p}.", body_html=f"<p>Body {p}.</p>", estimated_minutes=3,
                )
            )  # fmt: skip
        if c is course:
            quiz = Quiz.objects.create(course=c, module=module, slug="old-quiz", title="Quiz", position=1)
            question = Question.objects.create(quiz=quiz, text="Which?", kind="single", position=1)
            Choice.objects.create(question=question, text="This", is_correct=True, position=1)
            Choice.objects.create(question=question, text="That", is_correct=False, position=2)
    Enrollment.objects.create(learner=learner, course=course, status="active", enrolled_at=now)
    LessonCompletion.objects.create(learner=learner, course=course, lesson=lessons[0], completed_at=now)
    return {"course": course.pk, "draft": draft.pk, "learner": learner.pk, "lesson": lessons[0].pk}


def main() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(targets(executor, before=True))
    ids = fill(executor.loader.project_state(targets(executor, before=True)).apps)
    executor = MigrationExecutor(connection)
    executor.migrate(targets(executor, before=False))

    from courseware.models import Course, CourseVersion
    from courseware.versions.plan import version_plan
    from learning.content.lesson_pages import lesson_page
    from learning.outline import course_outline
    from learning.progress.selectors import progress_snapshot
    from lessons.models import LessonCompletion

    course, draft = Course.objects.get(pk=ids["course"]), Course.objects.get(pk=ids["draft"])
    snapshot = progress_snapshot(learner_id=ids["learner"], course_id=course.pk, outline=course_outline(course=course))
    page = lesson_page(lesson_id=ids["lesson"])
    print(
        json.dumps(
            {
                "published_version": course.published_version,
                "versions": list(CourseVersion.objects.filter(course=course).values_list("number", "items_added")),
                "draft_changes_pending": version_plan(course=course).has_changes,
                "outline": [[lesson["title"] for lesson in m["lessons"]] for m in course_outline(course=course)],
                "quizzes": [
                    [q["title"], q["question_count"]] for m in course_outline(course=course) for q in m["quizzes"]
                ],
                "progress": [snapshot.done_items, snapshot.total_items],
                "completions": LessonCompletion.objects.filter(learner_id=ids["learner"]).count(),
                "lesson_page": page is not None and page.body["body_html"],
                "never_published": [draft.published_version, CourseVersion.objects.filter(course=draft).count()],
            }
        )
    )


if __name__ == "__main__":
    main()
