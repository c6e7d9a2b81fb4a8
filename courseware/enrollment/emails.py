"""The welcome email's content (registered with ``notifications`` from ``CoursewareConfig.ready``)."""

import logging

from accounts.models import User
from courseware.models import Enrollment
from notifications.models import OutboundEmail
from notifications.sending import EmailContent, EmailNotSendable

logger = logging.getLogger(__name__)


def email_enrollment(email: OutboundEmail) -> "Enrollment":
    enrollment = Enrollment.objects.select_related("course").filter(pk=email.context.get("enrollment_id")).first()
    if enrollment is None:
        raise EmailNotSendable("the enrollment no longer exists.")
    return enrollment


def welcome_content(email: OutboundEmail, user: User) -> EmailContent:
    enrollment = email_enrollment(email)
    return EmailContent(context={"enrollment": enrollment, "course": enrollment.course})
