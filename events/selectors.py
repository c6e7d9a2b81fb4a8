"""Reads of events and subscriptions, limited to what the caller may see."""

from django.db.models import QuerySet

from accounts.models import User
from accounts.selectors import user_is_admin, user_is_instructor
from events.models import Event, WebhookDelivery, WebhookSubscription


def user_may_integrate(user: User) -> bool:
    """Admins, and instructors (the role, or a course taught): the feed and webhooks are theirs."""
    return user_is_admin(user) or user_is_instructor(user) or user.taught_courses.exists()


def events_visible(*, user: User) -> QuerySet[Event]:
    """Positioned (committed and numbered) events in commit order: every one for admins, those of
    the courses they teach for instructors."""
    events = Event.objects.filter(position__isnull=False).order_by("position")
    if user_is_admin(user):
        return events
    return events.filter(course__instructors=user)


def events_page(
    *, user: User, after: int = 0, types: list[str] | None = None, course_slug: str | None = None, limit: int = 100
) -> list[Event]:
    events = events_visible(user=user).filter(position__gt=after)
    if types:
        events = events.filter(type__in=types)
    if course_slug:
        events = events.filter(course_slug=course_slug)
    return list(events[:limit])


def subscriptions_of(*, user: User) -> QuerySet[WebhookSubscription]:
    return WebhookSubscription.objects.filter(owner=user).select_related("course").order_by("id")


def subscription_deliveries(*, subscription: WebhookSubscription) -> QuerySet[WebhookDelivery]:
    """The delivery log, newest event first."""
    return (
        WebhookDelivery.objects.filter(subscription=subscription).select_related("event").order_by("-position", "-id")
    )


def course_id_visible(*, user: User, slug: str) -> int | None:
    """The id of the course ``slug`` if the caller may subscribe to it (admins: any; instructors:
    theirs). The course model is reached through the subscription's foreign key: events names no
    app above it."""
    if user_is_admin(user):
        course_model = WebhookSubscription.course.field.related_model
        return course_model.objects.filter(slug=slug).values_list("pk", flat=True).first()
    return user.taught_courses.filter(slug=slug).values_list("pk", flat=True).first()
