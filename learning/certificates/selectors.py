"""Reads for certificates: the caller's own, and one by its public code."""

from django.db.models import QuerySet

from accounts.models import User
from courseware.models import Certificate, certificate_code_candidates


def certificate_list(*, user: User) -> QuerySet[Certificate]:
    return Certificate.objects.filter(learner=user).select_related("course").order_by("-issued_at")


def certificate_get_public(*, code: str) -> Certificate | None:
    return Certificate.objects.filter(code__in=certificate_code_candidates(code)).first()
