from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Users and security")

    def ready(self) -> None:
        from allauth.account.signals import user_logged_in
        from allauth.usersessions import signals as usersessions
        from django.contrib.auth.signals import user_logged_in as django_logged_in
        from django.db.models.signals import post_migrate

        from accounts.auth import user_sessions

        # Two statements per sign-in instead of three per earlier session (user_sessions.py),
        # in allauth's place among the receivers.
        user_logged_in.disconnect(usersessions.on_user_logged_in)
        user_logged_in.connect(user_sessions.on_user_logged_in)

        from accounts import signals  # noqa: F401 - connects the receivers

        # Django's last-login receiver saves the whole model (its signals, its checks): one
        # UPDATE does it (accounts.signals.note_last_login).
        django_logged_in.disconnect(dispatch_uid="update_last_login")
        django_logged_in.connect(signals.note_last_login, dispatch_uid="update_last_login")

        post_migrate.connect(_moderators_group, sender=self)


def _moderators_group(sender, **kwargs) -> None:
    """Keep the Moderators group after every migrate (and after a test database flush)."""
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group, Permission

    from accounts.roles import ensure_moderators_group

    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0)
    ensure_moderators_group(Group, Permission)
