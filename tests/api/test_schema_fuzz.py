"""Schema-driven fuzzing of the whole API (schemathesis, in-process over WSGI): for every
operation of the OpenAPI schema, generated requests as a device and as a signed-in person
never get a 500 nor an answer that breaks the schema."""

import os

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import response_schema_conformance

from accounts.models import User
from devices.enrolment import enroll_device

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
CASES: dict = {"count": 0, "operations": set()}
OPERATIONS = {(op.method.upper(), op.path) for op in (r.ok() for r in schema.get_all_operations())}


@pytest.fixture(scope="module", autouse=True)
def _enough_cases():
    """Once every operation of the schema was fuzzed, at least 500 requests were sent in all."""
    yield
    if CASES["operations"] >= OPERATIONS:
        assert CASES["count"] >= 500, CASES["count"]


@pytest.fixture
def credentials(django_db_blocker, phone_client) -> dict[str, str]:
    user = User.objects.get(phone="+919876543210")
    _, token = enroll_device(
        user=user, name="Fuzz phone", model="", platform="android", hardware_id="imei-fuzz-0001"
    )
    phone_client.get("/account/")  # sets the CSRF cookie
    csrf = phone_client.cookies["csrftoken"].value
    cookie = f"sessionid={phone_client.cookies['sessionid'].value}; csrftoken={csrf}"
    return {"Authorization": f"Token {token}", "Cookie": cookie, "X-CSRFToken": csrf}


@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_operation_answers_500_or_breaks_its_schema(case, credentials):
    CASES["count"] += 1
    CASES["operations"].add((case.method.upper(), case.operation.path))
    response = case.call(headers=credentials)
    assert response.status_code < 500, (case.method, case.path, response.text[:500])
    case.validate_response(response, checks=(response_schema_conformance,))
