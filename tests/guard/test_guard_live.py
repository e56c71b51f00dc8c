"""The guard in a real ``mlflow server --app-name trackcheck``: writes through ``MlflowClient``
and the UI's ``/ajax-api`` routes are judged by the policy before MLflow performs them, refusals
leave the registry unchanged, and the ledger holds every write."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
import warnings
from collections.abc import Callable
from typing import Any

import pytest
from mlflow.exceptions import MlflowException

from tests.guard.conftest import GuardServer, Registry, http


def refused(registry: Registry, write: Callable[[], Any]) -> str:
    """The message of a write the guard refuses; the registry must be as it was."""
    before = (registry.aliases(), [(v.version, v.current_stage) for v in
                                   registry.client.search_model_versions(
                                       f"name='{registry.model}'")])
    with pytest.raises(MlflowException) as info:
        write()
    assert info.value.error_code == "PERMISSION_DENIED"
    after = (registry.aliases(), [(v.version, v.current_stage) for v in
                                  registry.client.search_model_versions(
                                      f"name='{registry.model}'")])
    assert after == before
    return str(info.value)


def promote(registry: Registry, version: str, *aliases: str) -> None:
    for alias in aliases:
        registry.client.set_registered_model_alias(registry.model, alias, version)


def test_a_clean_promotion_succeeds_and_is_in_the_ledger(registry: Registry) -> None:
    v = registry.version()
    promote(registry, v, "dev", "staging", "prod")
    assert registry.aliases() == {"dev": int(v), "staging": int(v), "prod": int(v)}
    moves = [(e["alias"], e["to_version"], e["verdict"], e["outcome"])
             for e in registry.ledger() if e["action"] == "set_alias"]
    assert moves == [("dev", int(v), "allowed", "ok"), ("staging", int(v), "allowed", "ok"),
                     ("prod", int(v), "allowed", "ok")]
    # every write is there, with what it left: the version's creation included
    assert [e["action"] for e in registry.ledger()][:2] == ["create_model", "create_version"]
    assert registry.ledger()[-1]["aliases_after"] == {"dev": int(v), "staging": int(v),
                                                      "prod": int(v)}


def test_moving_prod_records_from_and_to(registry: Registry) -> None:
    v1, v2 = registry.version(), registry.version()
    promote(registry, v1, "staging", "prod")
    promote(registry, v2, "staging", "prod")
    last = registry.ledger(alias="prod")[-1]
    assert (last["from_version"], last["to_version"], last["outcome"]) == (int(v1), int(v2), "ok")


def test_prod_onto_a_version_from_a_failed_run_is_refused(registry: Registry) -> None:
    v = registry.version(registry.run(status="FAILED"))
    message = refused(registry, lambda: promote(registry, v, "staging"))
    assert "TC205" in message and registry.model in message and "'staging'" in message
    assert "promote a version whose source run finished" in message  # what to do
    (entry,) = [e for e in registry.ledger() if e["verdict"] == "denied"]
    assert (entry["rules"], entry["outcome"], entry["alias"]) == ("TC205", "refused", "staging")


def test_prod_onto_an_archived_version_is_refused(registry: Registry) -> None:
    v = registry.version()
    promote(registry, v, "archived")
    message = refused(registry, lambda: promote(registry, v, "prod"))
    assert "TC201" in message and "'archived' and 'prod'" in message


def test_prod_onto_a_never_staged_version_is_refused(registry: Registry) -> None:
    v = registry.version()
    message = refused(registry, lambda: promote(registry, v, "prod"))
    assert "TC301" in message and "never held 'staging'" in message
    assert "TC205" not in message  # a healthy run: only the promotion path is wrong


def test_an_unknown_alias_is_refused(registry: Registry) -> None:
    v = registry.version()
    assert "TC202" in refused(registry, lambda: promote(registry, v, "champion"))


def test_a_stage_transition_is_refused(registry: Registry) -> None:
    v = registry.version()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MLflow deprecates stages; TC203 is why
        transition = registry.client.transition_model_version_stage
        message = refused(registry, lambda: transition(registry.model, v, "Staging"))
    assert "TC203" in message


def test_deleting_or_renaming_what_prod_resolves_is_refused(registry: Registry) -> None:
    v = registry.version()
    promote(registry, v, "staging", "prod")
    c = registry.client
    assert "TC303" in refused(registry, lambda: c.delete_model_version(registry.model, v))
    assert "TC303" in refused(registry, lambda: c.delete_registered_model(registry.model))
    assert "TC303" in refused(registry, lambda: c.rename_registered_model(registry.model,
                                                                         registry.model + "-x"))
    assert c.get_model_version(registry.model, v).version == v


def set_alias_behind_the_guard(server: GuardServer, model: str, alias: str, version: str) -> None:
    """An alias written straight into the database, as a script with database access would."""
    with sqlite3.connect(server.db_path) as db:
        db.execute("INSERT INTO registered_model_aliases (alias, version, name) VALUES (?, ?, ?)",
                   (alias, int(version), model))


def test_the_guard_judges_the_change_not_the_models_past(registry: Registry,
                                                         guard_server: GuardServer) -> None:
    v = registry.version()
    promote(registry, v, "staging")
    set_alias_behind_the_guard(guard_server, registry.model, "archived", v)  # TC201 already
    # a write that does not touch the old violation is not blocked by it ...
    registry.client.set_registered_model_tag(registry.model, "team", "churn")
    # ... nor is the write that fixes it
    registry.client.delete_registered_model_alias(registry.model, "archived")
    assert registry.aliases() == {"staging": int(v)}
    assert [e["verdict"] for e in registry.ledger()][-2:] == ["allowed", "allowed"]


def test_the_ui_ajax_routes_are_guarded(registry: Registry, guard_server: GuardServer) -> None:
    v = registry.version()
    status, body = http(guard_server.uri, "POST", "/ajax-api/2.0/mlflow/registered-models/alias",
                        {"name": registry.model, "alias": "prod", "version": v})
    assert status == 403 and body["error_code"] == "PERMISSION_DENIED"
    assert "TC301" in body["message"]
    status, body = http(guard_server.uri, "POST", "/ajax-api/2.0/mlflow/registered-models/alias",
                        {"name": registry.model, "alias": "staging", "version": v})
    assert status == 200, body
    status, body = http(guard_server.uri, "DELETE", "/ajax-api/2.0/mlflow/model-versions/delete",
                        {"name": registry.model, "version": v})
    assert status == 403 and "TC303" in body["message"]
    assert registry.aliases() == {"staging": int(v)}


def test_observe_mode_allows_and_records(registry: Registry) -> None:
    # the test policy observes TC206: a debug run may reach staging, and the ledger says so
    v = registry.version(registry.run(debug="true"))
    promote(registry, v, "staging")
    assert registry.aliases() == {"staging": int(v)}
    (entry,) = [e for e in registry.ledger() if e["action"] == "set_alias"]
    assert (entry["verdict"], entry["rules"], entry["outcome"]) == ("observed", "TC206", "ok")


def test_a_protected_alias_by_the_actor_header(registry: Registry,
                                               guard_server: GuardServer) -> None:
    v = registry.version()
    body = {"name": registry.model, "alias": "canary", "version": v}
    path = "/api/2.0/mlflow/registered-models/alias"
    status, out = http(guard_server.uri, "POST", path, body, headers={"X-Test-User": "mallory"})
    assert status == 403 and "TC302" in out["message"] and "'mallory'" in out["message"]
    status, out = http(guard_server.uri, "POST", path, body)  # nobody named: refused too
    assert status == 403 and "cannot identify" in out["message"]
    status, out = http(guard_server.uri, "POST", path, body, headers={"X-Test-User": "alice"})
    assert status == 200, out
    actors = [(e["actor"], e["verdict"]) for e in registry.ledger(alias="canary")]
    assert actors == [("mallory", "denied"), (None, "denied"), ("alice", "allowed")]


def test_reads_are_never_judged(registry: Registry) -> None:
    v = registry.version()
    count = len(registry.ledger())
    registry.client.get_model_version(registry.model, v)
    registry.client.search_model_versions(f"name='{registry.model}'")
    registry.client.get_registered_model(registry.model)
    assert len(registry.ledger()) == count


def test_two_workers_writing_concurrently_lose_no_ledger_entry(registry: Registry) -> None:
    v = registry.version()
    errors: list[BaseException] = []

    def write(i: int) -> None:
        try:
            registry.client.set_model_version_tag(registry.model, v, f"k{i}", str(i))
        except BaseException as e:  # noqa: BLE001 - collected and asserted below
            errors.append(e)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    tags = [e["key"] for e in registry.ledger() if e["action"] == "set_version_tag"]
    assert sorted(tags) == sorted(f"k{i}" for i in range(24))
    assert len(registry.client.get_model_version(registry.model, v).tags) == 24


def test_a_secret_in_a_tag_is_refused_and_never_recorded(registry: Registry) -> None:
    v = registry.version()
    token = "ghp_" + "Q7x9K2mP4vL8nR3tW6yZ1aB5cD0eF2gH4jK6"
    message = refused(registry, lambda: registry.client.set_model_version_tag(
        registry.model, v, "deploy_token", token))
    assert "TC208" in message and token not in message
    assert token not in json.dumps(registry.ledger())


def test_history_shows_moves_and_refusals(registry: Registry, guard_server: GuardServer) -> None:
    v1, v2 = registry.version(), registry.version()
    promote(registry, v1, "staging", "prod")
    with pytest.raises(MlflowException):
        promote(registry, v2, "prod")
    env = {"MLFLOW_TRACKING_URI": guard_server.uri, "MLFLOW_DISABLE_TELEMETRY": "true",
           "PATH": "/usr/bin:/bin"}
    text = subprocess.run([sys.executable, "-m", "trackcheck", "history", registry.model,
                           "--alias", "prod"], env=env, capture_output=True, text=True,
                          timeout=60)
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert f"{registry.model}: set 'prod' -> {v1} by unknown user  allowed" in lines[0]
    assert f"{registry.model}: set 'prod' {v1} -> {v2} by unknown user  DENIED TC301" in lines[1]
    assert lines[-1] == "2 ledger entries, 1 refused"
    js = subprocess.run([sys.executable, "-m", "trackcheck", "history", registry.model,
                         "--format", "json"], env=env, capture_output=True, text=True,
                        timeout=60)
    entries = json.loads(js.stdout)["entries"]
    assert {e["model"] for e in entries} == {registry.model}
    assert [e["verdict"] for e in entries if e["alias"] == "prod"] == ["allowed", "denied"]


def test_history_of_a_server_without_the_guard_says_so(tmp_path: Any) -> None:
    from tests.audit.conftest import free_port

    env = {"MLFLOW_TRACKING_URI": f"http://127.0.0.1:{free_port()}", "PATH": "/usr/bin:/bin"}
    p = subprocess.run([sys.executable, "-m", "trackcheck", "history"], env=env,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 3 and "unreachable" in p.stderr and "Traceback" not in p.stderr
    p = subprocess.run([sys.executable, "-m", "trackcheck", "history"],
                       env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and "MLFLOW_TRACKING_URI" in p.stderr


def test_an_alias_moved_behind_the_guard_is_an_audit_finding(registry: Registry,
                                                              guard_server: GuardServer) -> None:
    from argparse import Namespace

    from trackcheck.audit.runner import audit
    from trackcheck.engine import Selection
    from trackcheck.policy import load_policy

    v = registry.version()
    promote(registry, v, "staging")

    def tc212() -> list[str]:
        args = Namespace(registry=True, tracking_uri=guard_server.uri, config=None, timeout=10.0)
        report = audit(args, load_policy("default")[0], Selection(select=("TC212",)))
        return [f.message for f in report.findings if f.path == f"models:/{registry.model}"]

    assert tc212() == []
    set_alias_behind_the_guard(guard_server, registry.model, "dev", v)
    (message,) = tc212()
    assert f"alias 'dev' of '{registry.model}' is on version {v}" in message
    assert "last recorded it not set" in message


def test_the_html_report_shows_each_models_alias_history(registry: Registry,
                                                         guard_server: GuardServer,
                                                         tmp_path: Any) -> None:
    from trackcheck.cli import main

    v1, v2 = registry.version(), registry.version()
    promote(registry, v1, "staging", "prod")
    promote(registry, v2, "staging")
    out = tmp_path / "report.html"
    rc = main(["audit", "--registry", "--tracking-uri", guard_server.uri, "--format", "html",
               "--output", str(out), "--exit-zero"])
    assert rc == 0
    page = out.read_text("utf-8")
    card = page.split(f"{registry.model}</", 1)[1].split("</article>", 1)[0]
    history = card.split('data-hook="alias-history"', 1)[1]
    assert history.lstrip().startswith(">")  # shown, not hidden
    moves = [line for line in history.splitlines() if "<li>" in line]
    assert len(moves) == 3
    assert f"staging</span> v{v1} → v{v2}" in moves[2]
