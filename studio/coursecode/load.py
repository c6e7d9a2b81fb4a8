"""Read a course folder into a ``CourseSpec``, checking everything docs/content-format.md asks.

Every problem is collected (not just the first) and raised together as ``CourseContentInvalid``.
Nothing here touches the database; the one check that needs it (instructor usernames) runs at
import time, in ``apply.course_import``. The YAML reading and field checks are ``fields``'."""

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from courseware.structure.services import RESERVED_COURSE_SLUGS
from studio.coursecode.fields import (
    CHOICE_KEYS,
    CHOICE_TEXT_MAX,
    COURSE_FILE,
    COURSE_KEYS,
    KIND_KEYS,
    KINDS,
    LESSON_KEYS,
    LESSON_SUFFIX,
    MISSING,
    MODULE_FILE,
    MODULE_KEYS,
    PAIR_KEYS,
    POINTS_MAX,
    QUESTION_KEYS,
    QUIZ_KEYS,
    QUIZ_SUFFIX,
    REVEALS,
    SCORINGS,
    SMALLINT_MAX,
    SUMMARY_MAX,
    TITLE_MAX,
    Fields,
    check_slug,
    is_ignored,
    mapping_file,
    read_text,
    split_name,
    type_name,
    yaml_parse,
)
from studio.coursecode.spec import (
    ChoiceSpec,
    ContentError,
    CourseContentInvalid,
    CourseSpec,
    LessonSpec,
    ModuleSpec,
    QuestionSpec,
    QuizSpec,
)


# --- Course -------------------------------------------------------------------------------------------
def course_folder_load(*, path: Path) -> CourseSpec:
    """Parse and validate the course folder at ``path``. Raises ``CourseContentInvalid`` listing every problem."""
    path = Path(path)
    errors: list[ContentError] = []
    if not path.is_dir():
        raise CourseContentInvalid([ContentError(str(path), "(file)", "is not a folder")])

    course_file = path / COURSE_FILE
    if course_file.is_file():
        data = mapping_file(course_file, file=COURSE_FILE, errors=errors)
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
        parsed = split_name(name, file=name, errors=errors, pattern="NN-<module-slug>")
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
    f = Fields(data, file=COURSE_FILE, errors=errors)
    f.unknown(COURSE_KEYS)
    slug = f.text("slug", required=True)
    if slug:
        check_slug(slug, file=COURSE_FILE, field="slug", errors=errors)
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
        data = mapping_file(module_file, file=f"{rel}/{MODULE_FILE}", errors=errors)
        if data is not None:
            f = Fields(data, file=f"{rel}/{MODULE_FILE}", errors=errors)
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
            parsed = split_name(name[: -len(QUIZ_SUFFIX)], file=file, errors=errors, pattern="NN-<slug>.quiz.yaml")
            if parsed:
                quiz = _quiz_load(entry, position=parsed[0], slug=parsed[1], file=file, errors=errors)
                if quiz is not None:
                    quizzes.append(quiz)
        elif name.endswith(LESSON_SUFFIX):
            parsed = split_name(name[: -len(LESSON_SUFFIX)], file=file, errors=errors, pattern="NN-<slug>.md")
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
    text = read_text(path, file=file, errors=errors)
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
    data = yaml_parse(front, file=file, errors=errors, line_offset=1)
    if data is MISSING:
        return None
    if not isinstance(data, dict):
        errors.append(ContentError(file, "(front matter)", f"must be a mapping of fields, not {type_name(data)}"))
        return None
    f = Fields(data, file=file, errors=errors)
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
    data = mapping_file(path, file=file, errors=errors)
    if data is None:
        return None
    f = Fields(data, file=file, errors=errors)
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
        draw=f.integer("draw", default=None, minimum=1, maximum=SMALLINT_MAX),
        questions=[],
    )
    for prefix, item in f.mapping_list("questions", required=True, minimum=1, what="question"):
        quiz.questions.append(_question_spec(item, file=file, prefix=prefix, errors=errors))
    if quiz.draw is not None and quiz.questions and quiz.draw > len(quiz.questions):
        f.error("draw", f"must be at most the number of questions ({len(quiz.questions)}), got {quiz.draw}")
    return quiz


def _question_spec(data: dict, *, file: str, prefix: str, errors: list[ContentError]) -> QuestionSpec:
    f = Fields(data, file=file, errors=errors, prefix=prefix)
    f.unknown(QUESTION_KEYS)
    text = f.text("text", required=True)
    before = len(errors)
    kind = f.choice("kind", options=KINDS, default="single")
    kind_valid = len(errors) == before
    points = f.integer("points", default=1, minimum=1, maximum=POINTS_MAX)
    spec = QuestionSpec(text=text, kind=kind, choices=[], points=points)
    if not kind_valid:
        return spec
    for key in QUESTION_KEYS:
        if key in data and key not in ("text", "kind", "points") and key not in KIND_KEYS[kind]:
            f.error(key, f"is not a field of a {kind} question (it takes {', '.join(KIND_KEYS[kind])})")
    if kind in ("single", "multiple"):
        _choices_load(f, spec, file=file, errors=errors)
    elif kind == "numeric":
        spec.answer = _number(f, "answer", required=True)
        spec.tolerance = _number(f, "tolerance", required=False)
        if spec.tolerance is not None and spec.tolerance < 0:
            f.error("tolerance", f"must be 0 or more (an absolute tolerance), got {spec.tolerance}")
    elif kind == "text":
        spec.accepted = _text_list(f, "accepted", minimum=1, what="accepted answers")
    elif kind == "ordering":
        spec.items = _text_list(f, "items", minimum=2, what="items")
        if len({item.strip().casefold() for item in spec.items}) != len(spec.items):
            f.error("items", "two items read the same: the right order would be ambiguous")
    else:
        for pair_prefix, item in f.mapping_list("pairs", required=True, minimum=2, what="pairs"):
            p = Fields(item, file=file, errors=errors, prefix=pair_prefix)
            p.unknown(PAIR_KEYS)
            spec.pairs.append(
                (
                    p.text("prompt", required=True, max_length=CHOICE_TEXT_MAX).strip(),
                    p.text("option", required=True, max_length=CHOICE_TEXT_MAX).strip(),
                )
            )
        spec.distractors = _text_list(f, "distractors", minimum=0, what="distractors")
        options = {option for _, option in spec.pairs}
        if len({prompt for prompt, _ in spec.pairs}) != len(spec.pairs):
            f.error("pairs", "two prompts read the same")
        for index, distractor in enumerate(spec.distractors):
            if distractor in options:
                f.error(f"distractors[{index}]", f"{distractor!r} is a pair's option, so it is not a distractor")
    return spec


def _choices_load(f: Fields, spec: QuestionSpec, *, file: str, errors: list[ContentError]) -> None:
    for choice_prefix, item in f.mapping_list("choices", required=True, minimum=2, what="choices"):
        c = Fields(item, file=file, errors=errors, prefix=choice_prefix)
        c.unknown(CHOICE_KEYS)
        spec.choices.append(
            ChoiceSpec(
                text=c.text("text", required=True, max_length=CHOICE_TEXT_MAX),
                correct=c.boolean("correct", default=False),
                explanation=c.text("explanation"),
            )
        )
    correct = sum(choice.correct for choice in spec.choices)
    if spec.choices and spec.kind == "single" and correct != 1:
        f.error("choices", f"a single-choice question needs exactly one correct choice (has {correct})")
    elif spec.choices and spec.kind == "multiple" and correct < 1:
        f.error("choices", "a multiple-choice question needs at least one correct choice")


NUMBER_LIMIT = Decimal("1e15")


def _number(f: Fields, key: str, *, required: bool) -> Decimal | None:
    value = f.data.get(key)
    if value is None:
        if required:
            f.error(key, "is required")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        f.error(key, f"must be a number, not {type_name(value)}")
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        number = None
    if (
        number is None
        or not number.is_finite()
        or abs(number) >= NUMBER_LIMIT
        or number != number.quantize(Decimal("1e-8"))
    ):
        f.error(key, f"must be a number below 1e15 with at most 8 decimals (got {value!r})")
        return None
    return number


def _text_list(f: Fields, key: str, *, minimum: int, what: str) -> list[str]:
    value = f.data.get(key)
    if value is None:
        if minimum:
            f.error(key, "is required")
        return []
    if not isinstance(value, list):
        f.error(key, f"must be a list of {what}, not {type_name(value)}")
        return []
    if len(value) < minimum:
        f.error(key, f"needs at least {minimum} {what} (has {len(value)})")
    out = []
    for index, item in enumerate(value):
        if not isinstance(item, str | int | float) or isinstance(item, bool) or not str(item).strip():
            f.error(f"{key}[{index}]", "must be non-empty text")
            continue
        text = str(item).strip()
        if len(text) > CHOICE_TEXT_MAX:
            f.error(f"{key}[{index}]", f"is {len(text)} characters long; at most {CHOICE_TEXT_MAX} allowed")
        out.append(text)
    return list(dict.fromkeys(out)) if key != "items" else out


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
