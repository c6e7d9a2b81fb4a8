"""The unsubscribe link of reminder emails: a click (GET) or a mail client's RFC 8058 one-click POST
(``List-Unsubscribe-Post``) turns the learner's reminders off. No login: the signed token is the proof."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from notifications.services import email_reminders_unsubscribe


@csrf_exempt  # mail providers POST without a session or CSRF token (RFC 8058)
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    user = email_reminders_unsubscribe(token=token)
    if user is None:
        response = render(request, "notifications/unsubscribe_invalid.html", status=400)
    else:
        response = render(request, "notifications/unsubscribed.html", {"user": user})
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
