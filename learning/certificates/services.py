"""Writes for certificates: issued exactly once when a learner completes, emailed, revoked,
reinstated, reissued."""

import logging
from datetime import datetime

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import User
from courseware.models import Certificate, Enrollment, new_certificate_code
from events.services import event_record, event_record_many
from notifications.services import email_queue, email_queue_many, emails_pending_send

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


def certificates_issue_many(*, completed: list[tuple[int, int]], course_titles: dict[int, str]) -> list[Certificate]:
    """``certificate_issue`` for many completed ``(learner_id, course_id)`` at once, in the caller's
    transaction: one SELECT of the certificates they hold, one INSERT ... ON CONFLICT DO NOTHING of
    the missing ones (the (learner, course) unique constraint is the exactly-once guard: a row that
    a concurrent issuer inserted first is skipped, and its issuer reports and emails it), one
    ``certificate.issued`` event per row inserted, and the email of every valid one queued (by its
    unique key: at most one each). Returns the certificates inserted."""
    if not completed:
        return []
    learner_ids = sorted({learner_id for learner_id, _ in completed})
    held = _certificates_held(learner_ids=learner_ids, course_ids=sorted({c for _, c in completed}))
    missing = [(learner_id, course_id) for learner_id, course_id in completed if (learner_id, course_id) not in held]
    users = User.objects.in_bulk(learner_ids)
    created: list[Certificate] = []
    if missing:
        now = timezone.now()
        table = Certificate._meta.db_table
        rows, params = [], []
        for learner_id, course_id in missing:
            rows.append("(%s, %s, %s, %s, %s, %s, %s, %s)")
            params += [learner_id, course_id, new_certificate_code(), users[learner_id].display_name,
                       course_titles[course_id], now, False, ""]  # fmt: skip
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f'INSERT INTO "{table}" ("learner_id", "course_id", "code", "learner_name", "course_title", '  # noqa: S608
                f'"issued_at", "revoked", "revoked_reason") VALUES {", ".join(rows)} '
                'ON CONFLICT ("learner_id", "course_id") DO NOTHING '
                'RETURNING "id", "learner_id", "course_id", "code", "learner_name", "course_title"',
                params,
            )
            for pk, learner_id, course_id, code, name, title in cursor.fetchall():
                created.append(
                    Certificate(pk=pk, learner_id=learner_id, course_id=course_id, code=code, learner_name=name,
                                course_title=title, issued_at=now, revoked=False)
                )  # fmt: skip
        event_record_many(
            events=[
                {
                    "type": "certificate.issued",
                    "course_id": c.course_id,
                    "learner_id": c.learner_id,
                    "data": {"certificate": c.code, "course_title": c.course_title},
                }
                for c in created
            ]
        )
    valid = [(held[pair][1], pair[0], held[pair][0]) for pair in completed if pair in held and not held[pair][2]]
    valid += [(c.code, c.learner_id, c.pk) for c in created]
    email_queue_many(
        kind="certificate",
        messages=[(f"certificate:{code}", users[learner_id], {"certificate_id": pk}) for code, learner_id, pk in valid],
    )
    return created


def _certificates_held(
    *, learner_ids: list[int], course_ids: list[int]
) -> dict[tuple[int, int], tuple[int, str, bool]]:
    """``{(learner_id, course_id): (id, code, revoked)}`` of the certificates these learners hold in
    these courses (one query)."""
    rows = Certificate.objects.filter(learner_id__in=learner_ids, course_id__in=course_ids).values_list(
        "learner_id", "course_id", "pk", "code", "revoked"
    )
    return {(learner_id, course_id): (pk, code, revoked) for learner_id, course_id, pk, code, revoked in rows}


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


def certificate_emails_pending_send(*, queued_since: datetime) -> int:
    """Send again every certificate email queued since ``queued_since`` and still pending (see
    ``notifications.services.emails_pending_send``)."""
    return emails_pending_send(kind="certificate", queued_since=queued_since)


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
    old = Certificate.objects.select_for_update(of=("self",)).select_related("learner", "course").get(pk=certificate.pk)
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
