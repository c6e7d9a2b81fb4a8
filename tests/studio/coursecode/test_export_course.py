"""``manage.py export_course``: the folder it writes follows the format and imports back to the
same course."""

from datetime import UTC, datetime
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from courseware.models import Course
from lessons.markdown import render_markdown
from lessons.models import Lesson
from quizzes.models import Quiz
from tests.conftest import client_for
from tests.factories import InstructorFactory, build_course
from tests.studio.coursecode.folders import SEED_COURSE, course_tree, read_yaml, write

pytestmark = pytest.mark.django_db


def export(slug: str, path: Path, *args: str) -> str:
    out = StringIO()
    call_command("export_course", slug, str(path), *args, stdout=out)
    return out.getvalue()


def import_(path: Path) -> str:
    out = StringIO()
    call_command("import_course", str(path), stdout=out)
    return out.getvalue()


def assert_round_trip(course: Course, tmp_path: Path) -> None:
    """Export, re-import over the course (nothing changes), then delete the course and import the
    export afresh (the same course comes back)."""
    expected = course_tree(course)
    exported = tmp_path / "export"
    export(course.slug, exported)

    out = import_(exported)
    assert "is unchanged" in out, out
    course.refresh_from_db()
    assert course_tree(course) == expected

    course.delete()
    import_(exported)
    assert course_tree(Course.objects.get(slug=expected["slug"])) == expected


def test_seed_course_round_trips(tmp_path):
    import_(SEED_COURSE)
    assert_round_trip(Course.objects.get(slug="selling-in-vs-selling-out"), tmp_path)


def test_factory_course_round_trips(tmp_path):
    teachers = InstructorFactory.create_batch(2)
    course = build_course(
        modules=3,
        lessons_per_module=2,
        description="A longer description.\n\n- with a list\n- of **Markdown**\n",
        estimated_hours=Decimal("3.5"),
        sequential=True,
        capacity=40,
        enrollment_opens_at=datetime(2030, 1, 1, 9, 0, tzinfo=UTC),
        enrollment_closes_at=datetime(2030, 3, 1, 17, 30, tzinfo=UTC),
        instructors=teachers,
    )
    module = course.modules.order_by("position").last()
    module.summary = "Last module: it has\ntwo lines."
    module.save()
    lesson = Lesson.objects.filter(course=course).order_by("module__position", "position").first()
    lesson.body_markdown = "# Title\n\n```python\nprint('hi')  # a comment: with colon\n```\n\n---\n\nAfter a rule.\n"
    lesson.body_html = render_markdown(lesson.body_markdown)
    lesson.estimated_minutes = 42
    lesson.save()
    crlf = Lesson.objects.filter(course=course).exclude(pk=lesson.pk).first()
    crlf.body_markdown = "\nTyped in a browser:\r\nline two\r\n\r\n  indented\t"  # as an admin form saves it
    crlf.body_html = render_markdown(crlf.body_markdown)
    crlf.save()
    quiz = Quiz.objects.filter(course=course).first()
    quiz.description = "Read the lesson first: it helps."
    quiz.scoring = Quiz.Scoring.PARTIAL
    quiz.reveal_answers = Quiz.Reveal.NEVER
    quiz.time_limit_minutes = 15
    quiz.shuffle = True
    quiz.pass_percent = 0
    quiz.max_attempts = 1
    quiz.save()
    question = quiz.questions.first()
    question.text = "A question with 'quotes', \"double quotes\", # hashes and: colons?"
    question.save()

    assert_round_trip(course, tmp_path)


def test_a_course_authored_through_the_api_round_trips(tmp_path):
    """The API's quiz body has no explanations (the contract's `{text, is_correct}` choices)."""
    author = client_for(InstructorFactory())
    assert author.post("/api/courses/", {"slug": "by-api", "title": "By API", "summary": "S."}).status_code == 201
    module = author.post("/api/courses/by-api/modules/", {"title": "One", "position": 1}).json()["id"]
    lesson = {"slug": "first", "title": "First", "body_markdown": "Read *this*.", "position": 1}
    assert author.post(f"/api/modules/{module}/lessons/", lesson).status_code == 201
    quiz = {
        "title": "Check",
        "pass_percent": 50,
        "max_attempts": 2,
        "position": 1,
        "questions": [
            {"text": "Pick one", "kind": "single", "choices": [{"text": "A", "is_correct": True}, {"text": "B"}]}
        ],
    }
    assert author.post(f"/api/modules/{module}/quizzes/", quiz, format="json").status_code == 201

    assert_round_trip(Course.objects.get(slug="by-api"), tmp_path)
    exported = next((tmp_path / "export").rglob("*.quiz.yaml"))
    assert all("explanation" not in c for c in read_yaml(exported)["questions"][0]["choices"])


def test_a_draft_with_an_empty_lesson_round_trips(tmp_path):
    course = build_course(modules=1, lessons_per_module=2, is_published=False, estimated_hours=Decimal("1.5"))
    Lesson.objects.filter(course=course, position=2).update(body_markdown="", body_html="")
    assert_round_trip(course, tmp_path)


def test_unset_estimated_hours_is_left_out_and_computed_on_import(tmp_path):
    course = build_course(modules=1, lessons_per_module=12)  # 12 lessons of 5 minutes; hours 0 = not set
    export(course.slug, tmp_path / "out")
    assert "estimated_hours" not in read_yaml(tmp_path / "out" / "course.yaml")

    course.delete()
    import_(tmp_path / "out")
    assert Course.objects.get().estimated_hours == Decimal("1.0")


def test_export_writes_the_format(tmp_path):
    course = build_course(modules=2, lessons_per_module=1, description="Two\nlines")
    out = export(course.slug, tmp_path / "out")

    root = tmp_path / "out"
    assert f"Exported '{course.slug}'" in out
    names = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    slug = course.slug
    assert names == sorted(
        [
            "course.yaml",
            f"01-{slug}-m1/01-{slug}-m1-l1.md",
            f"01-{slug}-m1/01-{slug}-m1-quiz.quiz.yaml",
            f"01-{slug}-m1/module.yaml",
            f"02-{slug}-m2/01-{slug}-m2-l1.md",
            f"02-{slug}-m2/01-{slug}-m2-quiz.quiz.yaml",
            f"02-{slug}-m2/module.yaml",
        ]
    )
    assert "description: |-\n  Two\n  lines\n" in (root / "course.yaml").read_text()
    lesson = Lesson.objects.get(slug=f"{slug}-m1-l1")
    text = (root / f"01-{slug}-m1" / f"01-{slug}-m1-l1.md").read_text()
    assert text == f"---\ntitle: {lesson.title}\nestimated_minutes: 5\n---\n{lesson.body_markdown}\n"
    quiz = read_yaml(root / f"01-{slug}-m1" / f"01-{slug}-m1-quiz.quiz.yaml")
    assert quiz["questions"][0]["kind"] == "single"
    assert [c["correct"] for c in quiz["questions"][1]["choices"]] == [True, True, False]
    assert all(c["explanation"] == "Because." for q in quiz["questions"] for c in q["choices"])


def test_export_refuses_a_non_empty_folder_unless_forced(tmp_path):
    course = build_course(modules=2)
    target = tmp_path / "out"
    write(target / "README.md", "keep me\n")
    write(target / "07-stale-module" / "module.yaml", "title: Stale\n")

    with pytest.raises(CommandError, match="not empty"):
        export(course.slug, target)
    assert not (target / "course.yaml").exists()

    export(course.slug, target, "--force")
    assert (target / "README.md").read_text() == "keep me\n"
    assert not (target / "07-stale-module").exists()
    assert (target / "course.yaml").exists()


def test_export_unknown_course(tmp_path):
    with pytest.raises(CommandError, match="No course with slug 'nope'"):
        export("nope", tmp_path / "out")
    assert not (tmp_path / "out").exists()
