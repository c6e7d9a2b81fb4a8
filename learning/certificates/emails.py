"""The certificate email's content, with the PDF attached (registered with ``notifications``)."""

import logging

from accounts.models import User
from courseware.models import Certificate
from learning.certificates.pdf import certificate_pdf, certificate_pdf_url, certificate_verify_url
from notifications.models import OutboundEmail
from notifications.sending import EmailContent, EmailNotSendable

logger = logging.getLogger(__name__)


def certificate_content(email: OutboundEmail, user: User) -> EmailContent:
    certificate = Certificate.objects.filter(pk=email.context.get("certificate_id")).first()
    if certificate is None:
        raise EmailNotSendable("the certificate no longer exists (reissued with a new code?).")
    if certificate.revoked:
        raise EmailNotSendable("the certificate was revoked.")
    return EmailContent(
        context={
            "certificate": certificate,
            "course_title": certificate.course_title,
            "verify_url": certificate_verify_url(certificate=certificate),
            "pdf_url": certificate_pdf_url(certificate=certificate),
        },
        attachments=[
            (f"certificate-{certificate.code}.pdf", certificate_pdf(certificate=certificate), "application/pdf")
        ],
    )
