from django.contrib.auth.validators import UnicodeUsernameValidator
from rest_framework import serializers


class RegisterInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, validators=[UnicodeUsernameValidator()])
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, write_only=True, style={"input_type": "password"})


class UserOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.EmailField()


class MeOutputSerializer(UserOutputSerializer):
    roles = serializers.ListField(child=serializers.ChoiceField(choices=["learner", "instructor", "admin"]))
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    email_reminders = serializers.BooleanField()


class MeInputSerializer(serializers.Serializer):
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    email_reminders = serializers.BooleanField(required=False)


class TokenInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, style={"input_type": "password"})


class TokenOutputSerializer(serializers.Serializer):
    token = serializers.CharField()


class UsernameInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
