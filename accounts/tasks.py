"""Account tasks (queue ``default``): the password reset email."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import InterfaceError, OperationalError

from accounts.models import User
from accounts.tokens import password_reset_link


@shared_task(acks_late=True, autoretry_for=(OperationalError, InterfaceError, OSError), max_retries=5,
             retry_backoff=5)  # fmt: skip
def password_reset_email_send(*, user_id: int) -> None:
    """Mail a reset link to the user (a retry mails a fresh link; each works once, until it expires)."""
    user = User.objects.filter(pk=user_id, is_active=True).exclude(email="").first()
    if user is None:
        return
    minutes = settings.PASSWORD_RESET_TIMEOUT // 60
    body = (
        f"Hello {user.display_name},\n\n"
        f"Someone asked to reset the password of your account {user.username}. To choose a new one, open:\n\n"
        f"{password_reset_link(user=user)}\n\n"
        f"The link works once, within {minutes} minutes. If you did not ask, ignore this email: "
        "your password stays as it is.\n"
    )
    send_mail("Reset your password", body, settings.DEFAULT_FROM_EMAIL, [user.email])
