"""Asking for a regrade: the run row, and its task sent after commit (``quizzes.tasks``)."""

from django.db import IntegrityError, transaction

from accounts.models import User
from config.tasks import enqueue_on_commit
from quizzes.models import Quiz, Regrade
from quizzes.tasks import regrade_run


def quiz_regrade_request(*, quiz: Quiz, user: User | None) -> tuple[Regrade, bool]:
    """Ask for a regrade (returns the one already pending or running for this quiz, if any): the run
    is a task on the ``progress`` queue, sent after commit."""
    try:
        with transaction.atomic():
            regrade = Regrade.objects.create(quiz=quiz, requested_by=user, key_version=quiz.key_version)
            enqueue_on_commit(regrade_run, regrade.pk)
            return regrade, True
    except IntegrityError:  # one open regrade per quiz (the partial unique constraint)
        return Regrade.objects.get(quiz=quiz, status__in=[Regrade.Status.PENDING, Regrade.Status.RUNNING]), False
