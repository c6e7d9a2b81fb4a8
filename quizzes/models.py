from django.conf import settings
from django.db import models
from django.db.models import Q

from courseware.models import TimeStamped


class Quiz(TimeStamped):
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
    shuffle = models.BooleanField(default=False, help_text="Shuffle questions and choices, stable within an attempt.")

    class Meta:
        verbose_name_plural = "quizzes"
        ordering = ["module__position", "position"]
        constraints = [
            models.UniqueConstraint(fields=["module", "position"], name="quiz_position_unique"),
            models.UniqueConstraint(fields=["course", "slug"], name="quiz_slug_unique"),
            models.CheckConstraint(condition=Q(position__gte=1), name="quiz_position_positive"),
            models.CheckConstraint(
                condition=Q(pass_percent__gte=0) & Q(pass_percent__lte=100), name="quiz_pass_percent_range"
            ),
            models.CheckConstraint(condition=Q(max_attempts__gte=1), name="quiz_max_attempts_positive"),
            models.CheckConstraint(
                condition=Q(time_limit_minutes__isnull=True) | Q(time_limit_minutes__gte=1),
                name="quiz_time_limit_positive",
            ),
            models.CheckConstraint(condition=Q(scoring__in=["all_or_nothing", "partial"]), name="quiz_scoring_valid"),
        ]

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", "Single choice"
        MULTIPLE = "multiple", "Multiple choice"

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="questions")
    text = models.TextField()
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.SINGLE)
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["quiz", "position"]
        constraints = [
            models.UniqueConstraint(fields=["quiz", "position"], name="question_position_unique"),
            models.CheckConstraint(condition=Q(position__gte=1), name="question_position_positive"),
            models.CheckConstraint(condition=Q(kind__in=["single", "multiple"]), name="question_kind_valid"),
        ]

    def __str__(self) -> str:
        return self.text[:80]


class Choice(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    text = models.CharField(max_length=500)
    is_correct = models.BooleanField(default=False)
    explanation = models.TextField(blank=True, help_text="Feedback shown after the learner submits.")
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["question", "position"]
        constraints = [
            models.UniqueConstraint(fields=["question", "position"], name="choice_position_unique"),
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
    answers = models.JSONField(default=list, blank=True)
    score = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    passed = models.BooleanField(default=False)

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
    is_correct = models.BooleanField()
    credit = models.DecimalField(max_digits=5, decimal_places=4)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["attempt", "question"], name="attempt_answer_unique"),
            models.CheckConstraint(condition=Q(credit__gte=0) & Q(credit__lte=1), name="attempt_answer_credit_range"),
        ]
        indexes = [models.Index(fields=["question", "is_correct"], name="attempt_answer_question_idx")]

    def __str__(self) -> str:
        return f"{self.attempt} / question {self.question_id}"
