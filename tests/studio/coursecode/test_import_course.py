"""``manage.py import_course``: create, update in place, move, reorder, remove, dry-run, and refuse
every kind of invalid folder without touching the database."""

import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from courseware.models import Course, Enrollment, Module
from lessons.models import Lesson, LessonCompletion
from quizzes.models import Choice, Question, Quiz, QuizAttempt
from studio.coursecode.load import course_folder_load
from studio.coursecode.spec import CourseContentInvalid
from tests.factories import EnrollmentFactory, LessonCompletionFactory, QuizAttemptFactory, UserFactory
from tests.studio.coursecode.folders import (
    SEED_COURSE,
    course_tree,
    db_snapshot,
    lesson_text,
    make_course_folder,
    quiz_data,
    read_yaml,
    write,
    write_yaml,
)

pytestmark = pytest.mark.django_db


def run_import(path: Path, *args: str) -> str:
    out = StringIO()
    call_command("import_course", str(path), *args, stdout=out)
    return out.getvalue()


def run_import_failing(path: Path, *args: str) -> str:
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_course", str(path), *args, stdout=StringIO(), stderr=err)
    return err.getvalue()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return make_course_folder(tmp_path)


@pytest.fixture
def imported(folder: Path) -> Course:
    run_import(folder)
    return Course.objects.get(slug="demo-course")


# --- Creating -------------------------------------------------------------------------------------------
def test_import_seed_course_creates_it_and_prints_the_report():
    out = run_import(SEED_COURSE)

    course = Course.objects.get(slug="selling-in-vs-selling-out")
    assert course.is_published and course.published_at is not None
    assert course.modules.count() == 5
    assert Lesson.objects.filter(course=course).count() == 11
    assert Quiz.objects.filter(course=course).count() == 5
    assert "Course 'selling-in-vs-selling-out' was created." in out
    assert "Modules: 5 added, 0 changed, 0 removed, 0 unchanged" in out
    assert "Lessons: 11 added, 0 changed, 0 removed, 0 unchanged" in out
    assert "Quizzes: 5 added, 0 changed, 0 removed, 0 unchanged" in out
    assert "  + what-persuasion-really-means (0 learners touched)" in out


def test_import_renders_lessons_and_fills_defaults(tmp_path):
    folder = make_course_folder(tmp_path, description="Line one\n\nLine **two**")
    body = "word " * 450 + "\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1))\n"
    write(folder / "01-basics" / "01-first-steps.md", lesson_text("First steps", body=body))
    run_import(folder)

    course = Course.objects.get(slug="demo-course")
    lesson = Lesson.objects.get(slug="first-steps")
    assert lesson.course == course and lesson.module.slug == "basics" and lesson.position == 1
    assert lesson.estimated_minutes == 2  # 450 words at 200 a minute
    assert "<script" not in lesson.body_html and "javascript:" not in lesson.body_html
    assert lesson.body_markdown == body.rstrip()
    # 2 + 6 + 6 + 6 minutes of lessons, no estimated_hours in course.yaml
    assert str(course.estimated_hours) == "0.3"
    assert course.description == "Line one\n\nLine **two**"
    quiz = Quiz.objects.get(slug="basics-check")
    assert (quiz.scoring, quiz.reveal_answers, quiz.time_limit_minutes, quiz.shuffle) == (
        "all_or_nothing",
        "after_pass_or_last_attempt",
        None,
        False,
    )
    single, multiple = quiz.questions.order_by("position")
    assert [c.is_correct for c in single.choices.order_by("position")] == [True, False]
    assert [c.is_correct for c in multiple.choices.order_by("position")] == [True, True, False]


def test_publish_flags_override_the_folder(folder):
    run_import(folder, "--no-publish")
    assert not Course.objects.get(slug="demo-course").is_published

    run_import(folder, "--publish")
    course = Course.objects.get(slug="demo-course")
    assert course.is_published and course.published_at is not None


def test_instructors_are_added_by_username(tmp_path):
    teacher = UserFactory(username="Ms-Frizzle")
    folder = make_course_folder(tmp_path, instructors=["ms-frizzle"])
    out = run_import(folder)

    assert list(Course.objects.get(slug="demo-course").instructors.all()) == [teacher]
    assert "Instructors added: Ms-Frizzle" in out


# --- Updating in place ----------------------------------------------------------------------------------
def test_reimport_unchanged_reports_all_unchanged_and_modifies_nothing(imported, folder):
    before = course_tree(imported, timestamps=True)

    out = run_import(folder)

    imported.refresh_from_db()
    assert course_tree(imported, timestamps=True) == before
    assert "Course 'demo-course' is unchanged." in out
    assert "Modules: 0 added, 0 changed, 0 removed, 2 unchanged" in out
    assert "Lessons: 0 added, 0 changed, 0 removed, 4 unchanged" in out
    assert "Quizzes: 0 added, 0 changed, 0 removed, 2 unchanged" in out


def test_reimport_seed_course_is_unchanged():
    run_import(SEED_COURSE)
    course = Course.objects.get(slug="selling-in-vs-selling-out")
    before = course_tree(course, timestamps=True)

    out = run_import(SEED_COURSE)

    course.refresh_from_db()
    assert course_tree(course, timestamps=True) == before
    assert "is unchanged" in out


def test_update_in_place_keeps_rows_completions_and_enrollments(imported, folder):
    learner = UserFactory()
    enrollment = EnrollmentFactory(learner=learner, course=imported)
    lesson = Lesson.objects.get(slug="first-steps")
    completion = LessonCompletionFactory(learner=learner, lesson=lesson)
    quiz = Quiz.objects.get(slug="basics-check")
    attempt = QuizAttemptFactory(learner=learner, quiz=quiz)
    question_ids = list(quiz.questions.order_by("position").values_list("pk", flat=True))
    choice_ids = list(Choice.objects.filter(question__quiz=quiz).order_by("pk").values_list("pk", flat=True))
    version = imported.content_version

    write(
        folder / "01-basics" / "01-first-steps.md",
        lesson_text("First steps, revised", body="New *body*.\n", estimated_minutes=6),
    )
    data = read_yaml(folder / "01-basics" / "01-basics-check.quiz.yaml")
    data["pass_percent"] = 80
    data["questions"][0]["text"] = "Reworded?"
    data["questions"][0]["choices"][1]["explanation"] = "Still no."
    write_yaml(folder / "01-basics" / "01-basics-check.quiz.yaml", data)
    write_yaml(folder / "course.yaml", {**read_yaml(folder / "course.yaml"), "title": "Demo course, 2nd edition"})

    out = run_import(folder)

    lesson_after = Lesson.objects.get(slug="first-steps")
    assert lesson_after.pk == lesson.pk
    assert lesson_after.title == "First steps, revised"
    assert lesson_after.body_html == "<p>New <em>body</em>.</p>"
    assert LessonCompletion.objects.filter(pk=completion.pk).exists()
    assert QuizAttempt.objects.filter(pk=attempt.pk).exists()
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.ACTIVE
    quiz.refresh_from_db()
    assert quiz.pass_percent == 80
    assert list(quiz.questions.order_by("position").values_list("pk", flat=True)) == question_ids
    assert list(Choice.objects.filter(question__quiz=quiz).order_by("pk").values_list("pk", flat=True)) == choice_ids
    assert quiz.questions.get(position=1).text == "Reworded?"
    imported.refresh_from_db()
    assert imported.title == "Demo course, 2nd edition"
    assert imported.content_version == version  # text only: learners' progress stays valid
    assert "Course fields changed: title" in out
    assert "  ~ first-steps [title, body_markdown] (1 learner touched)" in out
    assert "  ~ basics-check [pass_percent, questions] (1 learner touched)" in out
    assert "Lessons: 0 added, 1 changed, 0 removed, 3 unchanged" in out


def test_questions_and_choices_are_matched_by_position(imported, folder):
    quiz = Quiz.objects.get(slug="basics-check")
    first = quiz.questions.get(position=1)
    path = folder / "01-basics" / "01-basics-check.quiz.yaml"
    data = read_yaml(path)
    data["questions"][0]["choices"].append({"text": "Also wrong", "correct": False, "explanation": "No."})
    data["questions"][0]["choices"][1]["text"] = "Very wrong"
    data["questions"] = data["questions"][:1]
    write_yaml(path, data)

    run_import(folder)

    assert list(quiz.questions.values_list("pk", flat=True)) == [first.pk]
    texts = list(first.choices.order_by("position").values_list("position", "text"))
    assert texts == [(1, "Right"), (2, "Very wrong"), (3, "Also wrong")]

    data["questions"][0]["choices"] = data["questions"][0]["choices"][:2]
    write_yaml(path, data)
    run_import(folder)
    assert first.choices.count() == 2


def test_a_choice_may_have_no_explanation(imported, folder):
    path = folder / "01-basics" / "01-basics-check.quiz.yaml"
    data = read_yaml(path)
    data["questions"][0]["choices"][0].pop("explanation")
    data["questions"][0]["choices"][1]["explanation"] = ""
    write_yaml(path, data)

    run_import(folder)

    choices = Quiz.objects.get(slug="basics-check").questions.get(position=1).choices.order_by("position")
    assert list(choices.values_list("explanation", flat=True))[:2] == ["", ""]


def test_move_lesson_between_modules_keeps_its_row_and_completions(imported, folder):
    learner = UserFactory()
    EnrollmentFactory(learner=learner, course=imported)
    lesson = Lesson.objects.get(slug="second-steps")
    completion = LessonCompletionFactory(learner=learner, lesson=lesson)
    version = imported.content_version

    shutil.move(folder / "01-basics" / "02-second-steps.md", folder / "02-advanced" / "03-second-steps.md")
    out = run_import(folder)

    lesson.refresh_from_db()
    assert lesson.module.slug == "advanced" and lesson.position == 3
    assert LessonCompletion.objects.filter(pk=completion.pk, lesson=lesson).exists()
    imported.refresh_from_db()
    assert imported.content_version == version  # the same lessons and quizzes: stored progress stays valid
    assert "  ~ second-steps [module, position] (1 learner touched)" in out
    assert "Structure changed" in out


def test_move_lesson_to_a_position_another_lesson_leaves(imported, folder):
    """second-steps moves into 02-advanced at position 2, the very position deepest leaves for 3:
    the (module, position) unique constraint must not trip on the way."""
    shutil.move(folder / "02-advanced" / "02-deepest.md", folder / "02-advanced" / "03-deepest.md")
    shutil.move(folder / "01-basics" / "02-second-steps.md", folder / "02-advanced" / "02-second-steps.md")
    run_import(folder)

    advanced = Module.objects.get(slug="advanced")
    assert list(advanced.lessons.order_by("position").values_list("slug", "position")) == [
        ("deeper", 1),
        ("second-steps", 2),
        ("deepest", 3),
    ]


def test_swap_positions_of_lessons_modules_and_quizzes(imported, folder):
    ids = {lesson.slug: lesson.pk for lesson in Lesson.objects.all()}
    module_ids = {m.slug: m.pk for m in Module.objects.all()}
    basics = folder / "01-basics"
    shutil.move(basics / "01-first-steps.md", basics / "09-first-steps.md")
    shutil.move(basics / "02-second-steps.md", basics / "01-second-steps.md")
    shutil.move(basics / "09-first-steps.md", basics / "02-first-steps.md")
    shutil.move(folder / "01-basics", folder / "09-basics")
    shutil.move(folder / "02-advanced", folder / "01-advanced")
    shutil.move(folder / "09-basics", folder / "02-basics")
    shutil.move(folder / "02-basics" / "01-basics-check.quiz.yaml", folder / "02-basics" / "02-basics-check.quiz.yaml")
    write_yaml(folder / "02-basics" / "01-extra-check.quiz.yaml", quiz_data("Extra"))

    out = run_import(folder)

    assert list(Module.objects.order_by("position").values_list("slug", "pk")) == [
        ("advanced", module_ids["advanced"]),
        ("basics", module_ids["basics"]),
    ]
    basics_module = Module.objects.get(slug="basics")
    assert list(basics_module.lessons.order_by("position").values_list("slug", "pk")) == [
        ("second-steps", ids["second-steps"]),
        ("first-steps", ids["first-steps"]),
    ]
    assert list(basics_module.quizzes.order_by("position").values_list("slug", flat=True)) == [
        "extra-check",
        "basics-check",
    ]
    assert "Modules: 0 added, 2 changed, 0 removed, 0 unchanged" in out
    assert "  ~ first-steps [position]" in out


def test_removal_deletes_items_and_reports_touched_learners(imported, folder):
    learners = UserFactory.create_batch(3)
    for learner in learners:
        EnrollmentFactory(learner=learner, course=imported)
    LessonCompletionFactory(learner=learners[0], lesson=Lesson.objects.get(slug="deeper"))
    LessonCompletionFactory(learner=learners[1], lesson=Lesson.objects.get(slug="deeper"))
    QuizAttemptFactory(learner=learners[2], quiz=Quiz.objects.get(slug="basics-check"))
    version = imported.content_version

    (folder / "01-basics" / "01-basics-check.quiz.yaml").unlink()
    shutil.rmtree(folder / "02-advanced")
    out = run_import(folder)

    assert list(Module.objects.values_list("slug", flat=True)) == ["basics"]
    assert sorted(Lesson.objects.values_list("slug", flat=True)) == ["first-steps", "second-steps"]
    assert not Quiz.objects.exists()
    assert LessonCompletion.objects.count() == 2  # retired lessons keep their completions (they may come back)
    imported.refresh_from_db()
    assert imported.content_version == version + 1
    assert "  - advanced (2 learners touched)" in out
    assert "  - deeper (2 learners touched)" in out
    assert "  - deepest (0 learners touched)" in out
    assert "  - basics-check (1 learner touched)" in out
    assert "Lessons: 0 added, 0 changed, 2 removed, 2 unchanged" in out


def test_renamed_module_folder_is_a_new_module_keeping_lessons(imported, folder):
    lesson = Lesson.objects.get(slug="first-steps")
    shutil.move(folder / "01-basics", folder / "01-foundations")
    out = run_import(folder)

    assert list(Module.objects.order_by("position").values_list("slug", flat=True)) == ["foundations", "advanced"]
    lesson.refresh_from_db()
    assert lesson.module.slug == "foundations"
    assert "  + foundations" in out and "  - basics" in out


# --- Dry run ----------------------------------------------------------------------------------------------
def test_dry_run_changes_nothing_and_reports_touched_learners(imported, folder):
    active, completed, dropped = UserFactory.create_batch(3)
    EnrollmentFactory(learner=active, course=imported)
    EnrollmentFactory(learner=completed, course=imported, status=Enrollment.Status.COMPLETED)
    EnrollmentFactory(learner=dropped, course=imported, status=Enrollment.Status.DROPPED)
    first = Lesson.objects.get(slug="first-steps")
    for learner in (active, completed, dropped):
        LessonCompletionFactory(learner=learner, lesson=first)
    QuizAttemptFactory(learner=completed, quiz=Quiz.objects.get(slug="advanced-check"))
    QuizAttemptFactory(learner=dropped, quiz=Quiz.objects.get(slug="advanced-check"))
    LessonCompletionFactory(learner=active, lesson=Lesson.objects.get(slug="deeper"))

    write(
        folder / "01-basics" / "01-first-steps.md", lesson_text("First Steps", body="Changed.\n", estimated_minutes=6)
    )
    write(folder / "01-basics" / "03-third-steps.md", lesson_text("Third steps"))
    (folder / "02-advanced" / "01-advanced-check.quiz.yaml").unlink()
    shutil.move(folder / "02-advanced", folder / "03-advanced")
    write_yaml(folder / "02-middle" / "module.yaml", {"title": "Middle"})
    before = db_snapshot("demo-course")

    out = run_import(folder, "--dry-run")

    assert db_snapshot("demo-course") == before
    assert "Course 'demo-course' would be updated." in out
    assert "Enrolled learners: 2" in out
    assert "  ~ first-steps [body_markdown] (2 learners touched)" in out  # the dropped learner is not counted
    assert "  + third-steps (2 learners touched)" in out
    assert "  - advanced-check (1 learner touched)" in out
    assert "  + middle (2 learners touched)" in out
    assert "  ~ advanced [position] (2 learners touched)" in out  # the removed quiz's attempt is kept: it counts
    assert "Dry run: nothing was saved." in out

    run_import(folder)
    assert db_snapshot("demo-course") != before
    assert Lesson.objects.filter(slug="third-steps").exists()


def test_dry_run_of_a_new_course_creates_nothing(folder):
    before = db_snapshot("demo-course")
    out = run_import(folder, "--dry-run")
    assert db_snapshot("demo-course") == before == (before[0], "absent")
    assert "would be created" in out


# --- Invalid folders ---------------------------------------------------------------------------------------
def _edit_yaml(relpath: str, change):
    def mutate(folder: Path) -> None:
        data = read_yaml(folder / relpath)
        change(data)
        write_yaml(folder / relpath, data)

    return mutate


def _set(relpath: str, key: str, value):
    return _edit_yaml(relpath, lambda d: d.__setitem__(key, value))


def _question(index: int, change):
    return _edit_yaml("01-basics/01-basics-check.quiz.yaml", lambda d: change(d["questions"][index]))


def _write(relpath: str, text: str):
    return lambda folder: write(folder / relpath, text)


def _move(src: str, dst: str):
    return lambda folder: shutil.move(folder / src, folder / dst)


def _unlink(relpath: str):
    return lambda folder: (folder / relpath).unlink()


QUIZ = "01-basics/01-basics-check.quiz.yaml"
LESSON = "01-basics/01-first-steps.md"

INVALID = [
    pytest.param(_unlink("course.yaml"), "course.yaml: (file): is missing", id="missing-course-yaml"),
    pytest.param(
        _unlink("02-advanced/module.yaml"), "02-advanced/module.yaml: (file): is missing", id="missing-module-yaml"
    ),
    pytest.param(
        _write("course.yaml", "slug: demo-course\ntitle: [unclosed\n"),
        "course.yaml: (yaml): line ",
        id="course-yaml-syntax",
    ),
    pytest.param(
        _write(QUIZ, "title: Quiz\nquestions:\n  - text: a\n   kind: single\n"),
        f"{QUIZ}: (yaml): line 4",
        id="quiz-yaml-syntax",
    ),
    pytest.param(
        _write(LESSON, "---\ntitle: a: b\n---\nBody\n"), f"{LESSON}: (yaml): line 2", id="front-matter-syntax"
    ),
    pytest.param(
        _write("01-basics/module.yaml", "title: A\ntitle: B\n"), "duplicate key 'title'", id="duplicate-yaml-key"
    ),
    pytest.param(
        _write("course.yaml", "- a\n- b\n"), "course.yaml: (yaml): must be a mapping", id="course-yaml-not-mapping"
    ),
    pytest.param(
        _edit_yaml("course.yaml", lambda d: d.pop("title")), "course.yaml: title: is required", id="title-required"
    ),
    pytest.param(_set("course.yaml", "summary", ""), "course.yaml: summary: must not be empty", id="summary-required"),
    pytest.param(
        _write("01-basics/module.yaml", "summary: x\n"),
        "01-basics/module.yaml: title: is required",
        id="module-title-required",
    ),
    pytest.param(
        _set("course.yaml", "sumary", "typo"),
        "course.yaml: sumary: unknown field; did you mean 'summary'?",
        id="unknown-course-key",
    ),
    pytest.param(
        _question(0, lambda q: q["choices"][0].__setitem__("explantion", "x")),
        f"{QUIZ}: questions[0].choices[0].explantion: unknown field",
        id="unknown-choice-key",
    ),
    pytest.param(
        _write(LESSON, lesson_text("T", minutes=3)), f"{LESSON}: minutes: unknown field", id="unknown-front-matter-key"
    ),
    pytest.param(
        _set("course.yaml", "summary", "x" * 501),
        "course.yaml: summary: is 501 characters long; at most 500",
        id="summary-too-long",
    ),
    pytest.param(
        _write(LESSON, lesson_text("x" * 201)), f"{LESSON}: title: is 201 characters long", id="lesson-title-too-long"
    ),
    pytest.param(
        _question(0, lambda q: q["choices"][0].__setitem__("text", "x" * 501)),
        "questions[0].choices[0].text: is 501",
        id="choice-text-too-long",
    ),
    pytest.param(_set("course.yaml", "title", 2024), "course.yaml: title: must be text", id="title-wrong-type"),
    pytest.param(
        _set("course.yaml", "published", "yes"),
        "course.yaml: published: must be true or false",
        id="published-wrong-type",
    ),
    pytest.param(
        _set("course.yaml", "slug", "Demo_Course"),
        "course.yaml: slug: slug 'Demo_Course' must be lowercase",
        id="bad-course-slug",
    ),
    pytest.param(
        _move("02-advanced", "advanced"),
        "advanced: (name): must be named NN-<module-slug>",
        id="module-folder-without-number",
    ),
    pytest.param(
        _move(LESSON, "01-basics/01-First_Steps.md"),
        "01-basics/01-First_Steps.md: (name): slug",
        id="bad-lesson-file-slug",
    ),
    pytest.param(
        _move(LESSON, "01-basics/00-first-steps.md"),
        "01-basics/00-first-steps.md: (name): position 00",
        id="position-zero",
    ),
    pytest.param(
        _move(QUIZ, "01-basics/01-basics-check.yaml"),
        "01-basics/01-basics-check.yaml: (file): unexpected file",
        id="quiz-file-not-quiz-yaml",
    ),
    pytest.param(
        _move("01-basics/02-second-steps.md", "01-basics/01-second-steps.md"),
        "01-basics/01-second-steps.md: (name): lesson position 1 is also used by 01-basics/01-first-steps.md",
        id="duplicate-lesson-position",
    ),
    pytest.param(
        _write("01-basics/01-other-check.quiz.yaml", "title: x\n"),
        "quiz position 1 is also used",
        id="duplicate-quiz-position",
    ),
    pytest.param(
        _move("02-advanced", "01-advanced"),
        "01-basics: (name): module position 1 is also used by 01-advanced",
        id="duplicate-module-position",
    ),
    pytest.param(
        _move("02-advanced", "03-basics"),
        "03-basics: (name): module slug 'basics' is also used by 01-basics",
        id="duplicate-module-slug",
    ),
    pytest.param(
        _move("02-advanced/01-deeper.md", "02-advanced/01-first-steps.md"),
        "02-advanced/01-first-steps.md: (name): lesson slug 'first-steps' is also used",
        id="duplicate-lesson-slug",
    ),
    pytest.param(
        _set(QUIZ, "pass_percent", 101),
        f"{QUIZ}: pass_percent: must be between 0 and 100 (got 101)",
        id="pass-percent-range",
    ),
    pytest.param(
        _set(QUIZ, "max_attempts", 0), f"{QUIZ}: max_attempts: must be between 1 and", id="max-attempts-range"
    ),
    pytest.param(
        _set(QUIZ, "time_limit_minutes", 0), f"{QUIZ}: time_limit_minutes: must be between 1 and", id="time-limit-range"
    ),
    pytest.param(
        _write(LESSON, lesson_text("T", estimated_minutes=601)),
        f"{LESSON}: estimated_minutes: must be between 1 and 600",
        id="minutes-range-high",
    ),
    pytest.param(
        _write(LESSON, lesson_text("T", estimated_minutes=0)),
        f"{LESSON}: estimated_minutes: must be between 1 and 600",
        id="minutes-range-low",
    ),
    pytest.param(
        _set("course.yaml", "capacity", 0), "course.yaml: capacity: must be between 1 and", id="capacity-range"
    ),
    pytest.param(
        _set("course.yaml", "estimated_hours", 0),
        "course.yaml: estimated_hours: must be a number greater than 0",
        id="hours-not-positive",
    ),
    pytest.param(
        _set(QUIZ, "scoring", "best_of"), f"{QUIZ}: scoring: must be one of all_or_nothing, partial", id="scoring-enum"
    ),
    pytest.param(_set(QUIZ, "reveal_answers", "always"), f"{QUIZ}: reveal_answers: must be one of", id="reveal-enum"),
    pytest.param(
        _question(0, lambda q: q.__setitem__("kind", "essay")),
        f"{QUIZ}: questions[0].kind: must be one of single, multiple",
        id="kind-enum",
    ),
    pytest.param(
        _question(0, lambda q: q["choices"][1].__setitem__("correct", True)),
        f"{QUIZ}: questions[0].choices: a single-choice question needs exactly one correct choice (has 2)",
        id="single-two-correct",
    ),
    pytest.param(
        _question(1, lambda q: [c.__setitem__("correct", False) for c in q["choices"]]),
        f"{QUIZ}: questions[1].choices: a multiple-choice question needs at least one correct",
        id="multiple-none-correct",
    ),
    pytest.param(
        _question(0, lambda q: q.__setitem__("choices", q["choices"][:1])),
        f"{QUIZ}: questions[0].choices: needs at least 2 choices",
        id="one-choice",
    ),
    pytest.param(
        _set(QUIZ, "questions", []), f"{QUIZ}: questions: needs at least 1 question", id="quiz-without-questions"
    ),
    pytest.param(_write(LESSON, lesson_text("T", body="\n   \n")), f"{LESSON}: body: is empty", id="empty-lesson-body"),
    pytest.param(
        _write(LESSON, "# Just Markdown\n"),
        f"{LESSON}: (front matter): must start with",
        id="lesson-without-front-matter",
    ),
    pytest.param(
        _edit_yaml(
            "course.yaml",
            lambda d: d.update(
                enrollment_opens_at="2030-02-01T00:00:00+00:00", enrollment_closes_at="2030-01-01T00:00:00+00:00"
            ),
        ),
        "course.yaml: enrollment_closes_at: must be later than enrollment_opens_at",
        id="window-reversed",
    ),
    pytest.param(
        _set("course.yaml", "enrollment_opens_at", "next monday"),
        "course.yaml: enrollment_opens_at: must be an ISO 8601 datetime",
        id="window-not-a-datetime",
    ),
    pytest.param(
        _set("course.yaml", "instructors", ["nobody-by-that-name"]),
        "course.yaml: instructors: no user named 'nobody-by-that-name'",
        id="unknown-instructor",
    ),
    pytest.param(
        lambda f: [p.unlink() for p in f.glob("*/*.md")],
        "course.yaml: published: a course needs at least one lesson",
        id="published-without-lessons",
    ),
]


@pytest.mark.parametrize(("mutate", "expected"), INVALID)
def test_invalid_folder_is_refused_and_leaves_the_database_as_it_was(imported, folder, mutate, expected):
    learner = UserFactory()
    EnrollmentFactory(learner=learner, course=imported)
    LessonCompletionFactory(learner=learner, lesson=Lesson.objects.get(slug="first-steps"))
    # A valid change elsewhere in the folder proves the whole import is refused, not just the bad file.
    write(folder / "02-advanced" / "01-deeper.md", lesson_text("Deeper, revised"))
    mutate(folder)
    before = db_snapshot("demo-course")

    err = run_import_failing(folder)

    assert expected in err
    assert db_snapshot("demo-course") == before


def test_every_problem_is_reported_at_once(folder):
    _set("course.yaml", "sumary", "typo")(folder)
    _set(QUIZ, "pass_percent", 300)(folder)
    _write(LESSON, lesson_text("T", body=""))(folder)
    _unlink("02-advanced/module.yaml")(folder)

    with pytest.raises(CourseContentInvalid) as info:
        course_folder_load(path=folder)

    assert {(e.file, e.field) for e in info.value.errors} == {
        ("course.yaml", "sumary"),
        (QUIZ, "pass_percent"),
        (LESSON, "body"),
        ("02-advanced/module.yaml", "(file)"),
    }
    assert info.value.as_data()["errors"][0].keys() == {"file", "field", "message"}
    assert Course.objects.count() == 0


def test_missing_folder_is_refused(tmp_path):
    err = run_import_failing(tmp_path / "nowhere")
    assert "nowhere: (file): is not a folder" in err


def test_ignored_files_are_ignored(folder):
    write(folder / ".git" / "config", "x")
    write(folder / "_drafts" / "01-idea.md", "no front matter")
    write(folder / "01-basics" / "_notes.md", "no front matter")
    write(folder / "01-basics" / ".DS_Store", "x")

    run_import(folder)

    assert Lesson.objects.count() == 4
    assert Question.objects.count() == 4


def test_windows_line_endings_and_a_byte_order_mark_are_read(folder):
    course_yaml = folder / "course.yaml"
    course_yaml.write_bytes(b"\xef\xbb\xbf" + course_yaml.read_bytes().replace(b"\n", b"\r\n"))
    lesson = folder / "01-basics" / "01-first-steps.md"
    lesson.write_bytes(lesson.read_bytes().replace(b"\n", b"\r\n"))

    run_import(folder)

    body = Lesson.objects.get(slug="first-steps").body_markdown
    assert body.startswith("## Why it matters\r\n") and body.endswith("The end.")
    assert "<h2>Recap</h2>" in Lesson.objects.get(slug="first-steps").body_html


def test_a_draft_may_hold_an_empty_lesson_but_is_not_published_with_it(tmp_path):
    folder = make_course_folder(tmp_path, published=False)
    write(folder / LESSON, lesson_text("First steps", body="\n"))
    run_import(folder)
    assert Lesson.objects.get(slug="first-steps").body_markdown == ""

    err = run_import_failing(folder, "--publish")
    assert f"{LESSON}: body: is empty" in err, err
    assert not Course.objects.get(slug="demo-course").is_published


def test_the_import_dry_run_shows_the_publish_impact_the_publish_then_has(
    imported, folder, django_capture_on_commit_callbacks
):
    """The import's dry run reports what publishing the imported draft does to enrolled learners, with
    the numbers the publish dry run gives for the same draft (``POST /courses/{slug}/publish/``)."""
    from tests.conftest import client_for
    from tests.factories import InstructorFactory

    learners = UserFactory.create_batch(3)
    for learner in learners:
        EnrollmentFactory(learner=learner, course=imported)
    for learner in learners[:2]:
        LessonCompletionFactory(learner=learner, lesson=Lesson.objects.get(slug="first-steps"))
    LessonCompletionFactory(learner=learners[0], lesson=Lesson.objects.get(slug="deeper"))
    write(folder / "01-basics" / "03-third-steps.md", lesson_text("Third steps"))
    (folder / "02-advanced" / "01-deeper.md").unlink()

    out = run_import(folder, "--dry-run")
    assert "Publishing would make version 2." in out
    assert "  1 learner(s) at 33 % -> 16 %" in out  # learner 0 loses "deeper" (2 of 6 items → 1 of 6)
    assert "Learners affected: 1; completed learners kept completed: 0" in out

    run_import(folder, "--no-publish")  # the same draft, not published
    instructor = InstructorFactory()
    imported.instructors.add(instructor)
    preview = client_for(instructor).post(f"/api/courses/{imported.slug}/publish/", {"dry_run": True}, format="json")
    assert preview.status_code == 200, preview.content
    impact = preview.json()
    assert (impact["version"], impact["items_added"], impact["items_removed"], impact["learners_affected"]) == (
        2, 1, 1, 1,
    )  # fmt: skip
    for move in impact["progress_changes"]:
        assert f"  {move['learners']} learner(s) at {move['from']} % -> {move['to']} %" in out
