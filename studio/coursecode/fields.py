"""The course folder format's names and limits, strict YAML reading, and the field checks every
file of a course folder goes through (docs/content-format.md)."""

import difflib
import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from studio.coursecode.spec import (
    ContentError,
)

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
SLUG_MAX = 100
POSITION_MAX = 999_999
TITLE_MAX = 200
SUMMARY_MAX = 500
CHOICE_TEXT_MAX = 500
HOURS_MAX = Decimal("99999.9")
SMALLINT_MAX = 32767
POINTS_MAX = 1000

COURSE_FILE = "course.yaml"
MODULE_FILE = "module.yaml"
QUIZ_SUFFIX = ".quiz.yaml"
LESSON_SUFFIX = ".md"
KINDS = ("single", "multiple", "numeric", "text", "ordering", "matching")
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
    "shuffle", "draw", "questions",
)  # fmt: skip
QUESTION_KEYS = (
    "text",
    "kind",
    "points",
    "choices",
    "answer",
    "tolerance",
    "accepted",
    "items",
    "pairs",
    "distractors",
)
KIND_KEYS = {
    "single": ("choices",),
    "multiple": ("choices",),
    "numeric": ("answer", "tolerance"),
    "text": ("accepted",),
    "ordering": ("items",),
    "matching": ("pairs", "distractors"),
}
PAIR_KEYS = ("prompt", "option")
CHOICE_KEYS = ("text", "correct", "explanation")

NAME_RE = re.compile(r"^(\d+)-(.+)$")
MISSING = object()


def is_ignored(name: str) -> bool:
    """Files and folders whose names start with ``.`` or ``_`` are not part of the course."""
    return name.startswith((".", "_"))


# --- YAML -----------------------------------------------------------------------------------------
class StrictLoader(yaml.SafeLoader):
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


def yaml_parse(text: str, *, file: str, errors: list[ContentError], line_offset: int = 0) -> Any:
    """Parse YAML text; on a syntax error record it (with its line in the file) and return ``MISSING``."""
    try:
        return yaml.load(text, Loader=StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        where = f"line {mark.line + 1 + line_offset}: " if mark is not None else ""
        errors.append(ContentError(file, "(yaml)", f"{where}{problem}"))
        return MISSING


def read_text(path: Path, *, file: str, errors: list[ContentError]) -> str | None:
    try:
        with path.open(encoding="utf-8-sig", newline="") as file:  # line endings kept as written
            return file.read()
    except UnicodeDecodeError:
        errors.append(ContentError(file, "(file)", "is not UTF-8 text"))
    except OSError as exc:
        errors.append(ContentError(file, "(file)", f"cannot be read ({exc.strerror or exc})"))
    return None


# --- Field checks -----------------------------------------------------------------------------------
class Fields:
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
        value = self.data.get(key, MISSING)
        if value is None and not required:
            return MISSING
        if value is MISSING or value is None:
            if required:
                self.error(key, "is required")
            return MISSING
        return value

    def text(self, key: str, *, required: bool = False, max_length: int | None = None, default: str = "") -> str:
        value = self._get(key, required)
        if value is MISSING:
            return default
        if not isinstance(value, str):
            self.error(key, f"must be text, not {type_name(value)} (quote it)")
            return default
        if required and not value.strip():
            self.error(key, "must not be empty")
        if max_length is not None and len(value) > max_length:
            self.error(key, f"is {len(value)} characters long; at most {max_length} allowed")
        return value

    def integer(self, key: str, *, default: int | None, minimum: int, maximum: int | None = None) -> int | None:
        value = self._get(key, False)
        if value is MISSING:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(key, f"must be a whole number, not {type_name(value)}")
            return default
        if value < minimum or (maximum is not None and value > maximum):
            bounds = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
            self.error(key, f"must be {bounds} (got {value})")
            return default
        return value

    def boolean(self, key: str, *, default: bool) -> bool:
        value = self._get(key, False)
        if value is MISSING:
            return default
        if not isinstance(value, bool):
            self.error(key, f"must be true or false, not {type_name(value)}")
            return default
        return value

    def choice(self, key: str, *, options: tuple[str, ...], default: str) -> str:
        value = self._get(key, False)
        if value is MISSING:
            return default
        if value not in options:
            self.error(key, f"must be one of {', '.join(options)} (got {value!r})")
            return default
        return value

    def hours(self, key: str) -> Decimal | None:
        value = self._get(key, False)
        if value is MISSING:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.error(key, f"must be a number, not {type_name(value)}")
            return None
        hours = Decimal(str(value)).quantize(Decimal("0.1"))
        if not value > 0 or hours <= 0 or hours > HOURS_MAX:
            self.error(key, f"must be a number greater than 0 (at least 0.1) and at most {HOURS_MAX} (got {value})")
            return None
        return hours

    def moment(self, key: str) -> datetime | None:
        value = self._get(key, False)
        if value is MISSING:
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
        if value is MISSING:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.error(key, "must be a list of usernames")
            return []
        return list(dict.fromkeys(v.strip() for v in value))

    def mapping_list(self, key: str, *, required: bool, minimum: int, what: str) -> list[tuple[str, dict]]:
        """A list of mappings, returned with each item's field prefix (``questions[0].``)."""
        value = self._get(key, required)
        if value is MISSING:
            return []
        if not isinstance(value, list):
            self.error(key, f"must be a list of {what}, not {type_name(value)}")
            return []
        if len(value) < minimum:
            self.error(key, f"needs at least {minimum} {what} (has {len(value)})")
        items = []
        for index, item in enumerate(value):
            path = f"{key}[{index}]"
            if not isinstance(item, dict):
                self.error(path, f"must be a mapping (key: value lines), not {type_name(item)}")
                continue
            items.append((f"{self.prefix}{path}.", item))
        return items


def type_name(value: Any) -> str:
    return {bool: "true/false", int: "a number", float: "a number", str: "text", list: "a list", dict: "a mapping"}.get(
        type(value), type(value).__name__
    )


def check_slug(slug: str, *, file: str, field: str, errors: list[ContentError]) -> None:
    if not SLUG_RE.match(slug):
        errors.append(ContentError(file, field, f"slug {slug!r} must be lowercase letters, digits and hyphens"))
    elif len(slug) > SLUG_MAX:
        errors.append(ContentError(file, field, f"slug is {len(slug)} characters long; at most {SLUG_MAX} allowed"))


def split_name(name: str, *, file: str, errors: list[ContentError], pattern: str) -> tuple[int, str] | None:
    """``NN-slug`` → ``(NN, slug)``; records an error (and returns None) when the name is malformed."""
    match = NAME_RE.match(name)
    if not match:
        errors.append(ContentError(file, "(name)", f"must be named {pattern}"))
        return None
    position, slug = int(match.group(1)), match.group(2)
    ok = True
    if not 1 <= position <= POSITION_MAX:
        errors.append(ContentError(file, "(name)", f"position {match.group(1)} must be between 1 and {POSITION_MAX}"))
        ok = False
    before = len(errors)
    check_slug(slug, file=file, field="(name)", errors=errors)
    return (position, slug) if ok and len(errors) == before else None


def mapping_file(path: Path, *, file: str, errors: list[ContentError]) -> dict | None:
    text = read_text(path, file=file, errors=errors)
    if text is None:
        return None
    data = yaml_parse(text, file=file, errors=errors)
    if data is MISSING:
        return None
    if not isinstance(data, dict):
        errors.append(ContentError(file, "(yaml)", f"must be a mapping of fields, not {type_name(data)}"))
        return None
    return data
