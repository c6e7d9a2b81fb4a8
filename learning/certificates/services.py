"""Writes for certificates: issued exactly once when a learner completes, emailed, revoked,
reinstated, reissued."""

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from courseware.models import Certificate, Enrollment
from events.services import event_record
from notifications.services import email_queue

logger = logging.getLogger(__name__)


def certificate_issue(*, enrollment: Enrollment) -> tuple[Certificate, bool]:
    """Issue the enrollment's certificate exactly once and queue its email (idempotent)."""
    with transaction.atomic():
        certificate = Certificate.objects.filter(
            learner_id=enrollment.learner_id, course_id=enrollment.course_id
        ).first()
        created = False
        if certificate is None:
            learner = enrollment.learner
            try:
                with transaction.atomic():
                    certificate = Certificate.objects.create(
                        learner=learner,
                        course=enrollment.course,
                        learner_name=learner.display_name,
                        course_title=enrollment.course.title,
                    )
                created = True
                _certificate_event(certificate, "certificate.issued")
            except IntegrityError:
                certificate = Certificate.objects.get(learner_id=enrollment.learner_id, course_id=enrollment.course_id)
        if not certificate.revoked:
            certificate_email_queue(certificate=certificate)
    return certificate, created


def _certificate_event(certificate: Certificate, type_: str, **data) -> None:
    event_record(
        type=type_,
        course_id=certificate.course_id,
        learner_id=certificate.learner_id,
        data={"certificate": certificate.code, "course_title": certificate.course_title, **data},
    )


def certificate_email_queue(*, certificate: Certificate, resend: bool = False) -> None:
    email_queue(
        kind="certificate",
        key=f"certificate:{certificate.code}",
        user=certificate.learner,
        context={"certificate_id": certificate.pk},
        resend=resend,
    )


@transaction.atomic
def certificate_revoke(*, certificate: Certificate, reason: str = "") -> Certificate:
    certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
    if not certificate.revoked:
        certificate.revoked = True
        certificate.revoked_at = timezone.now()
        certificate.revoked_reason = reason[:300]
        certificate.save(update_fields=["revoked", "revoked_at", "revoked_reason"])
        _certificate_event(certificate, "certificate.revoked", reason=certificate.revoked_reason)
    return certificate


@transaction.atomic
def certificate_reinstate(*, certificate: Certificate) -> Certificate:
    certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
    if certificate.revoked:
        certificate.revoked = False
        certificate.revoked_at = None
        certificate.revoked_reason = ""
        certificate.save(update_fields=["revoked", "revoked_at", "revoked_reason"])
        _certificate_event(certificate, "certificate.revoked", reason=certificate.revoked_reason)
    return certificate


@transaction.atomic
def certificate_reissue(*, certificate: Certificate) -> Certificate:
    """Replace a certificate with a fresh one (new code, current names), e.g. after a name change or
    a leaked code. The old code stops verifying; the new certificate is emailed."""
    old = Certificate.objects.select_for_update().select_related("learner", "course").get(pk=certificate.pk)
    learner, course = old.learner, old.course
    if not old.revoked:
        _certificate_event(old, "certificate.revoked", reason="reissued")
    old.delete()
    new = Certificate.objects.create(
        learner=learner, course=course, learner_name=learner.display_name, course_title=course.title
    )
    _certificate_event(new, "certificate.issued", replaces=old.code)
    certificate_email_queue(certificate=new)
    return new
