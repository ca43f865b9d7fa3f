"""Admin-only usage fields (guides.md §13.1 "Role-based visibility"): purchased balance for admins only."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

ADMIN_ONLY = {"purchasedBalance", "totalAvailable"}
EVERYONE = {"used", "limit", "available", "overageCredits", "isInOverage", "hardCap", "billingPeriod", "periodStart", "periodEnd"}


@pytest.mark.parametrize(
    ("token", "admin"),
    [
        pytest.param("test-token", True, id="admin-user"),
        pytest.param("other-org-token", True, id="other-org-admin"),
        pytest.param("read-only-token", False, id="member"),
    ],
)
def test_usage_purchased_balance_is_admin_only(client: TestClient, token: str, admin: bool) -> None:
    response = client.get("/v1/usage", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    body = response.json()
    assert set(body["credits"]) >= EVERYONE
    assert (set(body["credits"]) >= ADMIN_ONLY) is admin
    assert not (ADMIN_ONLY & set(body["credits"])) or admin
    assert {"tier", "name"} <= set(body["plan"]) and {"used", "limit"} <= set(body["storage"])


def test_usage_member_sees_the_same_subscription_figures_as_an_admin(client: TestClient) -> None:
    admin = client.get("/v1/usage").json()["credits"]
    member = client.get("/v1/usage", headers={"Authorization": "Bearer read-only-token"}).json()["credits"]
    assert member == {key: value for key, value in admin.items() if key not in ADMIN_ONLY}
    assert admin["purchasedBalance"] == 100000 and admin["totalAvailable"] == admin["available"] + 100000


@pytest.mark.parametrize(
    ("client_id", "secret", "admin"),
    [
        pytest.param("m2m-test-client", "m2m-test-secret", True, id="admin-client"),
        pytest.param("m2m-readonly-client", "m2m-readonly-secret", False, id="member-client"),
    ],
)
def test_usage_admin_fields_follow_the_m2m_client_user(client: TestClient, client_id: str, secret: str, admin: bool) -> None:
    grant = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    token = client.post("/v1/oauth2/token", json=grant).json()["access_token"]
    body = client.get("/v1/usage", headers={"Authorization": f"Bearer {token}"}).json()
    assert ("purchasedBalance" in body["credits"]) is admin
