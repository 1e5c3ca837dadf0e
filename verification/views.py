"""The Twilio status webhook and the dev outbox."""

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from twilio.request_validator import RequestValidator

from verification.actions.delivery import record_provider_status
from verification.models import DevOutboxMessage

OUTBOX_LIMIT = 100


@csrf_exempt
@require_POST
def twilio_status(request: HttpRequest) -> HttpResponse:
    """Twilio's delivery report for one message; accepted only with a valid signature."""
    validator = RequestValidator(settings.TWILIO_AUTH_TOKEN)
    url = settings.PUBLIC_BASE_URL + request.get_full_path()
    signature = request.headers.get("X-Twilio-Signature", "")
    if not settings.TWILIO_AUTH_TOKEN or not validator.validate(
        url, request.POST.dict(), signature
    ):
        return HttpResponse("invalid signature", status=403, content_type="text/plain")
    sid = request.POST.get("MessageSid", "")
    status = request.POST.get("MessageStatus", "")
    if not sid or not status:
        return HttpResponse(
            "MessageSid and MessageStatus are required", status=400, content_type="text/plain"
        )
    record_provider_status(
        provider_message_id=sid, status=status, error_code=request.POST.get("ErrorCode", "")
    )
    return HttpResponse(status=204)


def _outbox_or_404() -> list[DevOutboxMessage]:
    if not settings.DEBUG:
        raise Http404
    return list(DevOutboxMessage.objects.all()[:OUTBOX_LIMIT])


@require_GET
def dev_outbox(request: HttpRequest) -> HttpResponse:
    return render(request, "verification/outbox.html", {"messages_sent": _outbox_or_404()})


@require_GET
def dev_outbox_json(request: HttpRequest) -> JsonResponse:
    items = [
        {
            "channel": message.channel,
            "to": message.to,
            **({"subject": message.subject} if message.channel == "email" else {}),
            "body": message.body,
            "created_at": message.created_at.isoformat(),
        }
        for message in _outbox_or_404()
    ]
    return JsonResponse(items, safe=False)
