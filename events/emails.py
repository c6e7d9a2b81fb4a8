"""The email an owner gets when their webhook subscription was disabled (registered with
``notifications`` from ``EventsConfig.ready``)."""

from accounts.models import User
from events.models import WebhookSubscription
from notifications.models import OutboundEmail
from notifications.sending import EmailContent, EmailNotSendable


def webhook_disabled_content(email: OutboundEmail, user: User) -> EmailContent:
    subscription = WebhookSubscription.objects.filter(pk=email.context.get("subscription_id")).first()
    if subscription is None:
        raise EmailNotSendable("the subscription no longer exists.")
    return EmailContent(context={"subscription": subscription})
