from drf_spectacular.utils import PolymorphicProxySerializer
from rest_framework import serializers

from events.models import Event, WebhookDelivery, WebhookSubscription

EVENT_TYPES = Event.Type.values


# --- The feed -------------------------------------------------------------------------------------
class EventsQuerySerializer(serializers.Serializer):
    after = serializers.IntegerField(required=False, min_value=0, default=0, help_text="The cursor read last.")
    type = serializers.CharField(required=False, help_text="Event types, comma-separated.")
    course = serializers.SlugField(required=False, help_text="A course's slug.")
    limit = serializers.IntegerField(required=False, min_value=1, max_value=1000, default=100)

    def to_internal_value(self, data):
        # DRF reads an empty query parameter (``?type=``) as an absent one; here it is a mistake.
        blank = {name: ["May not be blank."] for name in self.fields if name in data and data.get(name) == ""}
        if blank:
            raise serializers.ValidationError(blank)
        return super().to_internal_value(data)

    def validate_type(self, value: str) -> list[str]:
        types = [t.strip() for t in value.split(",") if t.strip()]
        unknown = [t for t in types if t not in EVENT_TYPES]
        if unknown:
            raise serializers.ValidationError(f"Unknown event types: {', '.join(unknown)}.")
        return types


class EventOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    type = serializers.ChoiceField(choices=Event.Type.choices)
    occurred_at = serializers.DateTimeField()
    course = serializers.CharField(allow_null=True, help_text="The course's slug.")
    learner = serializers.IntegerField(allow_null=True, help_text="The learner's user id.")
    data = serializers.DictField()
    cursor = serializers.CharField(help_text="This event's position in commit order.")


class XAPIStatementSerializer(serializers.Serializer):
    """An xAPI 1.0.3 statement (``?format=xapi``); its id is the event's id."""

    id = serializers.UUIDField()
    actor = serializers.DictField(help_text="`{objectType: Agent, account: {homePage, name}}`: the learner.")
    verb = serializers.DictField(help_text="`{id, display}`: an ADL or xAPI-registry verb.")
    object = serializers.DictField(help_text="The activity: the course, lesson, quiz or certificate.")
    result = serializers.DictField(required=False)
    context = serializers.DictField(required=False)
    timestamp = serializers.CharField()
    version = serializers.CharField()


class EventsPageSerializer(serializers.Serializer):
    results = PolymorphicProxySerializer(
        component_name="EventOrStatement",
        serializers=[EventOutputSerializer, XAPIStatementSerializer],
        resource_type_field_name=None,
        many=True,
        help_text="Events; with `?format=xapi`, xAPI statements.",
    )
    next_cursor = serializers.CharField(help_text="Pass as `after` to read on (the same value when nothing is new).")


# --- Subscriptions --------------------------------------------------------------------------------
class SubscriptionInputSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=2000)
    events = serializers.ListField(child=serializers.ChoiceField(choices=EVENT_TYPES), allow_empty=False)
    course = serializers.SlugField(required=False, allow_null=True)


class SubscriptionUpdateSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=2000, required=False)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_TYPES), allow_empty=False, required=False
    )
    course = serializers.SlugField(required=False, allow_null=True)
    is_active = serializers.BooleanField(required=False)


class SubscriptionOutputSerializer(serializers.ModelSerializer):
    events = serializers.ListField(source="event_types", child=serializers.CharField())
    course = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)

    class Meta:
        model = WebhookSubscription
        fields = ["id", "url", "events", "course", "is_active", "disabled_at", "disabled_reason", "created_at"]


class SubscriptionCreatedSerializer(SubscriptionOutputSerializer):
    secret = serializers.CharField(help_text="`whsec_...`: shown only in this answer.")

    class Meta(SubscriptionOutputSerializer.Meta):
        fields = [*SubscriptionOutputSerializer.Meta.fields, "secret"]


class SecretSerializer(serializers.Serializer):
    secret = serializers.CharField(help_text="The new `whsec_...` secret, shown only here.")
    previous_secret_expires_at = serializers.DateTimeField(
        help_text="Until then deliveries carry a second signature made with the old secret."
    )


class DeliveryOutputSerializer(serializers.ModelSerializer):
    event = serializers.UUIDField(source="event.uid")
    event_type = serializers.CharField(source="event.type")
    cursor = serializers.CharField(source="position")

    class Meta:
        model = WebhookDelivery
        fields = [
            "id", "event", "event_type", "cursor", "status", "attempt", "status_code", "error",
            "delivered_at", "next_attempt_at", "last_attempt_at",
        ]  # fmt: skip


class ReplayInputSerializer(serializers.Serializer):
    after = serializers.IntegerField(min_value=0, help_text="Replay every event after this cursor.")


class ReplayOutputSerializer(serializers.Serializer):
    queued = serializers.IntegerField()
