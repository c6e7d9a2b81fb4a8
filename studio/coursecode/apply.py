"""Write a ``CourseSpec`` to the database: create the course or update it in place.

Modules, lessons and quizzes are matched by slug (so a lesson keeps its row, and its learners'
completions, when it moves between modules); questions by position within their quiz and choices
by position within their question. Everything happens in one transaction; a dry run does the same
work and rolls it back, so its report is exactly what a real import would do."""

from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import Count

from accounts.models import User
from accounts.selectors import user_is_admin
from config.errors import Conflict
from courseware.models import Course, Enrollment, Module
from courseware.structure.changes import course_draft_changed, course_touch
from courseware.versions.impact import publish_impact
from courseware.versions.plan import version_plan
from courseware.versions.services import version_publish
from lessons.markdown import estimate_minutes, render_markdown
from lessons.models import Lesson, LessonCompletion
from quizzes.models import Question, Quiz, QuizAttempt
from quizzes.questions import questions_write
from studio.coursecode.fields import COURSE_FILE, POSITION_MAX
from studio.coursecode.load import publish_problems
from studio.coursecode.spec import ContentError, CourseContentInvalid, CourseSpec, QuestionSpec


# --- Report -------------------------------------------------------------------------------------------
@dataclass
class ItemChange:
    """One added, changed or removed module, lesson or quiz, and how many enrolled learners it touches."""

    slug: str
    title: str
    fields: list[str] = field(default_factory=list)
    learners: int = 0


@dataclass
class ItemChanges:
    added: list[ItemChange] = field(default_factory=list)
    changed: list[ItemChange] = field(default_factory=list)
    removed: list[ItemChange] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def has_changes(self) -> bool:
        return bool(self.added or self.changed or self.removed)


@dataclass
class ImportReport:
    """What an import did (or, for a dry run, would do).

    Touched learners are counted among enrolled learners (enrollments not dropped): every one for
    an added item; for a changed or removed lesson those who completed it; for a changed or removed
    quiz those who attempted it; for a changed or removed module those with a completion or attempt in it."""

    course_slug: str
    dry_run: bool
    course_id: int | None = None
    created: bool = False
    course_fields: list[str] = field(default_factory=list)
    instructors_added: list[str] = field(default_factory=list)
    # Named in the file but not added: only an admin (or the command line) adds other instructors.
    instructors_ignored: list[str] = field(default_factory=list)
    enrolled: int = 0
    content_version_bumped: bool = False  # the draft's structure changed (the next publish recomputes progress)
    # What publishing the draft does (or, unpublished, would do) to enrolled learners, as the publish
    # dry run answers it (``courseware.versions.impact``), and the version learners read afterwards.
    publish_impact: dict[str, Any] | None = None
    version: int = 0
    published: bool = False  # this import published a new version
    modules: ItemChanges = field(default_factory=ItemChanges)
    lessons: ItemChanges = field(default_factory=ItemChanges)
    quizzes: ItemChanges = field(default_factory=ItemChanges)

    @property
    def has_changes(self) -> bool:
        return (
            self.created
            or bool(self.course_fields or self.instructors_added)
            or any(part.has_changes for part in (self.modules, self.lessons, self.quizzes))
        )

    def as_data(self) -> dict[str, Any]:
        return {**asdict(self), "has_changes": self.has_changes}

    def as_text(self) -> str:
        verb = "would be" if self.dry_run else "was"
        if self.created:
            head = f"Course {self.course_slug!r} {verb} created."
        elif self.has_changes:
            head = f"Course {self.course_slug!r} {verb} updated."
        else:
            head = f"Course {self.course_slug!r} is unchanged."
        lines = [head, f"Enrolled learners: {self.enrolled}"]
        if self.course_fields and not self.created:
            lines.append(f"Course fields changed: {', '.join(self.course_fields)}")
        if self.instructors_added:
            lines.append(f"Instructors added: {', '.join(self.instructors_added)}")
        if self.instructors_ignored:
            lines.append(
                f"Warning: instructors not added (only an admin adds other instructors): "
                f"{', '.join(self.instructors_ignored)}"
            )
        for name, part in (("Modules", self.modules), ("Lessons", self.lessons), ("Quizzes", self.quizzes)):
            lines.append(
                f"{name}: {len(part.added)} added, {len(part.changed)} changed, {len(part.removed)} removed, "
                f"{len(part.unchanged)} unchanged"
            )
            for sign, items in (("+", part.added), ("~", part.changed), ("-", part.removed)):
                for item in items:
                    fields = f" [{', '.join(item.fields)}]" if item.fields else ""
                    learners = f"{item.learners} learner{'s' if item.learners != 1 else ''}"
                    lines.append(f"  {sign} {item.slug}{fields} ({learners} touched)")
        if self.content_version_bumped:
            lines.append(
                "Structure changed: enrolled learners' progress will be recomputed"
                + (" against the new version." if self.published else " once it is published.")
            )
        if (impact := self.publish_impact) and impact["has_changes"]:
            verb = "would make" if self.dry_run else "made"
            if self.published:
                lines.append(f"Publishing {verb} version {self.version}.")
            else:
                lines.append("Not published: the draft holds these changes until the course is published.")
            for move in impact["progress_changes"]:
                lines.append(f"  {move['learners']} learner(s) at {move['from']} % -> {move['to']} %")
            lines.append(
                f"Learners affected: {impact['learners_affected']}; completed learners kept completed: "
                f"{impact['completed_learners']}"
            )
        if self.dry_run:
            lines.append("Dry run: nothing was saved.")
        return "\n".join(lines)


class _DryRunRollback(Exception):
    def __init__(self, report: ImportReport):
        self.report = report


# --- Import -------------------------------------------------------------------------------------------
def course_import(
    *, spec: CourseSpec, dry_run: bool = False, publish: bool | None = None, importer: User | None = None
) -> ImportReport:
    """Create or update the course described by ``spec`` in one transaction and report what changed.

    ``publish`` overrides the folder's ``published`` when not None. With ``dry_run`` all the work is
    done and then rolled back. Raises ``CourseContentInvalid`` (unknown instructors, publishing a
    course without lessons) before anything is written. An ``importer`` who is not an admin adds no
    instructor but themself: other names are ignored, with a warning in the report (None: the command
    line, an admin's tool)."""
    try:
        with transaction.atomic():
            report = _Importer(spec=spec, dry_run=dry_run, publish=publish, importer=importer).run()
            if dry_run:
                raise _DryRunRollback(report)
    except _DryRunRollback as rollback:
        if rollback.report.created:
            rollback.report.course_id = None  # the row was rolled back
        return rollback.report
    return report


def _hours_from_minutes(minutes: int) -> Decimal:
    return (Decimal(minutes) / Decimal(60)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _diff(obj: models.Model, values: dict[str, Any]) -> list[str]:
    """Set ``values`` on ``obj``; return the names of the fields that actually changed."""
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    for name in changed:
        setattr(obj, name, values[name])
    return changed


def _with_position(changed: list[str], *, parked: bool) -> list[str]:
    """Fields to save; a row parked on a temporary position must write its position even when the
    final one equals where it started (it moved module but kept its number)."""
    return [*changed, *(["position"] if parked and "position" not in changed else []), "updated_at"]


def _temporary_positions(model: type[models.Model], pks: list[int], *, floor: int) -> None:
    """First phase of a reorder: park rows on unique positions above every real one, so the final
    positions can be written in any order without tripping the per-parent unique constraint."""
    for offset, pk in enumerate(pks, start=1):
        model.objects.filter(pk=pk).update(position=floor + offset)


class _Importer:
    def __init__(self, *, spec: CourseSpec, dry_run: bool, publish: bool | None, importer: User | None = None):
        self.spec = spec
        self.importer = importer
        self.publish = spec.published if publish is None else publish
        self.report = ImportReport(course_slug=spec.slug, dry_run=dry_run)
        self.structure_changed = False

    def run(self) -> ImportReport:
        instructors = self._instructors_check()
        course = self._course_upsert()
        self.report.course_id = course.pk
        added = [u for u in instructors if not course.instructors.filter(pk=u.pk).exists()]
        if self.importer is not None and not user_is_admin(self.importer):  # no one named without consent
            self.report.instructors_ignored = [u.username for u in added if u.pk != self.importer.pk]
            added = [u for u in added if u.pk == self.importer.pk]
        course.instructors.add(*added)
        self.report.instructors_added = [u.username for u in added]

        self.enrolled = Enrollment.objects.filter(course=course).exclude(status=Enrollment.Status.DROPPED)
        self.report.enrolled = self.enrolled.count()
        enrolled_learners = self.enrolled.values("learner_id")
        self.completions = dict(
            LessonCompletion.objects.filter(course=course, learner__in=enrolled_learners)
            .values_list("lesson_id")
            .annotate(n=Count("learner_id", distinct=True))
        )
        self.attempts = dict(
            QuizAttempt.objects.filter(course=course, learner__in=enrolled_learners)
            .values_list("quiz_id")
            .annotate(n=Count("learner_id", distinct=True))
        )

        modules = {m.slug: m for m in Module.objects.filter(course=course)}
        lessons = {lesson.slug: lesson for lesson in Lesson.objects.filter(course=course)}
        quizzes = {q.slug: q for q in Quiz.objects.filter(course=course).prefetch_related("questions__choices")}
        modules_removed = self._modules_removed(modules)  # counted before their items go
        self._remove_items(lessons, quizzes)
        modules_by_slug = self._modules_sync(course, modules)
        self._lessons_sync(course, lessons, modules_by_slug)
        self._quizzes_sync(course, quizzes, modules_by_slug)
        Module.objects.filter(pk__in=[m.pk for m in modules_removed]).delete()

        if self.structure_changed:
            course_draft_changed(course_id=course.pk)
            self.report.content_version_bumped = True
        elif self.report.has_changes and not self.report.course_fields:
            course_touch(course_id=course.pk)  # text only: outlines refresh, progress stays valid
        plan = version_plan(course=course)
        self.report.publish_impact = publish_impact(course=course, plan=plan)
        if self.publish:
            # The folder says published: its content becomes the next version (none when nothing changed)
            publication = version_publish(course=course, actor=self.importer, checked=False, plan=plan)
            self.report.version = publication.version.number
            self.report.published = publication.created
        else:
            self.report.version = Course.objects.values_list("published_version", flat=True).get(pk=course.pk)
        return self.report

    # --- course ---
    def _instructors_check(self) -> list[User]:
        users, errors = [], []
        for name in self.spec.instructors:
            user = User.objects.filter(username__iexact=name).first()
            if user is None:
                errors.append(ContentError(COURSE_FILE, "instructors", f"no user named {name!r}"))
            else:
                users.append(user)
        if self.publish:
            errors += publish_problems(self.spec)
        if errors:
            raise CourseContentInvalid(errors)
        return users

    def _course_upsert(self) -> Course:
        spec = self.spec
        hours = spec.estimated_hours
        if hours is None:
            hours = _hours_from_minutes(
                sum(lesson.estimated_minutes or estimate_minutes(lesson.body) for lesson in spec.lessons)
            )
        values = {
            "title": spec.title,
            "summary": spec.summary,
            "description": spec.description,
            "estimated_hours": hours,
            # Publishing (listing the course, its first version) is ``version_publish``'s; a folder that
            # says unpublished takes the course out of the catalog.
            **({} if self.publish else {"is_published": False}),
            "sequential": spec.sequential,
            "capacity": spec.capacity,
            "enrollment_opens_at": spec.enrollment_opens_at,
            "enrollment_closes_at": spec.enrollment_closes_at,
        }
        course = Course.objects.select_for_update(no_key=True).filter(slug=spec.slug).first()
        if course is None:
            self.report.created = True
            course = Course(slug=spec.slug, **values)
            try:
                with transaction.atomic():
                    course.save()
            except IntegrityError:
                raise Conflict(f"Course {spec.slug!r} was created by another import at the same time; try again.")
            return course
        changed = _diff(course, values)
        if changed:
            course.save(update_fields=[*changed, "updated_at"])
        self.report.course_fields = changed
        return course

    # --- removals ---
    def _remove_items(self, lessons: dict[str, Lesson], quizzes: dict[str, Quiz]) -> None:
        lesson_slugs = {lesson.slug for lesson in self.spec.lessons}
        quiz_slugs = {quiz.slug for quiz in self.spec.quizzes}
        gone_lessons = [lesson for slug, lesson in lessons.items() if slug not in lesson_slugs]
        gone_quizzes = [quiz for slug, quiz in quizzes.items() if slug not in quiz_slugs]
        for lesson in sorted(gone_lessons, key=lambda i: i.slug):
            self.report.lessons.removed.append(
                ItemChange(lesson.slug, lesson.title, learners=self.completions.get(lesson.pk, 0))
            )
            del lessons[lesson.slug]
        for quiz in sorted(gone_quizzes, key=lambda i: i.slug):
            self.report.quizzes.removed.append(
                ItemChange(quiz.slug, quiz.title, learners=self.attempts.get(quiz.pk, 0))
            )
            del quizzes[quiz.slug]
        if gone_lessons or gone_quizzes:
            self.structure_changed = True
            Lesson.objects.filter(pk__in=[i.pk for i in gone_lessons]).delete()
            Quiz.objects.filter(pk__in=[i.pk for i in gone_quizzes]).delete()

    def _module_learners(self, module: Module) -> int:
        enrolled_learners = self.enrolled.values("learner_id")
        done = LessonCompletion.objects.filter(lesson__module=module, learner__in=enrolled_learners)
        tried = QuizAttempt.objects.filter(quiz__module=module, learner__in=enrolled_learners)
        return len(set(done.values_list("learner_id", flat=True)) | set(tried.values_list("learner_id", flat=True)))

    # --- modules ---
    def _modules_removed(self, existing: dict[str, Module]) -> list[Module]:
        wanted = {m.slug for m in self.spec.modules}
        removed = sorted((m for slug, m in existing.items() if slug not in wanted), key=lambda m: m.slug)
        for module in removed:
            self.report.modules.removed.append(
                ItemChange(module.slug, module.title, learners=self._module_learners(module))
            )
        self.structure_changed |= bool(removed)
        return removed

    def _modules_sync(self, course: Course, existing: dict[str, Module]) -> dict[str, Module]:
        """Create and update modules; removed ones are parked on temporary positions and deleted
        by the caller once their surviving lessons and quizzes have moved out."""
        wanted = {m.slug: m for m in self.spec.modules}
        moving = [m for m in existing.values() if m.slug not in wanted or m.position != wanted[m.slug].position]
        floor = max([POSITION_MAX, *(m.position for m in existing.values())])
        _temporary_positions(Module, [m.pk for m in moving], floor=floor)

        result: dict[str, Module] = {}
        for spec in self.spec.modules:
            values = {"title": spec.title, "summary": spec.summary, "position": spec.position}
            module = existing.get(spec.slug)
            if module is None:
                module = Module.objects.create(course=course, slug=spec.slug, **values)
                self.report.modules.added.append(ItemChange(spec.slug, spec.title, learners=self.report.enrolled))
                self.structure_changed = True
            else:
                changed = _diff(module, values)
                if changed:
                    module.save(update_fields=[*changed, "updated_at"])
                    learners = self._module_learners(module)
                    self.report.modules.changed.append(ItemChange(spec.slug, spec.title, changed, learners))
                    self.structure_changed |= "position" in changed
                else:
                    self.report.modules.unchanged.append(spec.slug)
            result[spec.slug] = module
        return result

    # --- lessons ---
    def _lessons_sync(self, course: Course, existing: dict[str, Lesson], modules: dict[str, Module]) -> None:
        targets = {
            lesson.slug: (modules[module.slug], lesson) for module in self.spec.modules for lesson in module.lessons
        }
        moving = [
            lesson
            for slug, lesson in existing.items()
            if (lesson.module_id, lesson.position) != (targets[slug][0].pk, targets[slug][1].position)
        ]
        floor = max([POSITION_MAX, *(lesson.position for lesson in existing.values())])
        parked = {lesson.pk for lesson in moving}
        _temporary_positions(Lesson, list(parked), floor=floor)

        for slug, (module, spec) in targets.items():
            values = {
                "module_id": module.pk,
                "position": spec.position,
                "title": spec.title,
                "body_markdown": spec.body,
                "body_html": render_markdown(spec.body),
                "estimated_minutes": spec.estimated_minutes or estimate_minutes(spec.body),
            }
            lesson = existing.get(slug)
            if lesson is None:
                Lesson.objects.create(course=course, slug=slug, **values)
                self.report.lessons.added.append(ItemChange(slug, spec.title, learners=self.report.enrolled))
                self.structure_changed = True
                continue
            changed = _diff(lesson, values)
            if not changed:
                self.report.lessons.unchanged.append(slug)
                continue
            lesson.save(update_fields=_with_position(changed, parked=lesson.pk in parked))
            shown = [
                name.removesuffix("_id") for name in changed if not (name == "body_html" and "body_markdown" in changed)
            ]
            self.report.lessons.changed.append(ItemChange(slug, spec.title, shown, self.completions.get(lesson.pk, 0)))
            self.structure_changed |= bool({"module_id", "position"} & set(changed))

    # --- quizzes ---
    def _quizzes_sync(self, course: Course, existing: dict[str, Quiz], modules: dict[str, Module]) -> None:
        targets = {quiz.slug: (modules[module.slug], quiz) for module in self.spec.modules for quiz in module.quizzes}
        moving = [
            quiz
            for slug, quiz in existing.items()
            if (quiz.module_id, quiz.position) != (targets[slug][0].pk, targets[slug][1].position)
        ]
        floor = max([POSITION_MAX, *(quiz.position for quiz in existing.values())])
        parked = {quiz.pk for quiz in moving}
        _temporary_positions(Quiz, list(parked), floor=floor)

        for slug, (module, spec) in targets.items():
            values = {
                "module_id": module.pk,
                "position": spec.position,
                "title": spec.title,
                "description": spec.description,
                "pass_percent": spec.pass_percent,
                "max_attempts": spec.max_attempts,
                "scoring": spec.scoring,
                "reveal_answers": spec.reveal_answers,
                "time_limit_minutes": spec.time_limit_minutes,
                "shuffle": spec.shuffle,
                "draw": spec.draw,
            }
            quiz = existing.get(slug)
            if quiz is None:
                quiz = Quiz.objects.create(course=course, slug=slug, **values)
                _questions_sync(quiz, spec.questions, existing=[])
                self.report.quizzes.added.append(ItemChange(slug, spec.title, learners=self.report.enrolled))
                self.structure_changed = True
                continue
            changed = _diff(quiz, values)
            if changed:
                quiz.save(update_fields=_with_position(changed, parked=quiz.pk in parked))
            if _questions_sync(quiz, spec.questions, existing=list(quiz.questions.all())):
                if not changed:
                    quiz.save(update_fields=["updated_at"])
                changed.append("questions")
            if not changed:
                self.report.quizzes.unchanged.append(slug)
                continue
            shown = [name.removesuffix("_id") for name in changed]
            self.report.quizzes.changed.append(ItemChange(slug, spec.title, shown, self.attempts.get(quiz.pk, 0)))
            self.structure_changed |= bool({"module_id", "position"} & set(changed))


def _questions_sync(quiz: Quiz, specs: list[QuestionSpec], *, existing: list[Question]) -> bool:
    """Match questions by position (1, 2, ...) and their choices, items and prompts by position, options
    by text (``quizzes.questions.questions_write``, as the authoring API does): update in place, create
    the new, delete the extra. Returns whether anything changed."""
    del existing  # the writer reads the quiz's rows itself
    return questions_write(quiz=quiz, questions=[_question_dict(spec) for spec in specs])


def _question_dict(spec: QuestionSpec) -> dict[str, Any]:
    return {
        "id": None,
        "text": spec.text,
        "kind": spec.kind,
        "points": spec.points,
        "choices": [
            {"id": None, "text": c.text, "is_correct": c.correct, "explanation": c.explanation} for c in spec.choices
        ],
        "answer": spec.answer,
        "tolerance": (spec.tolerance if spec.tolerance is not None else Decimal(0)) if spec.kind == "numeric" else None,
        "accepted": list(spec.accepted),
        "items": [{"id": None, "text": text} for text in spec.items],
        "pairs": [{"prompt": prompt, "option": option} for prompt, option in spec.pairs],
        "distractors": list(spec.distractors),
    }
