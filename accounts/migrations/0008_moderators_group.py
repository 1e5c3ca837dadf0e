"""The Moderators group (accounts/roles.py)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from accounts.roles import ensure_moderators_group

def create_group(apps, schema_editor):
    # Permissions are normally made after migrating; make them now so the group can hold them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    ensure_moderators_group(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Moderators").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_moderation"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("devices", "0002_alter_device_options"),
        ("verification", "0003_deliveryreport"),
        ("cloud", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
