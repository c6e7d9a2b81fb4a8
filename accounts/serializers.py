from django.contrib.auth.validators import UnicodeUsernameValidator
from rest_framework import serializers


class RegisterInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, validators=[UnicodeUsernameValidator()])
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, write_only=True, style={"input_type": "password"})
    name = serializers.CharField(max_length=150, required=False, allow_blank=True)


class UserOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.EmailField()


class MeOutputSerializer(UserOutputSerializer):
    roles = serializers.ListField(child=serializers.ChoiceField(choices=["learner", "instructor", "admin"]))
    name = serializers.CharField(help_text="Display name (certificates, emails); empty: the username is shown.")
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    email_reminders = serializers.BooleanField()


class MeInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    email_reminders = serializers.BooleanField(required=False)


class TokenInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, style={"input_type": "password"})


class TokenOutputSerializer(serializers.Serializer):
    token = serializers.CharField(
        help_text="The key: shown only here (the server keeps its digest); it is `current` in `GET /api/auth/tokens/`."
    )


class TokenListOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    client = serializers.CharField(help_text="The User-Agent that signed in.")
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    current = serializers.BooleanField(help_text="The token that made this request.")


class PasswordChangeInputSerializer(serializers.Serializer):
    old_password = serializers.CharField(max_length=128, style={"input_type": "password"})
    new_password = serializers.CharField(max_length=128, style={"input_type": "password"})


class PasswordResetInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class PasswordResetConfirmInputSerializer(serializers.Serializer):
    uid = serializers.CharField(max_length=64)
    token = serializers.CharField(max_length=128)
    new_password = serializers.CharField(max_length=128, style={"input_type": "password"})


class UsernameInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
