"""Delivery backends. A backend either returns (the message left) or raises one of these."""


class DeliveryError(Exception):
    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.code = code


class TransientDeliveryError(DeliveryError):
    """Worth another try later: network trouble, a 5xx, a rate limit."""


class PermanentDeliveryError(DeliveryError):
    """Will never succeed: an invalid number, an opted-out recipient, a refused address."""
