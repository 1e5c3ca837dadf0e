"""Delivery backends. A backend either returns (the message left) or raises one of these."""


class DeliveryError(Exception):
    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.code = code


class TransientDeliveryError(DeliveryError):
    """Worth another try later: network trouble, a 5xx, a rate limit.

    `outcome_unknown` when the request may have reached the provider before things went wrong
    (a timeout waiting for the answer, a connection dropped mid-way): the next attempt then
    asks the provider before sending again.
    """

    def __init__(self, message: str, *, code: str = "", outcome_unknown: bool = False) -> None:
        super().__init__(message, code=code)
        self.outcome_unknown = outcome_unknown


class PermanentDeliveryError(DeliveryError):
    """Will never succeed: an invalid number, an opted-out recipient, a refused address."""
