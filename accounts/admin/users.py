"""Accounts in admin: find a person, judge the account at a glance, and moderate it."""

from typing import TYPE_CHECKING

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts import phones
from accounts.actions.moderation import may_moderate, moderate
from accounts.models import SmsSecondFactor, User
from verification.models import OutboundMessage

if TYPE_CHECKING:
    pass

from accounts.admin.filters import LastSignInFilter, TwoFactorFilter, VerifiedFilter
from accounts.admin.inlines import ConsentInline, ModerationActionInline, SecurityEventInline
from accounts.admin.moderation import MODERATION_LABELS, ModerationForm, bulk_action


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = [
        "account_id",
        "phone_display",
        "email",
        "standing",
        "two_factor",
        "date_joined",
        "last_login",
    ]
    list_filter = [
        "status",
        VerifiedFilter,
        TwoFactorFilter,
        "date_joined",
        LastSignInFilter,
        "is_staff",
    ]
    list_per_page = 50
    search_fields = ["account_id"]
    search_help_text = _("A phone number in any format, an email address, or an account ID.")
    ordering = ["-date_joined"]
    show_full_result_count = False
    actions = [bulk_action(action, label) for action, label in MODERATION_LABELS.items()]
    inlines = [ConsentInline, ModerationActionInline, SecurityEventInline]
    change_form_template = "admin/accounts/user/change_form.html"
    filter_horizontal = ["groups"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "account_id",
                    "phone",
                    "email",
                    "status",
                    "suspended_until",
                    "status_message",
                    "date_joined",
                    "last_login",
                ]
            },
        ),
        (
            _("Security"),
            {
                "fields": [
                    "recovery_contacts",
                    "second_factor",
                    "must_reset_password",
                    "must_set_up_second_factor",
                    "messages_sent",
                ]
            },
        ),
        (_("Staff"), {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
    ]

    # --- The list ---------------------------------------------------------------------------------
    def get_queryset(self, request):
        totp = Authenticator.objects.filter(user=OuterRef("pk"), type=Authenticator.Type.TOTP)
        sms = SmsSecondFactor.objects.filter(user=OuterRef("pk"), enabled_at__isnull=False)
        verified_email = EmailAddress.objects.filter(user=OuterRef("pk"), verified=True)
        return (
            super()
            .get_queryset(request)
            .annotate(
                has_app=Exists(totp), has_sms=Exists(sms), email_verified=Exists(verified_email)
            )
        )

    def get_search_results(self, request, queryset, search_term):
        """Exact matches on indexed columns, so search stays fast on many accounts: a phone
        number in any format (national numbers in the default country/region), an email
        (any case), or an account ID."""
        term = search_term.strip()
        if not term:
            return queryset, False
        match = Q()
        if "@" in term:
            match |= Q(email__iexact=term) | Q(recovery_email__iexact=term)
        else:
            compact = "".join(ch for ch in term if ch.isdigit() or ch == "+")
            if compact.isdigit() and len(compact) == 10:
                match |= Q(account_id=compact)
            phone = phones.parse_any_number(term, phones.default_region())
            if phone:
                match |= Q(phone=phone) | Q(recovery_phone=phone)
        if not match:
            return queryset.none(), False
        return queryset.filter(match), False

    @admin.display(description=_("phone"), ordering="phone")
    def phone_display(self, user: User) -> str:
        return phones.display(str(user.phone)) if user.phone else "—"

    @admin.display(description=_("standing"), ordering="status")
    def standing(self, user: User) -> str:
        if user.status == User.Status.SUSPENDED and user.suspended_until:
            return _("suspended until %(until)s") % {
                "until": f"{timezone.localtime(user.suspended_until):%Y-%m-%d %H:%M}"
            }
        return user.get_status_display()

    @admin.display(description=_("two-factor"))
    def two_factor(self, user: User) -> str:
        annotated = [
            (getattr(user, "has_app", False), "app"),
            (getattr(user, "has_sms", False), "SMS"),
        ]
        methods = [name for on, name in annotated if on]
        return ", ".join(methods) or "—"

    # --- One account ------------------------------------------------------------------------------
    def get_readonly_fields(self, request, obj=None):
        computed = ["recovery_contacts", "second_factor", "messages_sent"]
        # Standing changes only through moderation actions (reason, log, notice), even for
        # superusers.
        moderated = [
            "status",
            "suspended_until",
            "status_message",
            "must_reset_password",
            "must_set_up_second_factor",
        ]
        if request.user.is_superuser:
            return ["account_id", "date_joined", "last_login", *moderated, *computed]
        # Moderators read; every change goes through a moderation action with a reason.
        return [field for fieldset in self.fieldsets for field in fieldset[1]["fields"]]

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.is_staff and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_add_permission(self, request) -> bool:
        # Accounts are created by their owners (sign-up) or for staff by `manage.py createadmin`.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    def has_moderate_permission(self, request) -> bool:
        return request.user.has_perm("accounts.moderate_user")

    @admin.display(description=_("recovery contacts"))
    def recovery_contacts(self, user: User) -> str:
        phone = phones.mask(str(user.recovery_phone)) if user.recovery_phone else _("no phone")
        email = phones.mask_email(user.recovery_email) if user.recovery_email else _("no email")
        return f"{phone} · {email}"

    @admin.display(description=_("two-factor"))
    def second_factor(self, user: User) -> str:
        from accounts.rules.second_factor import second_factor_methods

        return ", ".join(second_factor_methods(user)) or str(_("off"))

    @admin.display(description=_("messages sent (newest 20)"))
    def messages_sent(self, user: User) -> str:
        """Delivery outcomes to the account's contacts: never the content, never a code."""
        contacts = [
            str(c) for c in (user.phone, user.email, user.recovery_phone, user.recovery_email) if c
        ]
        rows = OutboundMessage.objects.filter(to__in=contacts).order_by("-created_at")[:20]
        if not rows:
            return "none"
        return format_html(
            "<table><tr><th>when</th><th>channel</th><th>kind</th><th>status</th>"
            "<th>provider id</th><th>error</th></tr>{}</table>",
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                (
                    (
                        f"{timezone.localtime(m.created_at):%Y-%m-%d %H:%M}",
                        m.channel,
                        m.kind,
                        m.status,
                        m.provider_message_id or "—",
                        f"{m.error_code} {m.error_message}".strip() or "—",
                    )
                    for m in rows
                ),
            ),
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        target = User.objects.filter(pk=object_id).only("is_staff", "is_superuser").first()
        allowed = self.has_moderate_permission(request) and (
            target is None or may_moderate(request.user, target)
        )
        extra_context = (extra_context or {}) | {
            "moderation": [
                (label, reverse("admin:accounts_user_moderate", args=[object_id, action]))
                for action, label in MODERATION_LABELS.items()
            ]
            if allowed
            else [],
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/moderate/<str:action>/",
                self.admin_site.admin_view(self.moderate_one),
                name="accounts_user_moderate",
            ),
            *super().get_urls(),
        ]

    def moderate_one(self, request, object_id, action):
        if not self.has_moderate_permission(request) or action not in MODERATION_LABELS:
            raise PermissionDenied
        user = get_object_or_404(User, pk=object_id)
        if not may_moderate(request.user, user):
            raise PermissionDenied  # told before the form, not after it is filled in
        return self.moderation_page(request, action, User.objects.filter(pk=user.pk), single=user)

    def moderation_page(self, request, action, queryset, single=None):
        """Ask for the reason (and the end of a suspension), then act on each account."""
        form = ModerationForm(request.POST if request.POST.get("apply") else None, action=action)
        if form.is_valid():
            done = skipped = 0
            for user in queryset:
                try:
                    moderate(
                        user=user,
                        actor=request.user,
                        action=action,
                        reason=form.cleaned_data["reason"],
                        share_reason=form.cleaned_data["share_reason"],
                        until=form.cleaned_data.get("until"),
                        request=request,
                    )
                    done += 1
                except PermissionDenied:
                    skipped += 1
            self.message_user(
                request,
                ngettext(
                    "Done: %(action)s, %(count)d account.",
                    "Done: %(action)s, %(count)d accounts.",
                    done,
                )
                % {"action": str(MODERATION_LABELS[action]).lower(), "count": done},
            )
            if skipped:
                self.message_user(
                    request,
                    ngettext(
                        "%(count)d staff account skipped: only superusers moderate staff.",
                        "%(count)d staff accounts skipped: only superusers moderate staff.",
                        skipped,
                    )
                    % {"count": skipped},
                    messages.WARNING,
                )
            if single is not None:
                return redirect("admin:accounts_user_change", single.pk)
            return None
        return TemplateResponse(
            request,
            "admin/accounts/user/moderate.html",
            {
                **self.admin_site.each_context(request),
                "title": MODERATION_LABELS[action],
                "action": action,
                "action_name": f"moderate_{action}",
                "form": form,
                "accounts": list(queryset[:100]),
                "selected": [str(pk) for pk in queryset.values_list("pk", flat=True)],
                "single": single,
                "checkbox_name": ACTION_CHECKBOX_NAME,
                "opts": self.model._meta,
            },
        )
