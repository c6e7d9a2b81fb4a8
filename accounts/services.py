"""Writes for users: registration and the instructor role."""

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import User
from config.errors import ApplicationError

# What the "instructors" group may do in the admin site (rows are further limited to the
# courses each instructor teaches).
INSTRUCTOR_PERMISSIONS = {
    "courseware": ["view_course", "add_course", "change_course", "view_module", "add_module", "change_module",
                   "delete_module", "view_enrollment", "change_enrollment", "view_enrollmentevent"],
    "lessons": ["view_lesson", "add_lesson", "change_lesson", "delete_lesson"],
    "quizzes": ["view_quiz", "add_quiz", "change_quiz", "delete_quiz", "view_question", "add_question",
                "change_question", "delete_question", "view_choice", "add_choice", "change_choice", "delete_choice"],
}  # fmt: skip


@transaction.atomic
def user_register(*, username: str, email: str, password: str) -> User:
    """Create a learner account. Username and email are unique case-insensitively."""
    # NFKC-normalised as Django's own forms do, so "ＡＤＡ" is "ADA" and cannot pose as "ada".
    username, email = User.normalize_username(username.strip()), email.strip()
    errors: dict[str, list[str]] = {}
    try:  # normalising may lengthen a name or change its characters: check it again
        User._meta.get_field("username").run_validators(username)
    except ValidationError as exc:
        errors["username"] = list(exc.messages)
    if User.objects.filter(username__iexact=username).exists():
        errors["username"] = ["A user with that username already exists."]
    if User.objects.filter(email__iexact=email).exists():
        errors["email"] = ["A user with that email already exists."]
    user = User(username=username, email=email)
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        errors["password"] = list(exc.messages)
    if errors:
        raise ValidationError(errors)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:  # a concurrent registration took the name or email first
        raise ValidationError({"username": ["A user with that username or email already exists."]})
    return user


def instructors_group_ensure() -> Group:
    group, _ = Group.objects.get_or_create(name=settings.INSTRUCTORS_GROUP)
    wanted = Permission.objects.none()
    for app_label, codenames in INSTRUCTOR_PERMISSIONS.items():
        wanted = wanted | Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
    group.permissions.add(*wanted)
    return group


@transaction.atomic
def instructor_grant(*, user: User) -> bool:
    """Give ``user`` the instructor role (idempotent). Returns True when it was newly granted.
    Instructors are staff so they can use the admin site, where they see only their courses."""
    if not user.is_active:
        raise ApplicationError("That account is deactivated.", field="username")
    group = instructors_group_ensure()
    granted = not user.groups.filter(pk=group.pk).exists()
    user.groups.add(group)
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff", "updated_at"])
    return granted


def user_update_profile(
    *, user: User, first_name: str | None = None, last_name: str | None = None, email_reminders: bool | None = None
) -> User:
    changed = []
    for name, value in (("first_name", first_name), ("last_name", last_name), ("email_reminders", email_reminders)):
        if value is not None and getattr(user, name) != value:
            setattr(user, name, value)
            changed.append(name)
    if changed:
        user.save(update_fields=[*changed, "updated_at"])
    return user
