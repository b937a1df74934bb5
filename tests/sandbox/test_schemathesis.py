"""Schemathesis drives every operation of the spec against the sandbox.

Bounded to a few examples per operation, derandomized so CI runs repeat.
"""

from __future__ import annotations

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from crew.sandbox.keys import default_keys
from crew.sandbox.spec import spec_path

EXAMPLES = 5


schema = schemathesis.openapi.from_path(spec_path())
ADMIN_KEY = default_keys().as_env()["LEONAR_ADMIN_API_KEY"]


@schema.auth()
class AdminKey:
    """Sends the admin key, so schemathesis knows when it leaves auth out."""

    def get(self, case, context):
        return ADMIN_KEY

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@pytest.fixture(scope="module", autouse=True)
def _fresh_sandbox(sandbox_server):
    inspect = sandbox_server.root_url + "/_sandbox"
    httpx.post(inspect + "/reset").raise_for_status()
    # Hundreds of generated calls must not meet the hourly budget.
    flags = {"rate_limit": 1_000_000, "sourcing_credits": 1_000_000}
    httpx.post(inspect + "/flags", json=flags).raise_for_status()
    yield
    httpx.post(inspect + "/reset").raise_for_status()


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_sandbox_conforms_to_the_spec(case, sandbox_server):
    case.call_and_validate(base_url=sandbox_server.base_url)
