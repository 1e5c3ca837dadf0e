"""`manage.py simulate_home_app` (SPEC 12) against a live portal: it shows the code, the person
allows it on the device page, it prints the ID token's claims, and its refreshes stop once the
person removes its access."""

import io
import re
import threading
import time

import pytest
from django.core.management import call_command

from tests.ecosystem.relying_party import PHONE, Person

pytestmark = pytest.mark.django_db(transaction=True)


class Output(io.StringIO):
    def wait_for(self, pattern: str, timeout: float = 20) -> re.Match:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(pattern, self.getvalue())
            if found:
                return found
            time.sleep(0.05)
        raise AssertionError(f"{pattern!r} never printed; got:\n{self.getvalue()}")


def test_the_simulated_home_app_signs_in_and_is_signed_out_by_remove_access(
    portal, owner, home_app, settings
):
    settings.IDP_OIDC_DEVICE_CODE_INTERVAL = 1
    out = Output()
    app = threading.Thread(
        target=call_command,
        args=["simulate_home_app", "--url", portal, "--client-id", home_app.id],
        kwargs={"refresh_every": 0.3, "stdout": out},
    )
    app.start()
    shown = out.wait_for(r"open (\S+) and type the code (\S+)")
    page_url, code = shown.group(1), shown.group(2)

    person = Person(portal)
    person.sign_in()
    page = person.open(f"{page_url}?code={code}")
    person.post_form(f"{page_url}?code={code}", page.text, {"action": "confirm"})

    out.wait_for(r"SIGNED IN")
    assert f'"sub": "{owner.account_id}"' in out.getvalue()
    assert f'"phone_number": "{PHONE}"' in out.getvalue()
    out.wait_for(r"REFRESHED")

    apps = person.open(f"{portal}/account/apps/")
    person.post_form(f"{portal}/account/apps/", apps.text, {"app": home_app.id})
    out.wait_for(r"REFRESH REFUSED: invalid_grant")
    app.join(timeout=10)
    assert not app.is_alive()
