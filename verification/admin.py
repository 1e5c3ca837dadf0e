"""Staff see each message's outcome and a masked preview; never a code, never the content."""

from datetime import UTC, timedelta

from django.conf import settings
from django.contrib import admin
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from verification import limits
from verification.models import BlockedSend, OutboundMessage
from verification.queries import stuck_message_ids

DASHBOARD_DAYS = 14
STATUSES = [status.value for status in OutboundMessage.Status]


class ReadOnlyAdmin(admin.ModelAdmin):
    """What the portal recorded, for staff to read, never to edit."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(OutboundMessage)
class OutboundMessageAdmin(ReadOnlyAdmin):
    list_display = ["id", "channel", "kind", "to", "status", "attempts", "error_code", "created_at"]
    list_filter = ["channel", "status", "kind"]
    search_fields = ["to", "provider_message_id"]
    fields = (
        "channel",
        "kind",
        "to",
        "subject",
        "preview",
        "status",
        "attempts",
        "provider_message_id",
        "error_code",
        "error_message",
        "created_at",
        "sent_at",
        "delivered_at",
    )
    readonly_fields = fields


class DeliveryReport(OutboundMessage):
    class Meta:
        proxy = True
        verbose_name = _("message delivery report")
        verbose_name_plural = _("message delivery dashboard")


@admin.register(DeliveryReport)
class DeliveryReportAdmin(ReadOnlyAdmin):
    """Counts per day and channel, and failures by error code: a provider outage or a fraud
    wave shows here first."""

    change_list_template = "admin/verification/delivery_report.html"

    def changelist_view(self, request, extra_context=None):
        since = timezone.now() - timedelta(days=DASHBOARD_DAYS)
        recent = OutboundMessage.objects.filter(created_at__gte=since)
        per_day: dict = {}
        rows = (
            # Days of UTC, as the SMS budget counts them (verification.limits), whatever the
            # time zone of the staff member reading.
            recent.annotate(day=TruncDate("created_at", tzinfo=UTC))
            .values("day", "channel", "status")
            .annotate(count=Count("id"))
            .order_by("-day")
        )
        for row in rows:
            cells = per_day.setdefault((row["day"], row["channel"]), dict.fromkeys(STATUSES, 0))
            cells[row["status"]] += row["count"]
        failures = (
            recent.filter(status=OutboundMessage.Status.FAILED)
            .values("channel", "error_code")
            .annotate(count=Count("id"))
            .order_by("-count")
        )
        blocked = (
            BlockedSend.objects.filter(created_at__gte=timezone.now() - timedelta(days=1))
            .values("prefix", "reason")
            .annotate(count=Count("id"))
            .order_by("-count")[:10]
        )
        context = {
            **self.admin_site.each_context(request),
            "title": "Message delivery",
            "guard": limits.fraud_guard_settings(),
            "sms_today": limits.sms_sent_today(),
            # Every SMS written today (codes and notices), as the table below counts them.
            "sms_all_today": OutboundMessage.objects.filter(
                channel="sms",
                created_at__gte=timezone.now().replace(hour=0, minute=0, second=0, microsecond=0),
            )
            .exclude(status=OutboundMessage.Status.WITHHELD)
            .count(),
            "sms_budget": settings.SMS_DAILY_BUDGET,
            "blocked": list(blocked),
            "stuck": OutboundMessage.objects.filter(id__in=stuck_message_ids()).count(),
            "days": DASHBOARD_DAYS,
            "statuses": STATUSES,
            "per_day": [
                {"day": day, "channel": channel, "counts": [cells[s] for s in STATUSES]}
                for (day, channel), cells in per_day.items()
            ],
            "failures": list(failures),
            "opts": self.model._meta,
            **(extra_context or {}),
        }
        return TemplateResponse(request, self.change_list_template, context)


@admin.register(BlockedSend)
class BlockedSendAdmin(ReadOnlyAdmin):
    """SMS the fraud guard refused: a wave on one prefix or country shows here."""

    list_display = ["created_at", "destination", "prefix", "reason", "ip"]
    list_filter = ["reason", "created_at"]
    search_fields = ["destination", "prefix"]
    readonly_fields = ["created_at", "destination", "prefix", "reason", "ip"]
