"""Every question kind in the course folder format: imported, exported back to the same file, round
trip through export/import (and the zip), problems named by file and field, a changed key shown in
the dry-run report."""

import io
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest

from courseware.models import Course
from quizzes.models import Choice, Question, Quiz
from studio.coursecode.load import course_folder_load
from studio.coursecode.spec import CourseContentInvalid
from tests.conftest import client_for
from tests.factories import EnrollmentFactory, InstructorFactory, QuizAttemptFactory, UserFactory
from tests.studio.coursecode.folders import make_course_folder, read_yaml, write_yaml
from tests.studio.coursecode.test_export_course import assert_round_trip, export, import_

pytestmark = pytest.mark.django_db

EVERY_KIND = {
    "title": "Every kind",
    "pass_percent": 70,
    "max_attempts": 3,
    "scoring": "partial",
    "shuffle": True,
    "draw": 4,
    "questions": [
        {
            "text": "First step?",
            "kind": "single",
            "choices": [{"text": "Listen", "correct": True}, {"text": "Pitch", "correct": False}],
        },
        {
            "text": "Signals?",
            "kind": "multiple",
            "points": 2,
            "choices": [{"text": "Pressure", "correct": True}, {"text": "Curiosity", "correct": False}],
        },
        {"text": "Half of seven?", "kind": "numeric", "points": 2, "answer": 3.5, "tolerance": 0.05},
        {"text": "Whole?", "kind": "numeric", "answer": 12},
        {"text": "Capital of France?", "kind": "text", "accepted": ["Paris", "Paname"]},
        {"text": "Order it.", "kind": "ordering", "points": 3, "items": ["Open", "Discover", "Close"]},
        {
            "text": "Match them.",
            "kind": "matching",
            "pairs": [
                {"prompt": "Ask", "option": "Understand"},
                {"prompt": "Summarise", "option": "Confirm"},
                {"prompt": "Mirror", "option": "Confirm"},
            ],
            "distractors": ["Persuade"],
        },
    ],
}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = make_course_folder(tmp_path)
    write_yaml(folder / "01-basics" / "02-every-kind.quiz.yaml", EVERY_KIND)
    return folder


def test_every_kind_imports(folder):
    import_(folder)
    quiz = Quiz.objects.get(slug="every-kind")
    assert (quiz.draw, quiz.shuffle, quiz.scoring) == (4, True, "partial")
    questions = list(quiz.questions.order_by("position"))
    assert [q.kind for q in questions] == ["single", "multiple", "numeric", "numeric", "text", "ordering", "matching"]
    assert [q.points for q in questions] == [1, 2, 2, 1, 1, 3, 1]
    numeric = questions[2]
    assert (numeric.answer, numeric.tolerance) == (Decimal("3.5"), Decimal("0.05"))
    assert questions[3].tolerance == 0
    assert questions[4].accepted == ["Paris", "Paname"]
    items = Choice.objects.filter(question=questions[5], role="item").order_by("position")
    assert [i.text for i in items] == ["Open", "Discover", "Close"]
    prompts = Choice.objects.filter(question=questions[6], role="prompt").order_by("position").select_related("match")
    assert [(p.text, p.match.text) for p in prompts] == [
        ("Ask", "Understand"),
        ("Summarise", "Confirm"),
        ("Mirror", "Confirm"),
    ]
    options = Choice.objects.filter(question=questions[6], role="option")
    assert sorted(o.text for o in options) == ["Confirm", "Persuade", "Understand"]


def test_export_writes_every_kind_back_as_written(folder, tmp_path):
    import_(folder)
    out = tmp_path / "out"
    export("demo-course", out)
    assert read_yaml(out / "01-basics" / "02-every-kind.quiz.yaml") == EVERY_KIND | {
        "reveal_answers": "after_pass_or_last_attempt",
        "time_limit_minutes": None,
    }


def test_every_kind_round_trips(folder, tmp_path):
    import_(folder)
    assert_round_trip(Course.objects.get(slug="demo-course"), tmp_path)


def test_a_quiz_authored_through_the_api_with_every_kind_round_trips(folder, tmp_path):
    import_(folder)
    course = Course.objects.get(slug="demo-course")
    instructor = InstructorFactory()
    course.instructors.add(instructor)
    body = {
        "title": "API kinds",
        "questions": [
            {"text": "N?", "kind": "numeric", "answer": "0.125", "tolerance": 0},
            {"text": "T?", "kind": "text", "accepted": ["yes"], "points": 5},
            {"text": "O?", "kind": "ordering", "items": [{"text": "1"}, {"text": "2"}]},
            {
                "text": "M?",
                "kind": "matching",
                "pairs": [{"prompt": "a", "option": "b"}, {"prompt": "c", "option": "d"}],
            },
        ],
    }
    module = course.modules.order_by("position").first()
    r = client_for(instructor).post(f"/api/modules/{module.pk}/quizzes/", body, format="json")
    assert r.status_code == 201, r.json()
    assert_round_trip(Course.objects.get(slug="demo-course"), tmp_path)


def test_every_kind_imports_from_a_zip(folder):
    instructor = InstructorFactory(username="zipper")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in folder.rglob("*"):
            if path.is_file():
                archive.write(path, path.relative_to(folder.parent))
    buffer.seek(0)
    buffer.name = "course.zip"
    r = client_for(instructor).post("/api/courses/import/", {"file": buffer}, format="multipart")
    assert r.status_code in (200, 201), r.content[:500]
    assert Question.objects.filter(quiz__slug="every-kind").count() == 7


@pytest.mark.parametrize(
    ("question", "field", "words"),
    [
        ({"text": "N?", "kind": "numeric"}, "questions[0].answer", "required"),
        ({"text": "N?", "kind": "numeric", "answer": "many"}, "questions[0].answer", "number"),
        ({"text": "N?", "kind": "numeric", "answer": 1, "tolerance": -1}, "questions[0].tolerance", "0 or more"),
        ({"text": "T?", "kind": "text", "accepted": []}, "questions[0].accepted", "at least 1"),
        ({"text": "O?", "kind": "ordering", "items": ["x"]}, "questions[0].items", "at least 2"),
        ({"text": "O?", "kind": "ordering", "items": ["x", "X"]}, "questions[0].items", "ambiguous"),
        (
            {
                "text": "M?",
                "kind": "matching",
                "pairs": [{"prompt": "a", "option": "b"}, {"prompt": "c", "option": "d"}],
                "distractors": ["b"],
            },
            "questions[0].distractors[0]",
            "not a distractor",
        ),
        (
            {"text": "M?", "kind": "matching", "pairs": [{"prompt": "a", "option": "b"}]},
            "questions[0].pairs",
            "at least 2",
        ),
        (
            {"text": "N?", "kind": "numeric", "answer": 1, "choices": [{"text": "a"}]},
            "questions[0].choices",
            "not a field of a numeric question",
        ),
        ({"text": "P?", "kind": "text", "accepted": ["a"], "points": 0}, "questions[0].points", "between 1"),
    ],
)
def test_problems_are_named_by_file_and_field(tmp_path, question, field, words):
    folder = make_course_folder(tmp_path)
    write_yaml(folder / "01-basics" / "02-bad.quiz.yaml", {"title": "Bad", "questions": [question]})
    with pytest.raises(CourseContentInvalid) as info:
        course_folder_load(path=folder)
    found = [e for e in info.value.errors if e.file == "01-basics/02-bad.quiz.yaml" and e.field == field]
    assert found and words in found[0].message, info.value.errors


def test_a_draw_larger_than_the_quiz_is_refused(tmp_path):
    folder = make_course_folder(tmp_path)
    write_yaml(folder / "01-basics" / "02-bad.quiz.yaml", EVERY_KIND | {"draw": 8})
    with pytest.raises(CourseContentInvalid) as info:
        course_folder_load(path=folder)
    assert any(e.field == "draw" for e in info.value.errors)


def test_a_changed_key_shows_in_the_dry_run_and_keeps_the_rows(folder):
    import_(folder)
    course = Course.objects.get(slug="demo-course")
    quiz = Quiz.objects.get(slug="every-kind")
    learner = UserFactory()
    EnrollmentFactory(learner=learner, course=course)
    QuizAttemptFactory(learner=learner, quiz=quiz)
    rows = sorted(Choice.objects.filter(question__quiz=quiz).values_list("pk", flat=True))
    changed = EVERY_KIND | {"questions": [dict(q) for q in EVERY_KIND["questions"]]}
    changed["questions"][2]["answer"] = 3.75
    changed["questions"][5]["items"] = ["Discover", "Open", "Close"]  # a fixed order: items keep their rows
    write_yaml(folder / "01-basics" / "02-every-kind.quiz.yaml", changed)
    from django.core.management import call_command

    out = io.StringIO()
    call_command("import_course", str(folder), "--dry-run", stdout=out)
    assert "~ every-kind [questions] (1 learner touched)" in out.getvalue(), out.getvalue()
    assert Question.objects.get(quiz=quiz, position=3).answer == Decimal("3.5")
    import_(folder)
    assert Question.objects.get(quiz=quiz, position=3).answer == Decimal("3.75")
    assert sorted(Choice.objects.filter(question__quiz=quiz).values_list("pk", flat=True)) == rows
