from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower


class User(AbstractUser):
    """Every registered user is a learner. Instructors belong to the "instructors" group (and are
    named per course); admins are staff. Usernames and emails are unique case-insensitively."""

    email = models.EmailField("email address", blank=True)
    name = models.CharField(
        "display name", max_length=150, blank=True, help_text="Shown on certificates and in emails (else the username)."
    )
    email_reminders = models.BooleanField(
        default=True, help_text="Receives inactivity reminders; cleared by the unsubscribe link."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("username"), name="user_username_ci_unique"),
            models.UniqueConstraint(Lower("email"), condition=~models.Q(email=""), name="user_email_ci_unique"),
        ]

    @property
    def display_name(self) -> str:
        return display_name_of(
            name=self.name, first_name=self.first_name, last_name=self.last_name, username=self.username
        )


def display_name_of(*, name: str, first_name: str, last_name: str, username: str) -> str:
    """What a user is shown as: the name they chose, else their full name (``get_full_name``), else
    their username. From the fields alone, for rows read without building a ``User``."""
    return name or f"{first_name} {last_name}".strip() or username


class AuthToken(models.Model):
    """An API token held by one client of a user (a user may hold several). Only the SHA-256 digest
    of the key is stored (as django-rest-knox does); the key itself is shown once, at creation.
    Clients send ``Authorization: Token <key>``."""

    digest = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="auth_tokens")
    client = models.CharField(max_length=200, blank=True, help_text="Who asked for it (the User-Agent).")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Empty: never (TOKEN_TTL_DAYS unset).")

    class Meta:
        indexes = [models.Index(fields=["user", "created_at"], name="authtoken_user_created")]

    def __str__(self) -> str:
        return f"token {self.pk} of user {self.user_id}"
