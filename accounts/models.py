from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower


class User(AbstractUser):
    """Every registered user is a learner. Instructors belong to the "instructors" group (and are
    named per course); admins are staff. Usernames and emails are unique case-insensitively."""

    email = models.EmailField("email address", blank=True)
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
        full = self.get_full_name()
        return full or self.username
