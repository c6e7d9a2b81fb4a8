from django.conf import settings
from django.db import models
from django.db.models import Q


class OutboundEmail(models.Model):
    """Every email the platform sends, one row per logical message.

    ``key`` makes a message idempotent: queueing the same key twice yields the same row, and a
    retried send task finds it already ``sent``.
    """

    class Kind(models.TextChoices):
        CERTIFICATE = "certificate", "Certificate"
        WELCOME = "welcome", "Welcome"
        REMINDER = "reminder", "Inactivity reminder"
        WEBHOOK_DISABLED = "webhook_disabled", "Webhook disabled"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="emails")
    recipient = models.EmailField()
    subject = models.CharField(max_length=300, blank=True)
    context = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["pending", "sent", "failed"]), name="email_status_valid"),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="email_status_idx")]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient} ({self.status})"
