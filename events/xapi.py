"""Events as xAPI 1.0.3 statements (``GET /api/events/?format=xapi``).

The actor is the learner's account on this platform (``homePage`` = ``PUBLIC_BASE_URL``, ``name`` =
their user id); verbs come from the ADL vocabulary where it has one (registered, completed, passed,
failed) and from the xAPI registry otherwise (earned, unregistered); a certificate's revocation uses
this platform's own verb IRI. The statement id is the event id, so a statement is the same whenever it
is read. ``course.published`` has no learner, hence no actor, and renders no statement (the feed's
cursor still moves past it)."""

from typing import Any

from django.conf import settings

from events.models import Event

XAPI_VERSION = "1.0.3"
ADL = "http://adlnet.gov/expapi/verbs/"
VERBS = {
    "registered": f"{ADL}registered",
    "completed": f"{ADL}completed",
    "passed": f"{ADL}passed",
    "failed": f"{ADL}failed",
    "earned": "http://id.tincanapi.com/verb/earned",
    "unregistered": "http://id.tincanapi.com/verb/unregistered",
}
ACTIVITY_TYPES = {
    "course": "http://adlnet.gov/expapi/activities/course",
    "lesson": "http://adlnet.gov/expapi/activities/lesson",
    "assessment": "http://adlnet.gov/expapi/activities/assessment",
    "certificate": "https://w3id.org/xapi/tla/activity-types/credential",
}


def _base() -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/")


def _verb(name: str) -> dict[str, Any]:
    iri = VERBS.get(name) or f"{_base()}/xapi/verbs/{name}"
    return {"id": iri, "display": {"en-US": name}}


def _activity(iri: str, kind: str, name: str | None = None) -> dict[str, Any]:
    definition: dict[str, Any] = {"type": ACTIVITY_TYPES[kind]}
    if name:
        definition["name"] = {"en-US": name}
    return {"objectType": "Activity", "id": iri, "definition": definition}


def _course_activity(event: Event) -> dict[str, Any]:
    slug = event.course_slug or f"id-{event.course_id}"
    return _activity(f"{_base()}/api/courses/{slug}/", "course", event.data.get("course_title"))


def statement(event: Event) -> dict[str, Any] | None:
    """The event's statement, or None for an event with no learner."""
    if event.learner_id is None:
        return None
    data = event.data
    course = _course_activity(event)
    result: dict[str, Any] | None = None
    parent = True
    match event.type:
        case Event.Type.ENROLLMENT_CREATED:
            verb, obj, parent = "registered", course, False
        case Event.Type.ENROLLMENT_DROPPED:
            verb, obj, parent = "unregistered", course, False
        case Event.Type.LESSON_COMPLETED:
            verb = "completed"
            obj = _activity(f"{_base()}/api/lessons/{data.get('lesson')}/", "lesson", data.get("lesson_title"))
            result = {"completion": True}
        case Event.Type.QUIZ_ATTEMPT_GRADED:
            passed = bool(data.get("passed"))
            verb = "passed" if passed else "failed"
            obj = _activity(f"{_base()}/api/quizzes/{data.get('quiz')}/", "assessment", data.get("quiz_title"))
            score = float(data.get("score") or 0)
            result = {
                "score": {"scaled": max(0.0, min(1.0, score / 100)), "raw": score, "min": 0, "max": 100},
                "success": passed,
                "completion": True,
            }
        case Event.Type.COURSE_COMPLETED:
            verb, obj, parent = "completed", course, False
            result = {"completion": True}
        case Event.Type.CERTIFICATE_ISSUED | Event.Type.CERTIFICATE_REVOKED:
            verb = "earned" if event.type == Event.Type.CERTIFICATE_ISSUED else "revoked"
            obj = _activity(f"{_base()}/certificates/{data.get('certificate')}/", "certificate")
        case _:
            return None
    out: dict[str, Any] = {
        "id": str(event.uid),
        "actor": {"objectType": "Agent", "account": {"homePage": _base(), "name": str(event.learner_id)}},
        "verb": _verb(verb),
        "object": obj,
        "timestamp": event.occurred_at.isoformat().replace("+00:00", "Z"),
        "version": XAPI_VERSION,
        "context": {"platform": "Courses", "extensions": {f"{_base()}/xapi/extensions/cursor": str(event.position)}},
    }
    if parent:
        out["context"]["contextActivities"] = {"parent": [course]}
    if result is not None:
        out["result"] = result
    return out
