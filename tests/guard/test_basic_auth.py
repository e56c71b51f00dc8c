"""The guard behind MLflow's basic-auth (``--app-name trackcheck-basic-auth``): the user who
moves ``prod`` is the one basic-auth authenticated, the policy decides who may, and the audit
reads the ledger with the same credentials."""

from __future__ import annotations

from typing import Any

import pytest
from mlflow.exceptions import MlflowException

from tests.guard.conftest import (
    ADMIN_PASSWORD,
    PASSWORDS,
    GuardServer,
    Registry,
    client_for,
    http,
)


@pytest.fixture
def as_user(auth_server: GuardServer, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")

    def login(user: str) -> Any:
        password = ADMIN_PASSWORD if user == "admin" else PASSWORDS[user]
        monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", user)
        monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", password)
        return client_for(auth_server.uri)

    return login


def test_an_allowed_user_moves_prod_another_is_refused_and_the_ledger_names_both(
        auth_server: GuardServer, as_user: Any) -> None:
    registry = Registry(auth_server, as_user("alice"), auth=("admin", ADMIN_PASSWORD))
    v1, v2 = registry.version(), registry.version()
    registry.client.set_registered_model_alias(registry.model, "staging", v1)
    registry.client.set_registered_model_alias(registry.model, "prod", v1)
    registry.client.set_registered_model_alias(registry.model, "staging", v2)
    bob = as_user("bob")  # bob may edit the model (default permission EDIT): MLflow lets him
    bob.set_registered_model_tag(registry.model, "reviewed", "yes")
    with pytest.raises(MlflowException) as info:
        bob.set_registered_model_alias(registry.model, "prod", v2)
    assert info.value.error_code == "PERMISSION_DENIED"
    assert "TC302" in str(info.value) and "user 'bob'" in str(info.value)
    assert registry.aliases() == {"prod": int(v1), "staging": int(v2)}
    as_user("alice").set_registered_model_alias(registry.model, "prod", v2)
    as_user("admin")
    prod = [(e["actor"], e["verdict"], e["to_version"]) for e in registry.ledger(alias="prod")]
    assert prod == [("alice", "allowed", int(v1)), ("bob", "denied", int(v2)),
                    ("alice", "allowed", int(v2))]
    tags = [e["actor"] for e in registry.ledger() if e["action"] == "set_model_tag"]
    assert tags == ["bob"]


def test_a_reader_sees_the_ledger_of_the_models_they_may_read(auth_server: GuardServer,
                                                              as_user: Any) -> None:
    registry = Registry(auth_server, as_user("alice"))
    registry.version()
    from mlflow.server.auth.client import AuthServiceClient

    as_user("admin")
    AuthServiceClient(auth_server.uri).grant_user_permission("bob", "registered_model",
                                                            registry.model, "DENY")
    assert http(auth_server.uri, "GET", "/api/2.0/trackcheck/ledger")[0] == 401

    def models_seen_by(user: str) -> set[str]:
        status, body = http(auth_server.uri, "GET", "/api/2.0/trackcheck/ledger",
                            params=f"?model={registry.model}", auth=(user, PASSWORDS[user]))
        assert status == 200, body
        return {e["model"] for e in body["entries"]}

    assert models_seen_by("alice") == {registry.model}
    assert models_seen_by("bob") == set()


def audit(uri: str, select: str) -> list[Any]:
    from argparse import Namespace

    from trackcheck.audit.runner import audit as run_audit
    from trackcheck.engine import Selection
    from trackcheck.policy import load_policy

    args = Namespace(registry=True, tracking_uri=uri, config=None, timeout=10.0)
    return run_audit(args, load_policy("default")[0], Selection(select=(select,))).findings


def test_the_audit_reads_the_ledger_through_basic_auth(auth_server: GuardServer,
                                                        as_user: Any) -> None:
    # this server only observes TC301: prod can skip staging, and the ledger remembers it
    registry = Registry(auth_server, as_user("alice"))
    skipped, staged = registry.version(), registry.version()
    registry.client.set_registered_model_alias(registry.model, "staging", staged)
    registry.client.set_registered_model_alias(registry.model, "prod", skipped)
    found = [(f.rule, f.path) for f in audit(auth_server.uri, "TC211")
             if f.path.startswith(f"models:/{registry.model}/")]
    assert found == [("TC211", f"models:/{registry.model}/{skipped}")]
    registry.client.set_registered_model_alias(registry.model, "prod", staged)
    assert [f for f in audit(auth_server.uri, "TC211")
            if f.path.startswith(f"models:/{registry.model}/")] == []
