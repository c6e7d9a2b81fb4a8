"""A course folder as plain data (see docs/content-format.md), and the one error it raises."""

from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from config.errors import ApplicationError


@dataclass(frozen=True)
class ContentError:
    """One problem in a course folder. ``file`` is relative to the course folder; ``field`` names
    the key (dotted for nested ones, e.g. ``questions[2].choices[1].explanation``) or, in
    parentheses, what else is wrong (``(file)``, ``(name)``, ``(yaml)``)."""

    file: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.field}: {self.message}"


class CourseContentInvalid(ApplicationError):
    """A course folder (or archive) breaks the format. Carries every problem found, not just the first."""

    code = "course_content_invalid"

    def __init__(self, errors: list[ContentError]):
        self.errors = list(errors)
        count = len(self.errors)
        super().__init__(
            f"The course content has {count} problem{'s' if count != 1 else ''}; nothing was imported.",
            extra={"errors": [asdict(e) for e in self.errors]},
        )

    def __str__(self) -> str:
        return "\n".join([self.message, *(str(e) for e in self.errors)])


@dataclass
class ChoiceSpec:
    text: str
    correct: bool
    explanation: str


@dataclass
class QuestionSpec:
    text: str
    kind: str
    choices: list[ChoiceSpec]
    points: int = 1
    answer: Decimal | None = None  # numeric
    tolerance: Decimal | None = None  # numeric (absolute; 0 when left out)
    accepted: list[str] = field(default_factory=list)  # text
    items: list[str] = field(default_factory=list)  # ordering, in the right order
    pairs: list[tuple[str, str]] = field(default_factory=list)  # matching: (prompt, option)
    distractors: list[str] = field(default_factory=list)  # matching: options that match nothing


@dataclass
class LessonSpec:
    slug: str
    position: int
    file: str
    title: str
    body: str
    estimated_minutes: int | None = None


@dataclass
class QuizSpec:
    slug: str
    position: int
    file: str
    title: str
    questions: list[QuestionSpec]
    description: str = ""
    pass_percent: int = 70
    max_attempts: int = 3
    scoring: str = "all_or_nothing"
    reveal_answers: str = "after_pass_or_last_attempt"
    time_limit_minutes: int | None = None
    shuffle: bool = False
    draw: int | None = None


@dataclass
class ModuleSpec:
    slug: str
    position: int
    folder: str
    title: str
    summary: str = ""
    lessons: list[LessonSpec] = field(default_factory=list)
    quizzes: list[QuizSpec] = field(default_factory=list)


@dataclass
class CourseSpec:
    slug: str
    title: str
    summary: str
    path: Path | None = None
    description: str = ""
    estimated_hours: Decimal | None = None
    published: bool = False
    sequential: bool = False
    capacity: int | None = None
    enrollment_opens_at: datetime | None = None
    enrollment_closes_at: datetime | None = None
    instructors: list[str] = field(default_factory=list)
    modules: list[ModuleSpec] = field(default_factory=list)

    @property
    def lessons(self) -> list[LessonSpec]:
        return [lesson for module in self.modules for lesson in module.lessons]

    @property
    def quizzes(self) -> list[QuizSpec]:
        return [quiz for module in self.modules for quiz in module.quizzes]
