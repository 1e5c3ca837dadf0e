"""What the portal's APIs share: a device's token authentication, the base views for devices
(`DeviceApi`) and for the signed-in person (`PortalApi`), and input validation."""

from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions, status
from rest_framework.authentication import BaseAuthentication, SessionAuthentication
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from devices.enrolment import device_for_token
from devices.models import Device


class DeviceTokenAuthentication(BaseAuthentication):
    """`Authorization: Token <token>` or `Bearer <token>`; the device row is the only query."""

    keywords = ("token", "bearer")

    def authenticate(self, request):
        parts = request.META.get("HTTP_AUTHORIZATION", "").split()
        if not parts or parts[0].lower() not in self.keywords:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Send the header as: Token <token>."))
        device = device_for_token(parts[1])
        if device is None:
            raise exceptions.AuthenticationFailed(_("This token is not valid or was revoked."))
        # The account is read only by the views that need it.
        return SimpleLazyObject(lambda: device.user), device

    def authenticate_header(self, request) -> str:
        return 'Token realm="device"'


class DeviceTokenScheme(OpenApiAuthenticationExtension):
    target_class = DeviceTokenAuthentication
    name = "deviceToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <token>` (or `Bearer <token>`) as returned by sign-in.",
        }


class IsDevice(BasePermission):
    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, Device)


class DeviceApi(APIView):
    authentication_classes = [DeviceTokenAuthentication]
    permission_classes = [IsDevice]
    # Phones read JSON; the browsable API's HTML is for people.
    renderer_classes = [JSONRenderer]

    @property
    def device(self) -> Device:
        return self.request.auth  # type: ignore[return-value]


class PortalApi(APIView):
    authentication_classes = [SessionAuthentication]
    permission_classes = [IsAuthenticated]


def validated(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def reauthentication_needed(next_url: str) -> Response:
    """The answer when a change needs the second factor confirmed first: where to do it."""
    url = reverse("reauthenticate") + "?" + urlencode({"factor": "2", "next": next_url})
    return Response(
        {
            "detail": _("Confirm it's you first."),
            "code": "reauthentication_required",
            "reauthenticate_url": url,
        },
        status=status.HTTP_403_FORBIDDEN,
    )


def json_error(detail, code: int) -> Response:
    return Response({"detail": detail}, status=code)


def field_error(field: str, message, code: int = status.HTTP_400_BAD_REQUEST) -> Response:
    return Response({field: [message]}, status=code)
