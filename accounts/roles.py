"""Staff roles. `Moderators` read accounts and what concerns them and moderate them through
admin actions: no deleting, no editing accounts or staff directly, no device locations.
Nobody, superusers included, is ever shown a password, code, secret or token by admin."""

MODERATORS = "Moderators"
MODERATOR_PERMISSIONS = [
    ("accounts", "view_user"),
    ("accounts", "moderate_user"),
    ("accounts", "view_securityevent"),
    ("accounts", "view_moderationaction"),
    ("accounts", "view_consent"),
    ("devices", "view_device"),
    ("devices", "view_command"),
    ("verification", "view_outboundmessage"),
    ("verification", "view_deliveryreport"),
    ("cloud", "view_cloudaccount"),
    ("verification", "view_blockedsend"),
    # The ecosystem's apps and who allowed them: seen, never made or changed.
    ("allauth_idp_oidc", "view_client"),
    ("ecosystem", "view_appaccess"),
]


def ensure_moderators_group(group_model, permission_model) -> None:
    """Create the group with exactly its permissions (idempotent; models may be historical)."""
    group, _ = group_model.objects.get_or_create(name=MODERATORS)
    permissions = [
        permission
        for app_label, codename in MODERATOR_PERMISSIONS
        # A model a later migration adds has no permission yet: post_migrate adds it.
        for permission in permission_model.objects.filter(
            content_type__app_label=app_label, codename=codename
        )
    ]
    group.permissions.set(permissions)
