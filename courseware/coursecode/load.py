"""Read a course folder into a ``CourseSpec``, checking everything docs/content-format.md asks.

Every problem is collected (not just the first) and raised together as ``CourseContentInvalid``.
Nothing here touches the database; the one check that needs it (instructor usernames) runs at
import time, in ``apply.course_import``."""

import difflib
import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from courseware.coursecode.spec import (
    ChoiceSpec,
    ContentError,
    CourseContentInvalid,
    CourseSpec,
    LessonSpec,
    ModuleSpec,
    QuestionSpec,
    QuizSpec,
)
from courseware.services import RESERVED_COURSE_SLUGS

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
SLUG_MAX = 100
POSITION_MAX = 999_999
TITLE_MAX = 200
SUMMARY_MAX = 500
CHOICE_TEXT_MAX = 500
HOURS_MAX = Decimal("99999.9")
SMALLINT_MAX = 32767

COURSE_FILE = "course.yaml"
MODULE_FILE = "module.yaml"
QUIZ_SUFFIX = ".quiz.yaml"
LESSON_SUFFIX = ".md"
KINDS = ("single", "multiple")
SCORINGS = ("all_or_nothing", "partial")
REVEALS = ("after_pass_or_last_attempt", "never")

COURSE_KEYS = (
    "slug", "title", "summary", "description", "estimated_hours", "published", "sequential", "capacity",
    "enrollment_opens_at", "enrollment_closes_at", "instructors",
)  # fmt: skip
MODULE_KEYS = ("title", "summary")
LESSON_KEYS = ("title", "estimated_minutes")
QUIZ_KEYS = (
    "title", "description", "pass_percent", "max_attempts", "scoring", "reveal_answers", "time_limit_minutes",
    "shuffle", "questions",
)  # fmt: skip
QUESTION_KEYS = ("text", "kind", "choices")
CHOICE_KEYS = ("text", "correct", "explanation")

_NAME_RE = re.compile(r"^(\d+)-(.+)$")
_MISSING = object()


def is_ignored(name: str) -> bool:
    """Files and folders whose names start with ``.`` or ``_`` are not part of the course."""
    return name.startswith((".", "_"))


# --- YAML -----------------------------------------------------------------------------------------
class _StrictLoader(yaml.SafeLoader):
    """``safe_load`` that refuses a key repeated in one mapping (YAML would keep the last silently)."""

    def construct_mapping(self, node, deep=False):
        seen: set = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, str) and key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            if isinstance(key, str):
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _yaml_parse(text: str, *, file: str, errors: list[ContentError], line_offset: int = 0) -> Any:
    """Parse YAML text; on a syntax error record it (with its line in the file) and return ``_MISSING``."""
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        where = f"line {mark.line + 1 + line_offset}: " if mark is not None else ""
        errors.append(ContentError(file, "(yaml)", f"{where}{problem}"))
        return _MISSING


def _read_text(path: Path, *, file: str, errors: list[ContentError]) -> str | None:
    try:
        with path.open(encoding="utf-8-sig", newline="") as file:  # line endings kept as written
            return file.read()
    except UnicodeDecodeError:
        errors.append(ContentError(file, "(file)", "is not UTF-8 text"))
    except OSError as exc:
        errors.append(ContentError(file, "(file)", f"cannot be read ({exc.strerror or exc})"))
    return None


# --- Field checks -----------------------------------------------------------------------------------
class _Fields:
    """Typed reads from one YAML mapping; each problem is recorded against ``file`` and the field's path."""

    def __init__(self, data: dict, *, file: str, errors: list[ContentError], prefix: str = ""):
        self.data = data
        self.file = file
        self.errors = errors
        self.prefix = prefix

    def error(self, key: str, message: str) -> None:
        self.errors.append(ContentError(self.file, f"{self.prefix}{key}", message))

    def unknown(self, allowed: tuple[str, ...]) -> None:
        for key in self.data:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else f"; allowed: {', '.join(allowed)}"
                self.error(str(key), f"unknown field{hint}")

    def _get(self, key: str, required: bool) -> Any:
        value = self.data.get(key, _MISSING)
        if value is None and not required:
            return _MISSING
        if value is _MISSING or value is None:
            if required:
                self.error(key, "is required")
            return _MISSING
        return value

    def text(self, key: str, *, required: bool = False, max_length: int | None = None, default: str = "") -> str:
        value = self._get(key, required)
        if value is _MISSING:
            return default
        if not isinstance(value, str):
            self.error(key, f"must be text, not {_type_name(value)} (quote it)")
            return default
        if required and not value.strip():
            self.error(key, "must not be empty")
        if max_length is not None and len(value) > max_length:
            self.error(key, f"is {len(value)} characters long; at most {max_length} allowed")
        return value

    def integer(self, key: str, *, default: int | None, minimum: int, maximum: int | None = None) -> int | None:
        value = self._get(key, False)
        if value is _MISSING:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(key, f"must be a whole number, not {_type_name(value)}")
            return default
        if value < minimum or (maximum is not None and value > maximum):
            bounds = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
            self.error(key, f"must be {bounds} (got {value})")
            return default
        return value

    def boolean(self, key: str, *, default: bool) -> bool:
        value = self._get(key, False)
        if value is _MISSING:
            return default
        if not isinstance(value, bool):
            self.error(key, f"must be true or false, not {_type_name(value)}")
            return default
        return value

    def choice(self, key: str, *, options: tuple[str, ...], default: str) -> str:
        value = self._get(key, False)
        if value is _MISSING:
            return default
        if value not in options:
            self.error(key, f"must be one of {', '.join(options)} (got {value!r})")
            return default
        return value

    def hours(self, key: str) -> Decimal | None:
        value = self._get(key, False)
        if value is _MISSING:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.error(key, f"must be a number, not {_type_name(value)}")
            return None
        hours = Decimal(str(value)).quantize(Decimal("0.1"))
        if not value > 0 or hours <= 0 or hours > HOURS_MAX:
            self.error(key, f"must be a number greater than 0 (at least 0.1) and at most {HOURS_MAX} (got {value})")
            return None
        return hours

    def moment(self, key: str) -> datetime | None:
        value = self._get(key, False)
        if value is _MISSING:
            return None
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None
            value = parsed if parsed is not None else value
        if not isinstance(value, datetime):
            kind = "a date without a time" if isinstance(value, date) else repr(value)
            self.error(key, f"must be an ISO 8601 datetime such as 2026-01-31T09:00:00+00:00 (got {kind})")
            return None
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value

    def text_list(self, key: str) -> list[str]:
        value = self._get(key, False)
        if value is _MISSING:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.error(key, "must be a list of usernames")
            return []
        return list(dict.fromkeys(v.strip() for v in value))

    def mapping_list(self, key: str, *, required: bool, minimum: int, what: str) -> list[tuple[str, dict]]:
        """A list of mappings, returned with each item's field prefix (``questions[0].``)."""
        value = self._get(key, required)
        if value is _MISSING:
            return []
        if not isinstance(value, list):
            self.error(key, f"must be a list of {what}, not {_type_name(value)}")
            return []
        if len(value) < minimum:
            self.error(key, f"needs at least {minimum} {what} (has {len(value)})")
        items = []
        for index, item in enumerate(value):
            path = f"{key}[{index}]"
            if not isinstance(item, dict):
                self.error(path, f"must be a mapping (key: value lines), not {_type_name(item)}")
                continue
            items.append((f"{self.prefix}{path}.", item))
        return items


def _type_name(value: Any) -> str:
    return {bool: "true/false", int: "a number", float: "a number", str: "text", list: "a list", dict: "a mapping"}.get(
        type(value), type(value).__name__
    )


def _check_slug(slug: str, *, file: str, field: str, errors: list[ContentError]) -> None:
    if not SLUG_RE.match(slug):
        errors.append(ContentError(file, field, f"slug {slug!r} must be lowercase letters, digits and hyphens"))
    elif len(slug) > SLUG_MAX:
        errors.append(ContentError(file, field, f"slug is {len(slug)} characters long; at most {SLUG_MAX} allowed"))


def _split_name(name: str, *, file: str, errors: list[ContentError], pattern: str) -> tuple[int, str] | None:
    """``NN-slug`` → ``(NN, slug)``; records an error (and returns None) when the name is malformed."""
    match = _NAME_RE.match(name)
    if not match:
        errors.append(ContentError(file, "(name)", f"must be named {pattern}"))
        return None
    position, slug = int(match.group(1)), match.group(2)
    ok = True
    if not 1 <= position <= POSITION_MAX:
        errors.append(ContentError(file, "(name)", f"position {match.group(1)} must be between 1 and {POSITION_MAX}"))
        ok = False
    before = len(errors)
    _check_slug(slug, file=file, field="(name)", errors=errors)
    return (position, slug) if ok and len(errors) == before else None


def _mapping_file(path: Path, *, file: str, errors: list[ContentError]) -> dict | None:
    text = _read_text(path, file=file, errors=errors)
    if text is None:
        return None
    data = _yaml_parse(text, file=file, errors=errors)
    if data is _MISSING:
        return None
    if not isinstance(data, dict):
        errors.append(ContentError(file, "(yaml)", f"must be a mapping of fields, not {_type_name(data)}"))
        return None
    return data


# --- Course -------------------------------------------------------------------------------------------
def course_folder_load(*, path: Path) -> CourseSpec:
    """Parse and validate the course folder at ``path``. Raises ``CourseContentInvalid`` listing every problem."""
    path = Path(path)
    errors: list[ContentError] = []
    if not path.is_dir():
        raise CourseContentInvalid([ContentError(str(path), "(file)", "is not a folder")])

    course_file = path / COURSE_FILE
    if course_file.is_file():
        data = _mapping_file(course_file, file=COURSE_FILE, errors=errors)
        spec = _course_spec(data, path=path, errors=errors) if data is not None else None
    else:
        errors.append(ContentError(COURSE_FILE, "(file)", "is missing: every course folder needs a course.yaml"))
        spec = None

    modules: list[ModuleSpec] = []
    for entry in sorted(path.iterdir(), key=lambda p: p.name):
        name = entry.name
        if is_ignored(name) or name == COURSE_FILE or (name == "README.md" and entry.is_file()):
            continue
        if not entry.is_dir():
            hint = " (did you mean course.yaml?)" if name.startswith("course.") else ""
            errors.append(
                ContentError(
                    name, "(file)", f"unexpected file at the course's root{hint}; modules are NN-<slug> folders"
                )
            )
            continue
        parsed = _split_name(name, file=name, errors=errors, pattern="NN-<module-slug>")
        if parsed is None:
            continue
        module = _module_load(entry, position=parsed[0], slug=parsed[1], errors=errors)
        if module is not None:
            modules.append(module)

    modules.sort(key=lambda m: m.position)
    _check_unique(modules, errors=errors)
    if spec is not None:
        spec.modules = modules
        if spec.published:
            errors += publish_problems(spec)
    if errors:
        raise CourseContentInvalid(errors)
    assert spec is not None
    return spec


def publish_problems(spec: CourseSpec) -> list[ContentError]:
    """Why the course cannot be published, as the API's publish would refuse it: it has no lesson, or
    a lesson with no body (a draft may have empty lessons; learners never see one)."""
    if not spec.lessons:
        return [ContentError(COURSE_FILE, "published", "a course needs at least one lesson before it can be published")]
    return [
        ContentError(lesson.file, "body", "is empty: write the lesson below the front matter (a published course's "
                     "lessons need a body)")
        for lesson in spec.lessons
        if not lesson.body.strip()
    ]  # fmt: skip


def _course_spec(data: dict, *, path: Path, errors: list[ContentError]) -> CourseSpec:
    f = _Fields(data, file=COURSE_FILE, errors=errors)
    f.unknown(COURSE_KEYS)
    slug = f.text("slug", required=True)
    if slug:
        _check_slug(slug, file=COURSE_FILE, field="slug", errors=errors)
        if slug in RESERVED_COURSE_SLUGS:
            errors.append(ContentError(COURSE_FILE, "slug", f"{slug!r} is reserved; choose another slug"))
    spec = CourseSpec(
        slug=slug,
        title=f.text("title", required=True, max_length=TITLE_MAX),
        summary=f.text("summary", required=True, max_length=SUMMARY_MAX),
        path=path,
        description=f.text("description"),
        estimated_hours=f.hours("estimated_hours"),
        published=f.boolean("published", default=False),
        sequential=f.boolean("sequential", default=False),
        capacity=f.integer("capacity", default=None, minimum=1, maximum=2_147_483_647),
        enrollment_opens_at=f.moment("enrollment_opens_at"),
        enrollment_closes_at=f.moment("enrollment_closes_at"),
        instructors=f.text_list("instructors"),
    )
    opens, closes = spec.enrollment_opens_at, spec.enrollment_closes_at
    if opens and closes and closes <= opens:
        f.error("enrollment_closes_at", "must be later than enrollment_opens_at")
    return spec


# --- Modules, lessons, quizzes ---------------------------------------------------------------------------
def _module_load(folder: Path, *, position: int, slug: str, errors: list[ContentError]) -> ModuleSpec | None:
    rel = folder.name
    module_file = folder / MODULE_FILE
    module: ModuleSpec | None = None
    if module_file.is_file():
        data = _mapping_file(module_file, file=f"{rel}/{MODULE_FILE}", errors=errors)
        if data is not None:
            f = _Fields(data, file=f"{rel}/{MODULE_FILE}", errors=errors)
            f.unknown(MODULE_KEYS)
            module = ModuleSpec(
                slug=slug,
                position=position,
                folder=rel,
                title=f.text("title", required=True, max_length=TITLE_MAX),
                summary=f.text("summary"),
            )
    else:
        errors.append(ContentError(f"{rel}/{MODULE_FILE}", "(file)", "is missing: every module folder needs one"))

    lessons: list[LessonSpec] = []
    quizzes: list[QuizSpec] = []
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        name, file = entry.name, f"{rel}/{entry.name}"
        if is_ignored(name) or name == MODULE_FILE:
            continue
        if entry.is_dir():
            errors.append(ContentError(file, "(file)", "unexpected folder inside a module"))
            continue
        if name.endswith(QUIZ_SUFFIX):
            parsed = _split_name(name[: -len(QUIZ_SUFFIX)], file=file, errors=errors, pattern="NN-<slug>.quiz.yaml")
            if parsed:
                quiz = _quiz_load(entry, position=parsed[0], slug=parsed[1], file=file, errors=errors)
                if quiz is not None:
                    quizzes.append(quiz)
        elif name.endswith(LESSON_SUFFIX):
            parsed = _split_name(name[: -len(LESSON_SUFFIX)], file=file, errors=errors, pattern="NN-<slug>.md")
            if parsed:
                lesson = _lesson_load(entry, position=parsed[0], slug=parsed[1], file=file, errors=errors)
                if lesson is not None:
                    lessons.append(lesson)
        else:
            hint = ""
            if name.endswith((".yaml", ".yml")):
                hint = " (a quiz file ends in .quiz.yaml, module metadata is module.yaml)"
            errors.append(
                ContentError(
                    file, "(file)", f"unexpected file{hint}; lessons are NN-<slug>.md, quizzes NN-<slug>.quiz.yaml"
                )
            )

    for kind, items in (("lesson", lessons), ("quiz", quizzes)):
        by_position: dict[int, str] = {}
        for item in sorted(items, key=lambda i: i.file):
            if item.position in by_position:
                errors.append(
                    ContentError(
                        item.file,
                        "(name)",
                        f"{kind} position {item.position} is also used by {by_position[item.position]}",
                    )
                )
            by_position.setdefault(item.position, item.file)
    if module is None:
        return None
    module.lessons = sorted(lessons, key=lambda i: i.position)
    module.quizzes = sorted(quizzes, key=lambda i: i.position)
    return module


def _front_matter_split(text: str) -> tuple[str, str] | None:
    """``---`` front matter ``---`` body → ``(front matter, body)``; None when there is no such block."""
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        return None
    for index in range(1, len(lines)):
        if lines[index].rstrip() == "---":
            return "\n".join(lines[1:index]), "\n".join(lines[index + 1 :])
    return None


def _lesson_load(path: Path, *, position: int, slug: str, file: str, errors: list[ContentError]) -> LessonSpec | None:
    text = _read_text(path, file=file, errors=errors)
    if text is None:
        return None
    split = _front_matter_split(text)
    if split is None:
        errors.append(
            ContentError(
                file, "(front matter)", "must start with a '---' line, the YAML fields, and a closing '---' line"
            )
        )
        return None
    front, body = split
    data = _yaml_parse(front, file=file, errors=errors, line_offset=1)
    if data is _MISSING:
        return None
    if not isinstance(data, dict):
        errors.append(ContentError(file, "(front matter)", f"must be a mapping of fields, not {_type_name(data)}"))
        return None
    f = _Fields(data, file=file, errors=errors)
    f.unknown(LESSON_KEYS)
    lesson = LessonSpec(
        slug=slug,
        position=position,
        file=file,
        title=f.text("title", required=True, max_length=TITLE_MAX),
        estimated_minutes=f.integer("estimated_minutes", default=None, minimum=1, maximum=600),
        # Verbatim but for the file's final newline, so any body survives export → import unchanged.
        body=body[:-2] if body.endswith("\r\n") else body.removesuffix("\n"),
    )
    return lesson


def _quiz_load(path: Path, *, position: int, slug: str, file: str, errors: list[ContentError]) -> QuizSpec | None:
    data = _mapping_file(path, file=file, errors=errors)
    if data is None:
        return None
    f = _Fields(data, file=file, errors=errors)
    f.unknown(QUIZ_KEYS)
    quiz = QuizSpec(
        slug=slug,
        position=position,
        file=file,
        title=f.text("title", required=True, max_length=TITLE_MAX),
        description=f.text("description"),
        pass_percent=f.integer("pass_percent", default=70, minimum=0, maximum=100),
        max_attempts=f.integer("max_attempts", default=3, minimum=1, maximum=SMALLINT_MAX),
        scoring=f.choice("scoring", options=SCORINGS, default="all_or_nothing"),
        reveal_answers=f.choice("reveal_answers", options=REVEALS, default="after_pass_or_last_attempt"),
        time_limit_minutes=f.integer("time_limit_minutes", default=None, minimum=1, maximum=SMALLINT_MAX),
        shuffle=f.boolean("shuffle", default=False),
        questions=[],
    )
    for prefix, item in f.mapping_list("questions", required=True, minimum=1, what="question"):
        quiz.questions.append(_question_spec(item, file=file, prefix=prefix, errors=errors))
    return quiz


def _question_spec(data: dict, *, file: str, prefix: str, errors: list[ContentError]) -> QuestionSpec:
    f = _Fields(data, file=file, errors=errors, prefix=prefix)
    f.unknown(QUESTION_KEYS)
    text = f.text("text", required=True)
    before = len(errors)
    kind = f.choice("kind", options=KINDS, default="single")
    kind_valid = len(errors) == before
    choices = []
    for choice_prefix, item in f.mapping_list("choices", required=True, minimum=2, what="choices"):
        c = _Fields(item, file=file, errors=errors, prefix=choice_prefix)
        c.unknown(CHOICE_KEYS)
        choices.append(
            ChoiceSpec(
                text=c.text("text", required=True, max_length=CHOICE_TEXT_MAX),
                correct=c.boolean("correct", default=False),
                explanation=c.text("explanation"),
            )
        )
    correct = sum(choice.correct for choice in choices)
    if kind_valid and choices and kind == "single" and correct != 1:
        f.error("choices", f"a single-choice question needs exactly one correct choice (has {correct})")
    elif kind_valid and choices and kind == "multiple" and correct < 1:
        f.error("choices", "a multiple-choice question needs at least one correct choice")
    return QuestionSpec(text=text, kind=kind, choices=choices)


def _check_unique(modules: list[ModuleSpec], *, errors: list[ContentError]) -> None:
    """Module positions and slugs; lesson slugs and quiz slugs, each unique across the course."""
    checks: list[tuple[str, list, Callable[[Any], Any], str]] = [
        ("module position", modules, lambda m: m.position, "(name)"),
        ("module slug", modules, lambda m: m.slug, "(name)"),
        ("lesson slug", [lesson for m in modules for lesson in m.lessons], lambda i: i.slug, "(name)"),
        ("quiz slug", [quiz for m in modules for quiz in m.quizzes], lambda i: i.slug, "(name)"),
    ]
    for what, items, key, field in checks:
        first: dict[Any, str] = {}
        for item in items:
            where = getattr(item, "file", None) or item.folder
            value = key(item)
            if value in first:
                errors.append(ContentError(where, field, f"{what} {value!r} is also used by {first[value]}"))
            else:
                first[value] = where
