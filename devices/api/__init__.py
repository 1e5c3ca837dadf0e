"""The Find Device APIs.

Device API, `/api/v1/device/`: a phone signs in and enrolls (`sign_in`), then authenticates
with `Authorization: Token <token>` (or `Bearer`) to report locations and turn Find Device on
or off (`locations`) and to poll and answer commands (`commands`).

Portal API, `/api/v1/`: the signed-in person (session and CSRF) lists and removes their devices
(`portal`), issues commands with an `Idempotency-Key`, follows and cancels them (`commands`).
A device that is not theirs does not exist for them (404).

`base` holds what every API of the portal shares (cloud's too): the token authentication, the
two kinds of view, and input validation.
"""
