from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_instructors_group(sender, using="default", apps=None, **kwargs) -> None:
    """Keep the "instructors" group and its admin permissions in step after every migrate."""
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions

    from accounts.services import instructors_group_ensure

    # Other apps' permissions may not exist yet at this point of post_migrate: create them first.
    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    instructors_group_ensure()


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        post_migrate.connect(_ensure_instructors_group, sender=self, dispatch_uid="accounts.instructors_group")
