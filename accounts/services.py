"""Writes for users: registration, the instructor role, API tokens and passwords."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode

from accounts import tasks
from accounts.models import AuthToken, User
from accounts.tokens import token_digest, token_key_new
from config.errors import ApplicationError, NotFound
from config.tasks import enqueue_on_commit

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
def user_register(*, username: str, email: str, password: str, name: str = "") -> User:
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
    user = User(username=username, email=email, name=name.strip())
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
    *,
    user: User,
    name: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
    email_reminders: bool | None = None,
) -> User:
    changed = []
    fields = (
        ("name", name),
        ("first_name", first_name),
        ("last_name", last_name),
        ("email_reminders", email_reminders),
    )
    for name, value in fields:
        if value is not None and getattr(user, name) != value:
            setattr(user, name, value)
            changed.append(name)
    if changed:
        user.save(update_fields=[*changed, "updated_at"])
    return user


# --- API tokens ---------------------------------------------------------------------------------
@transaction.atomic
def token_create(*, user: User, client: str = "") -> tuple[AuthToken, str]:
    """A new token for one client of ``user``: the row (holding only the key's digest) and the key,
    which is never readable again. Past ``TOKENS_PER_USER`` the user's oldest tokens are dropped."""
    key = token_key_new()
    ttl = settings.TOKEN_TTL_DAYS
    token = AuthToken.objects.create(
        user=user,
        digest=token_digest(key),
        client=client[:200],
        expires_at=timezone.now() + timedelta(days=ttl) if ttl else None,
    )
    keep = AuthToken.objects.filter(user=user).order_by("-created_at", "-pk").values_list("pk", flat=True)
    AuthToken.objects.filter(user=user).exclude(pk__in=list(keep[: max(1, settings.TOKENS_PER_USER)])).delete()
    return token, key


def token_revoke(*, user: User, token_id: int) -> None:
    """Revoke one of ``user``'s tokens (404 for a token that is not theirs)."""
    deleted, _ = AuthToken.objects.filter(user=user, pk=token_id).delete()
    if not deleted:
        raise NotFound("No such token.")


def token_revoke_current(*, user: User, digest: str) -> None:
    """Sign out the client holding the token with ``digest`` (logout)."""
    AuthToken.objects.filter(user=user, digest=digest).delete()


# --- Passwords ----------------------------------------------------------------------------------
@transaction.atomic
def user_password_set(*, user: User, password: str, keep_token_digest: str | None = None) -> User:
    """Give ``user`` a new password (validated) and revoke every token but ``keep_token_digest``.
    Every session signed in with the old password stops working too (Django checks the session
    against the password hash); the caller keeps its own with ``update_session_auth_hash``."""
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise ValidationError({"new_password": list(exc.messages)})
    user.set_password(password)
    user.save(update_fields=["password", "updated_at"])
    user_tokens_revoke(user=user, keep_token_digest=keep_token_digest)
    return user


def user_tokens_revoke(*, user: User, keep_token_digest: str | None = None) -> int:
    """Revoke every API token of ``user`` (but the one with ``keep_token_digest``)."""
    tokens = AuthToken.objects.filter(user=user)
    if keep_token_digest:
        tokens = tokens.exclude(digest=keep_token_digest)
    deleted, _ = tokens.delete()
    return deleted


def password_reset_request(*, email: str) -> None:
    """Email a single-use, expiring reset link to the active account with this address, if there is
    one; the same (silent) outcome when there is none. The link's token is made by the worker that
    sends the mail: it is stored nowhere."""
    user = User.objects.filter(email__iexact=email.strip(), is_active=True).exclude(email="").first()
    if user is None or not user.has_usable_password():
        return
    enqueue_on_commit(tasks.password_reset_email_send, user_id=user.pk)


@transaction.atomic
def password_reset_confirm(*, uid: str, token: str, new_password: str) -> User:
    """Set the password a reset link allows; the link then works no more (its token covers the
    password hash). Every token and session of the user stops working."""
    try:
        pk = int(force_str(urlsafe_base64_decode(uid)))
    except (TypeError, ValueError, OverflowError, UnicodeDecodeError):
        pk = None
    user = User.objects.select_for_update(no_key=True).filter(pk=pk, is_active=True).first() if pk is not None else None
    if user is None or not default_token_generator.check_token(user, token):
        raise ApplicationError("This reset link is invalid or has expired.", field="token", code="invalid_token")
    return user_password_set(user=user, password=new_password)
