"""Users in the admin: the custom user with its roles, and the "Grant instructor role" action."""

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, AdminUserCreationForm, UserChangeForm
from django.db.models import Exists, OuterRef, Q

from accounts.models import User
from accounts.services import instructor_grant, user_tokens_revoke
from config.errors import ApplicationError


class UserCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "email")


class UserEditForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User


class PasswordChangeForm(AdminPasswordChangeForm):
    """An admin setting someone's password signs that user out everywhere: their API tokens are
    revoked (their sessions end by themselves: Django checks each against the password hash)."""

    def save(self, commit=True):
        user = super().save(commit=commit)
        if commit:
            user_tokens_revoke(user=user)
        return user


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    change_password_form = PasswordChangeForm
    list_display = ("username", "email", "first_name", "last_name", "roles", "email_reminders", "is_active")
    list_filter = ("is_staff", "is_superuser", "is_active", "email_reminders", "groups")
    actions = ("grant_instructor_role",)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Personal info", {"fields": ("name", "first_name", "last_name", "email", "email_reminders")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Important dates", {"fields": ("last_login", "date_joined", "updated_at")}),
    )
    add_fieldsets = (
        (
            None,
            {"classes": ("wide",), "fields": ("username", "email", "usable_password", "password1", "password2")},
        ),
    )
    readonly_fields = ("last_login", "date_joined", "updated_at")

    def get_queryset(self, request):
        # The roles column without a query per row (the same rules as accounts.selectors.user_roles).
        in_group = User.groups.through.objects.filter(user_id=OuterRef("pk"), group__name=settings.INSTRUCTORS_GROUP)
        teaches = User.taught_courses.through.objects.filter(user_id=OuterRef("pk"))
        return super().get_queryset(request).annotate(in_instructors_group=Exists(in_group), teaches=Exists(teaches))

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        params = request.GET
        if (params.get("app_label"), params.get("model_name"), params.get("field_name")) == (
            "courseware",
            "course",
            "instructors",
        ):
            # The course page's instructor picker offers only holders of the instructor role.
            queryset = queryset.filter(Q(in_instructors_group=True) | Q(is_superuser=True))
        return queryset, may_have_duplicates

    @admin.display(description="Roles")
    def roles(self, obj: User) -> str:
        roles = ["learner"]
        if obj.is_superuser or getattr(obj, "in_instructors_group", False) or getattr(obj, "teaches", False):
            roles.append("instructor")
        if obj.is_superuser:
            roles.append("admin")
        return ", ".join(roles)

    @admin.action(description="Grant instructor role", permissions=["change"])
    def grant_instructor_role(self, request, queryset):
        """Adds the user to the "instructors" group (whose permissions are ensured) and makes them
        staff, so they can work on the courses they teach in this admin."""
        granted = 0
        for user in queryset:
            try:
                if instructor_grant(user=user):
                    granted += 1
            except ApplicationError as exc:  # one refused user does not stop the rest
                self.message_user(request, f"{user.username}: {exc.message}", messages.ERROR)
        self.message_user(request, f"Granted the instructor role to {granted} user(s).", messages.SUCCESS)
