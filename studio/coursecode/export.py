"""Write a course from the database as a course folder (docs/content-format.md). Importing the
folder again yields the same course."""

import re
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from courseware.models import Course
from lessons.models import Lesson
from quizzes.models import Question, Quiz
from studio.coursecode.fields import COURSE_FILE, LESSON_SUFFIX, MODULE_FILE, QUIZ_SUFFIX


class _Dumper(yaml.SafeDumper):
    """Block scalars (``|``) for multi-line text, keys in the order given, no line wrapping, list
    items indented under their key (as the format's examples are written)."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def _yaml_dump(data: dict[str, Any]) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1_000_000)


def _name(position: int, slug: str) -> str:
    return f"{position:02d}-{slug}"


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8", newline="\n")


def course_export(*, course: Course, path: Path) -> None:
    """Write ``course`` as a course folder at ``path`` (created when missing). Files of the same
    names are overwritten; nothing else is removed (see ``course_folder_clear``)."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    data: dict[str, Any] = {
        "slug": course.slug,
        "title": course.title,
        "summary": course.summary,
    }
    if course.description:
        data["description"] = course.description
    if course.estimated_hours > 0:  # 0 means "not set": the import computes it from lesson minutes
        data["estimated_hours"] = float(course.estimated_hours)
    data["published"] = course.is_published
    data["sequential"] = course.sequential
    if course.capacity is not None:
        data["capacity"] = course.capacity
    for name in ("enrollment_opens_at", "enrollment_closes_at"):
        if (moment := getattr(course, name)) is not None:
            data[name] = moment.isoformat()
    instructors = sorted(course.instructors.values_list("username", flat=True))
    if instructors:
        data["instructors"] = instructors
    _write(path / COURSE_FILE, _yaml_dump(data))

    lessons = Lesson.objects.filter(course=course).order_by("position")
    quizzes = Quiz.objects.filter(course=course).order_by("position").prefetch_related("questions__choices")
    for module in course.modules.order_by("position"):
        folder = path / _name(module.position, module.slug)
        folder.mkdir(exist_ok=True)
        meta: dict[str, Any] = {"title": module.title}
        if module.summary:
            meta["summary"] = module.summary
        _write(folder / MODULE_FILE, _yaml_dump(meta))
        for lesson in lessons:
            if lesson.module_id == module.pk:
                _lesson_write(lesson, folder)
        for quiz in quizzes:
            if quiz.module_id == module.pk:
                _quiz_write(quiz, folder)


def _lesson_write(lesson: Lesson, folder: Path) -> None:
    front = _yaml_dump({"title": lesson.title, "estimated_minutes": lesson.estimated_minutes})
    # The body verbatim plus one final newline, which the import takes off again.
    text = f"---\n{front}---\n{lesson.body_markdown}\n"
    _write(folder / f"{_name(lesson.position, lesson.slug)}{LESSON_SUFFIX}", text)


def _quiz_write(quiz: Quiz, folder: Path) -> None:
    data: dict[str, Any] = {"title": quiz.title}
    if quiz.description:
        data["description"] = quiz.description
    data |= {
        "pass_percent": quiz.pass_percent,
        "max_attempts": quiz.max_attempts,
        "scoring": quiz.scoring,
        "reveal_answers": quiz.reveal_answers,
        "time_limit_minutes": quiz.time_limit_minutes,
        "shuffle": quiz.shuffle,
        "questions": [_question_data(question) for question in quiz.questions.all()],
    }
    if quiz.draw is not None:
        data["draw"] = quiz.draw
    _write(folder / f"{_name(quiz.position, quiz.slug)}{QUIZ_SUFFIX}", _yaml_dump(data))


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _question_data(question: Question) -> dict[str, Any]:
    """One question in the folder format: its kind's fields only, ``points`` when not 1."""
    data: dict[str, Any] = {"text": question.text, "kind": question.kind}
    if question.points != 1:
        data["points"] = question.points
    rows = sorted(question.choices.all(), key=lambda c: (c.role, c.position))
    if question.kind in ("single", "multiple"):
        data["choices"] = [
            # A choice authored through the API may have no explanation: left out, as in the format.
            {"text": choice.text, "correct": choice.is_correct}
            | ({"explanation": choice.explanation} if choice.explanation else {})
            for choice in rows
            if choice.role == "choice"
        ]
    elif question.kind == "numeric":
        data["answer"] = _number(question.answer) if question.answer is not None else None
        if question.tolerance:
            data["tolerance"] = _number(question.tolerance)
    elif question.kind == "text":
        data["accepted"] = list(question.accepted)
    elif question.kind == "ordering":
        data["items"] = [row.text for row in rows if row.role == "item"]
    else:
        options = {row.pk: row.text for row in rows if row.role == "option"}
        prompts = [row for row in rows if row.role == "prompt"]
        data["pairs"] = [{"prompt": row.text, "option": options.get(row.match_id, "")} for row in prompts]
        matched = {row.match_id for row in prompts}
        distractors = [text for pk, text in options.items() if pk not in matched]
        if distractors:
            data["distractors"] = distractors
    return data


_MODULE_FOLDER_RE = re.compile(r"^\d+-")


def course_folder_clear(*, path: Path) -> None:
    """Remove what an export writes (``course.yaml`` and ``NN-*`` module folders) from ``path``,
    leaving anything else (``README.md``, ``.git``, ``_assets``) in place."""
    path = Path(path)
    if not path.is_dir():
        return
    for entry in path.iterdir():
        if entry.name == COURSE_FILE and not entry.is_dir():
            entry.unlink()
        elif _MODULE_FOLDER_RE.match(entry.name) and entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
