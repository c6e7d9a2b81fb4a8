"""The outbox of outbound events, the webhook subscriptions that receive them, and each delivery."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class Event(models.Model):
    """One fact worth telling integrators, written in the same transaction as the change it reports.

    ``uid`` is the event's public id (the ``webhook-id`` of every delivery of it). ``position`` is the
    commit-ordered cursor: NULL when written, assigned after commit by the dispatcher, one batch at a
    time under a lock, so a reader who saw position P never later finds a new row below P
    (``events.outbox``)."""

    class Type(models.TextChoices):
        ENROLLMENT_CREATED = "enrollment.created", "Enrollment created"
        ENROLLMENT_DROPPED = "enrollment.dropped", "Enrollment dropped"
        LESSON_COMPLETED = "lesson.completed", "Lesson completed"
        QUIZ_ATTEMPT_GRADED = "quiz.attempt_graded", "Quiz attempt graded"
        COURSE_COMPLETED = "course.completed", "Course completed"
        CERTIFICATE_ISSUED = "certificate.issued", "Certificate issued"
        CERTIFICATE_REVOKED = "certificate.revoked", "Certificate revoked"
        COURSE_PUBLISHED = "course.published", "Course published"

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    type = models.CharField(max_length=40, choices=Type.choices)
    course = models.ForeignKey("courseware.Course", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    course_slug = models.CharField(max_length=200, blank=True)
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    occurred_at = models.DateTimeField()
    position = models.BigIntegerField(null=True, blank=True, unique=True)
    positioned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    type__in=[
                        "enrollment.created",
                        "enrollment.dropped",
                        "lesson.completed",
                        "quiz.attempt_graded",
                        "course.completed",
                        "certificate.issued",
                        "certificate.revoked",
                        "course.published",
                    ]
                ),
                name="event_type_valid",
            ),
        ]
        indexes = [
            # The dispatcher's scan: rows written and not yet positioned, oldest first.
            models.Index(fields=["id"], condition=Q(position__isnull=True), name="event_unpositioned_idx"),
            models.Index(fields=["course", "position"], name="event_course_position_idx"),
            models.Index(fields=["type", "position"], name="event_type_position_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.uid}"


class WebhookSubscription(models.Model):
    """Where an admin or instructor wants events delivered. ``course`` NULL: every course the owner
    may see (all for admins, the ones they teach for instructors)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_subscriptions")
    url = models.URLField(max_length=2000)
    event_types = models.JSONField(default=list)
    course = models.ForeignKey(
        "courseware.Course", null=True, blank=True, on_delete=models.CASCADE, related_name="webhook_subscriptions"
    )
    secret = models.CharField(max_length=100)
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    # The first failed attempt since the last success: auto-disable counts from here.
    failing_since = models.DateTimeField(null=True, blank=True)
    # One sender at a time per subscription (per-subscription order): a worker claims the lease,
    # and a worker killed mid-send leaves a lease that simply expires.
    lease_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["is_active"], name="webhook_active_idx")]

    def __str__(self) -> str:
        return f"{self.url} ({self.owner_id})"


class WebhookDelivery(models.Model):
    """One event owed to one subscription: pending until a 2xx (delivered) or until retries run out
    (failed). The attempt count, the last answer and when the next try is due are kept on the row: the
    delivery log of a subscription is its rows, newest first."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed (gave up)"

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    position = models.BigIntegerField()  # the event's, copied: the sender's order without a join
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempt = models.PositiveIntegerField(default=0)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-position"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "event"], name="webhook_delivery_once"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "delivered", "failed"]), name="webhook_delivery_status_valid"
            ),
        ]
        indexes = [
            # The sender's head-of-line read and the sweep: a subscription's pending deliveries in order.
            models.Index(
                fields=["subscription", "position"], condition=Q(status="pending"), name="webhook_delivery_pending_idx"
            ),
            models.Index(fields=["subscription", "-position"], name="webhook_delivery_log_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} -> {self.subscription_id} ({self.status})"
