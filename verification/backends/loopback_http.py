"""The `twilio` library's HTTP client, sending to a stand-in for Twilio's API on this machine.

For staging, the benchmark (`make bench`, bench/standin.py) and the suite's worker processes:
`TWILIO_HTTP_CLIENT=verification.backends.loopback_http.LoopbackTwilioHttpClient` with
`TWILIO_LOOPBACK_URL=http://127.0.0.1:<port>`. Every request the client would make to
https://api.twilio.com goes to that address instead: the same path, body and credentials.

Those requests carry the account's auth token and every code the portal sends, so the settings
accept only a loopback address for it (`config.env.env_loopback_url`) and refuse this client
without one (docs/configuration.md).
"""

from django.conf import settings
from twilio.http.http_client import TwilioHttpClient

TWILIO_API = "https://api.twilio.com"


class LoopbackTwilioHttpClient(TwilioHttpClient):
    """The `twilio` library's own client (its requests session, kept-alive connections and
    timeouts), with Twilio's API address replaced by `TWILIO_LOOPBACK_URL`."""

    def request(self, method, url, *args, **kwargs):
        url = url.replace(TWILIO_API, settings.TWILIO_LOOPBACK_URL)
        return super().request(method, url, *args, **kwargs)
