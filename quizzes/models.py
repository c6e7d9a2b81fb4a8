from django.conf import settings
from django.db import models
from django.db.models import Q

from courseware.models import Retirable, TimeStamped


class Quiz(Retirable, TimeStamped):
    class Scoring(models.TextChoices):
        ALL_OR_NOTHING = "all_or_nothing", "All or nothing per question"
        PARTIAL = "partial", "Partial credit per question"

    class Reveal(models.TextChoices):
        AFTER_PASS_OR_LAST_ATTEMPT = "after_pass_or_last_attempt", "After a pass or the last attempt"
        NEVER = "never", "Never"

    module = models.ForeignKey("courseware.Module", on_delete=models.CASCADE, related_name="quizzes")
    course = models.ForeignKey("courseware.Course", on_delete=models.CASCADE, related_name="quizzes")
    slug = models.SlugField(max_length=100)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField()
    pass_percent = models.PositiveSmallIntegerField(default=70)
    max_attempts = models.PositiveSmallIntegerField(default=3)
    scoring = models.CharField(max_length=20, choices=Scoring.choices, default=Scoring.ALL_OR_NOTHING)
    reveal_answers = models.CharField(max_length=32, choices=Reveal.choices, default=Reveal.AFTER_PASS_OR_LAST_ATTEMPT)
    time_limit_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    shuffle = models.BooleanField(
        default=False,
        help_text="Shuffle questions and choices per attempt, stable within it (new quizzes from the API and the "
        "course folder format shuffle unless told not to). Ordering items and matching options are always shuffled.",
    )
    key_version = models.PositiveIntegerField(
        default=0, help_text="Bumped whenever the questions change; attempts graded on an older one are stale."
    )
    draw = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Each attempt gets this many questions drawn from the quiz's (empty: all)."
    )

    class Meta:
        verbose_name_plural = "quizzes"
        ordering = ["module__position", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["module", "position"], condition=Q(removed_at__isnull=True), name="quiz_position_unique"
            ),
            models.UniqueConstraint(
                fields=["course", "slug"], condition=Q(removed_at__isnull=True), name="quiz_slug_unique"
            ),
            models.CheckConstraint(condition=Q(position__gte=1), name="quiz_position_positive"),
            models.CheckConstraint(
                condition=Q(pass_percent__gte=0) & Q(pass_percent__lte=100), name="quiz_pass_percent_range"
            ),
            models.CheckConstraint(condition=Q(max_attempts__gte=1), name="quiz_max_attempts_positive"),
            models.CheckConstraint(
                condition=Q(time_limit_minutes__isnull=True) | Q(time_limit_minutes__gte=1),
                name="quiz_time_limit_positive",
            ),
            models.CheckConstraint(condition=Q(draw__isnull=True) | Q(draw__gte=1), name="quiz_draw_positive"),
            models.CheckConstraint(condition=Q(scoring__in=["all_or_nothing", "partial"]), name="quiz_scoring_valid"),
        ]

    def __str__(self) -> str:
        return self.title


class Question(Retirable):
    class Kind(models.TextChoices):
        SINGLE = "single", "Single choice"
        MULTIPLE = "multiple", "Multiple choice"
        NUMERIC = "numeric", "Numeric (answer ± tolerance)"
        TEXT = "text", "Short text (accepted answers)"
        ORDERING = "ordering", "Ordering"
        MATCHING = "matching", "Matching"

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="questions")
    text = models.TextField()
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.SINGLE)
    position = models.PositiveIntegerField()
    points = models.PositiveSmallIntegerField(default=1, help_text="What a fully right answer is worth.")
    # numeric: the right value and the absolute tolerance around it
    answer = models.DecimalField(max_digits=24, decimal_places=8, null=True, blank=True)
    tolerance = models.DecimalField(max_digits=24, decimal_places=8, null=True, blank=True)
    # text: the accepted answers (compared after NFKC, case fold and whitespace collapse)
    accepted = models.JSONField(default=list, blank=True)
    # single/multiple: Choice rows with role "choice"; ordering: role "item", positioned in the right
    # order; matching: role "prompt" (each with its ``match``) and role "option" (distractors match nothing)

    class Meta:
        ordering = ["quiz", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["quiz", "position"], condition=Q(removed_at__isnull=True), name="question_position_unique"
            ),
            models.CheckConstraint(condition=Q(position__gte=1), name="question_position_positive"),
            models.CheckConstraint(
                condition=Q(kind__in=["single", "multiple", "numeric", "text", "ordering", "matching"]),
                name="question_kind_valid",
            ),
            models.CheckConstraint(condition=Q(points__gte=1), name="question_points_positive"),
            models.CheckConstraint(
                condition=Q(tolerance__isnull=True) | Q(tolerance__gte=0), name="question_tolerance_nonnegative"
            ),
        ]

    def __str__(self) -> str:
        return self.text[:80]


class Choice(models.Model):
    """A choice (single/multiple), an item to put in order (ordering), or a prompt or option (matching)."""

    class Role(models.TextChoices):
        CHOICE = "choice", "Choice"
        ITEM = "item", "Ordering item"
        PROMPT = "prompt", "Matching prompt"
        OPTION = "option", "Matching option"

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    role = models.CharField(max_length=8, choices=Role.choices, default=Role.CHOICE)
    text = models.CharField(max_length=500)
    is_correct = models.BooleanField(default=False)
    explanation = models.TextField(blank=True, help_text="Feedback shown after the learner submits.")
    position = models.PositiveIntegerField()
    match = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", help_text="A prompt's option."
    )

    class Meta:
        ordering = ["question", "role", "position"]
        constraints = [
            models.UniqueConstraint(fields=["question", "role", "position"], name="choice_position_unique"),
            models.CheckConstraint(
                condition=Q(role__in=["choice", "item", "prompt", "option"]), name="choice_role_valid"
            ),
            models.CheckConstraint(condition=Q(position__gte=1), name="choice_position_positive"),
        ]

    def __str__(self) -> str:
        return self.text[:80]


class QuizAttempt(models.Model):
    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        SUBMITTED = "submitted", "Submitted"

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="attempts")
    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quiz_attempts")
    course = models.ForeignKey("courseware.Course", on_delete=models.CASCADE, related_name="+")
    # 1, 2, ... per learner and quiz; unique, so two concurrent submissions can never share a slot.
    number = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    started_at = models.DateTimeField(auto_now_add=True)
    deadline = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    seed = models.PositiveIntegerField(default=0, help_text="Shuffle seed, stable within the attempt.")
    question_ids = models.JSONField(
        null=True, blank=True, help_text="The questions drawn for this attempt (quizzes with a draw); empty: all."
    )
    answers = models.JSONField(default=list, blank=True)
    results = models.JSONField(
        default=list,
        blank=True,
        help_text="Per question as graded: [{question, points_awarded, points_possible, correct}].",
    )
    score = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    passed = models.BooleanField(default=False)
    graded_key_version = models.PositiveIntegerField(default=0, help_text="The quiz's key version it was graded on.")
    content_digest = models.CharField(
        max_length=64,
        blank=True,
        default="",
        help_text="The published quiz (its content blob) the attempt was asked from.",
    )

    class Meta:
        ordering = ["quiz", "learner", "number"]
        constraints = [
            models.UniqueConstraint(fields=["quiz", "learner", "number"], name="attempt_number_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="attempt_number_positive"),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | (Q(score__gte=0) & Q(score__lte=100)), name="attempt_score_range"
            ),
            models.CheckConstraint(
                condition=Q(passed=False) | Q(status="submitted"), name="attempt_pass_when_submitted"
            ),
        ]
        indexes = [
            models.Index(fields=["learner", "course", "quiz"], name="attempt_learner_course_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.learner} on {self.quiz} #{self.number}"


class AttemptAnswer(models.Model):
    """The graded answer to one question of an attempt (feeds per-question analytics)."""

    attempt = models.ForeignKey(QuizAttempt, on_delete=models.CASCADE, related_name="graded_answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="graded_answers")
    choices = models.JSONField(default=list)
    response = models.JSONField(
        null=True, blank=True, help_text="The answer as given (value / order / pairs) for the other kinds."
    )
    is_correct = models.BooleanField()
    credit = models.DecimalField(max_digits=5, decimal_places=4)
    points_awarded = models.DecimalField(max_digits=9, decimal_places=4, null=True, blank=True)
    points_possible = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["attempt", "question"], name="attempt_answer_unique"),
            models.CheckConstraint(condition=Q(credit__gte=0) & Q(credit__lte=1), name="attempt_answer_credit_range"),
        ]
        indexes = [models.Index(fields=["question", "is_correct"], name="attempt_answer_question_idx")]

    def __str__(self) -> str:
        return f"{self.attempt} / question {self.question_id}"


class Regrade(models.Model):
    """One regrade of a quiz's attempts against its current key, run by a task in batches; ``watermark``
    (the last attempt id done) moves in the same transaction as each batch, so a worker killed mid-run
    resumes after the last committed batch and counts nothing twice. The audit of who asked, when, and
    what changed (``RegradeChange``)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        DONE = "done", "Done"

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="regrades")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    key_version = models.PositiveIntegerField(help_text="The quiz's key version this regrade grades against.")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    watermark = models.BigIntegerField(default=0, help_text="Attempts with ids up to this one are regraded.")
    attempts = models.PositiveIntegerField(default=0, help_text="Attempts looked at.")
    attempts_changed = models.PositiveIntegerField(default=0)
    newly_passed = models.PositiveIntegerField(default=0, help_text="Learners who now pass the quiz.")
    newly_failed = models.PositiveIntegerField(default=0, help_text="Learners who no longer pass the quiz.")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["quiz"], condition=Q(status__in=["pending", "running"]), name="regrade_one_open_per_quiz"
            ),
            models.CheckConstraint(condition=Q(status__in=["pending", "running", "done"]), name="regrade_status_valid"),
        ]

    def __str__(self) -> str:
        return f"Regrade {self.pk} of {self.quiz}"


class RegradeChange(models.Model):
    """One attempt whose score or pass a regrade changed: before and after."""

    regrade = models.ForeignKey(Regrade, on_delete=models.CASCADE, related_name="changes")
    attempt = models.ForeignKey(QuizAttempt, on_delete=models.CASCADE, related_name="regrade_changes")
    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    old_score = models.DecimalField(max_digits=5, decimal_places=2, null=True)
    new_score = models.DecimalField(max_digits=5, decimal_places=2)
    old_passed = models.BooleanField()
    new_passed = models.BooleanField()

    class Meta:
        ordering = ["regrade", "attempt"]
        constraints = [
            models.UniqueConstraint(fields=["regrade", "attempt"], name="regrade_change_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.attempt}: {self.old_score} → {self.new_score}"


class QuizOverride(TimeStamped):
    """An accommodation for one learner on one quiz (granted by its course's instructors or admins): extra
    attempts beyond ``max_attempts`` and extra minutes on a timed quiz. Every grant is kept
    (``QuizOverrideGrant``): who, when, what."""

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="overrides")
    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quiz_overrides")
    course = models.ForeignKey("courseware.Course", on_delete=models.CASCADE, related_name="+")
    extra_attempts = models.PositiveSmallIntegerField(default=0)
    extra_minutes = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["quiz", "learner"], name="quiz_override_unique")]
        indexes = [models.Index(fields=["learner", "course"], name="quiz_override_learner_idx")]

    def __str__(self) -> str:
        return f"{self.learner} on {self.quiz}: +{self.extra_attempts} attempts, +{self.extra_minutes} min"


class QuizOverrideGrant(models.Model):
    """The audit of overrides: each change, with who made it and why."""

    override = models.ForeignKey(QuizOverride, on_delete=models.CASCADE, related_name="grants")
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    granted_at = models.DateTimeField(auto_now_add=True)
    extra_attempts = models.PositiveSmallIntegerField()
    extra_minutes = models.PositiveSmallIntegerField()
    reopened = models.BooleanField(default=False, help_text="Granted as 'reopen': one attempt left from now.")
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-granted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.override} by {self.granted_by} at {self.granted_at:%Y-%m-%d %H:%M}"
