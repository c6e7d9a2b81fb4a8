"""Helpers shared by the course-as-code tests: a small valid course folder to start from, and
snapshots of the database precise enough to prove an import changed nothing."""

import hashlib
import json
from pathlib import Path
from typing import Any

import yaml
from django.apps import apps
from django.db import models

from courseware.models import Course

SEED_COURSE = Path(__file__).resolve().parents[3] / "content" / "selling-in-vs-selling-out"

LESSON_BODY = (
    "## Why it matters\n\nA lesson body with **Markdown**, a list:\n\n- one\n- two\n\n"
    "| a | b |\n|---|---|\n| 1 | 2 |\n\n## Recap\n\nThe end.\n"
)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def write_yaml(path: Path, data: Any) -> Path:
    return write(path, yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def read_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def lesson_text(title: str, body: str = LESSON_BODY, **front: Any) -> str:
    return f"---\n{yaml.safe_dump({'title': title, **front}, sort_keys=False)}---\n{body}"


def quiz_data(title: str, **fields: Any) -> dict[str, Any]:
    """A valid quiz: one single-choice and one multiple-choice question."""
    return {
        "title": title,
        "pass_percent": 70,
        "max_attempts": 3,
        **fields,
        "questions": [
            {
                "text": f"{title}: pick the right one",
                "kind": "single",
                "choices": [
                    {"text": "Right", "correct": True, "explanation": "Yes."},
                    {"text": "Wrong", "correct": False, "explanation": "No."},
                ],
            },
            {
                "text": f"{title}: pick all that apply",
                "kind": "multiple",
                "choices": [
                    {"text": "Also right", "correct": True, "explanation": "Yes."},
                    {"text": "Right too", "correct": True, "explanation": "Yes."},
                    {"text": "Wrong", "correct": False, "explanation": "No."},
                ],
            },
        ],
    }


def make_course_folder(root: Path, *, slug: str = "demo-course", **course: Any) -> Path:
    """A valid course folder with two modules of two lessons and one quiz each:

    01-basics/{01-first-steps.md, 02-second-steps.md, 01-basics-check.quiz.yaml}
    02-advanced/{01-deeper.md, 02-deepest.md, 01-advanced-check.quiz.yaml}"""
    folder = root / slug
    write_yaml(
        folder / "course.yaml",
        {"slug": slug, "title": "Demo course", "summary": "A course for testing imports.", "published": True, **course},
    )
    write(folder / "README.md", "Not part of the course.\n")
    for module, title, lessons, quiz in (
        ("01-basics", "Basics", ("01-first-steps", "02-second-steps"), "01-basics-check"),
        ("02-advanced", "Advanced", ("01-deeper", "02-deepest"), "01-advanced-check"),
    ):
        write_yaml(folder / module / "module.yaml", {"title": title, "summary": f"The {title.lower()}."})
        for lesson in lessons:
            write(
                folder / module / f"{lesson}.md", lesson_text(lesson[3:].replace("-", " ").title(), estimated_minutes=6)
            )
        write_yaml(folder / module / f"{quiz}.quiz.yaml", quiz_data(f"{title} check"))
    return folder


# --- Snapshots ---------------------------------------------------------------------------------------
def db_counts() -> dict[str, int]:
    """Rows of every installed model."""
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


_SKIP = {
    "id", "created_at", "updated_at", "published_at", "content_version", "published_version", "key_version",
    "removed_at", "module_count", "lesson_count", "quiz_count",
}  # fmt: skip


def _row(obj: models.Model, *, timestamps: bool) -> dict[str, Any]:
    """Every concrete field except the row's identity and its links up the tree."""
    data = {}
    for f in obj._meta.concrete_fields:
        if f.is_relation or (f.name in _SKIP and not timestamps):
            continue
        data[f.attname] = getattr(obj, f.attname)
    if timestamps:
        data["id"] = obj.pk
    return data


def course_tree(course: Course, *, timestamps: bool = False) -> dict[str, Any]:
    """The course and everything under it as plain data, ordered by position. Without
    ``timestamps`` it compares equal across a delete-and-reimport; with them (plus primary keys,
    ``updated_at`` and ``content_version``) it also proves that no row was rewritten."""
    tree = _row(course, timestamps=timestamps)
    tree["instructors"] = sorted(course.instructors.values_list("username", flat=True))
    tree["modules"] = []
    for module in course.modules.order_by("position"):
        node = _row(module, timestamps=timestamps)
        node["lessons"] = [_row(lesson, timestamps=timestamps) for lesson in module.lessons.order_by("position")]
        node["quizzes"] = []
        for quiz in module.quizzes.order_by("position"):
            quiz_node = _row(quiz, timestamps=timestamps)
            quiz_node["questions"] = [
                {
                    **_row(question, timestamps=timestamps),
                    "choices": [
                        {**_row(c, timestamps=timestamps), "match": c.match.text if c.match_id else None}
                        for c in question.choices.select_related("match").order_by("role", "position")
                    ],
                }
                for question in quiz.questions.order_by("position")
            ]
            node["quizzes"].append(quiz_node)
        tree["modules"].append(node)
    return tree


def course_tree_hash(slug: str) -> str:
    """A hash of the course's whole tree, timestamps and keys included ("absent" when there is none)."""
    course = Course.objects.filter(slug=slug).first()
    if course is None:
        return "absent"
    text = json.dumps(course_tree(course, timestamps=True), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def db_snapshot(slug: str) -> tuple[dict[str, int], str]:
    return db_counts(), course_tree_hash(slug)
