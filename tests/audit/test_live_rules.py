"""TC201–TC210 against a real ``mlflow server``: per rule a violating registry object and a clean
twin, seeded through the MLflow client and read by one real ``trackcheck audit --registry``;
all of it twice, on a server backed by SQLite and on one backed by PostgreSQL."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.audit.conftest import MlflowServer, Seeder, client_for
from trackcheck.cli import main

TOKEN = "dapi" + "0123456789abcdef" * 2  # a Databricks PAT shape
PASSWORD = "rQ7-live-registry-pw-x9"
COMMIT = "9f2c1e0d7b6a5c4d3e2f1a0b9c8d7e6f5a4b3c2d"
GOOD_TAGS = {"project": "churn", "env": "prod", "model_name": "xgb", "data_name": "churn-2024",
             "debug": "false", "mlflow.source.git.commit": COMMIT}


@dataclass
class Scenario:
    bad: list[str]  # model names that must trip the rule
    good: str  # the clean twin
    keys: set[str] = field(default_factory=set)  # registry fields the findings name


@dataclass
class Audit:
    exit_code: int
    output: str
    findings: list[dict[str, Any]]
    scenarios: dict[str, Scenario]


def _healthy(seed: Seeder, **tags: str) -> str:
    return seed.run(tags={**GOOD_TAGS, **tags}, dataset_digest="3f2a9c1d")


def _seed(seed: Seeder) -> dict[str, Scenario]:
    s: dict[str, Scenario] = {}

    def model(prefix: str, **kw: Any) -> str:
        return seed.model(seed.name(prefix), **kw)

    bad, good = model("tc201-bad"), model("tc201-good")
    seed.version(bad, run_id=_healthy(seed), aliases=["prod", "archived"])
    seed.version(good, run_id=_healthy(seed), aliases=["archived"])
    seed.version(good, run_id=_healthy(seed), aliases=["prod"])
    s["TC201"] = Scenario([bad], good, {"aliases"})

    bad, good = model("tc202-bad"), model("tc202-good")
    seed.version(bad, run_id=_healthy(seed), aliases=["Prod"])
    seed.version(good, run_id=_healthy(seed), aliases=["prod"])
    s["TC202"] = Scenario([bad], good, {"aliases"})

    bad, good = model("tc203-bad"), model("tc203-good")
    seed.version(bad, run_id=_healthy(seed), stage="Production")
    seed.version(good, run_id=_healthy(seed), aliases=["prod"])
    s["TC203"] = Scenario([bad], good, {"stage"})

    bad, good = model("tc204-bad"), model("tc204-good")
    seed.set_status(bad, seed.version(bad, run_id=_healthy(seed), aliases=["prod"]),
                    "FAILED_REGISTRATION")
    seed.version(good, run_id=_healthy(seed), aliases=["prod"])
    s["TC204"] = Scenario([bad], good, {"status"})

    failed, deleted, good = model("tc205-failed"), model("tc205-deleted"), model("tc205-good")
    seed.version(failed, aliases=["prod"],
                 run_id=seed.run(tags=GOOD_TAGS, dataset_digest="3f2a9c1d", status="FAILED"))
    seed.version(deleted, aliases=["staging"],
                 run_id=seed.run(tags=GOOD_TAGS, dataset_digest="3f2a9c1d", deleted=True))
    seed.version(good, run_id=_healthy(seed), aliases=["prod"])
    s["TC205"] = Scenario([failed, deleted], good, {"run.status", "run.lifecycle_stage"})

    bad, good = model("tc206-bad"), model("tc206-good")
    seed.version(bad, run_id=_healthy(seed, debug="true"), aliases=["prod"])
    seed.version(good, run_id=_healthy(seed), aliases=["prod"])
    s["TC206"] = Scenario([bad], good, {"run.tags.debug"})

    bad, good = model("tc207-bad"), model("tc207-good")
    no_lineage = {k: v for k, v in GOOD_TAGS.items() if not k.startswith("mlflow.")}
    seed.version(bad, run_id=seed.run(tags=no_lineage), aliases=["prod"])
    seed.version(good, run_id=_healthy(seed), aliases=["prod"])
    s["TC207"] = Scenario([bad], good, {"run.tags", "run.inputs"})

    bad, good = model("tc208-bad"), model("tc208-good", description="Churn classifier")
    described = model("tc208-desc", description=f"use {TOKEN}")
    params = {"db.password": PASSWORD, "lr": "0.1"}
    seed.version(bad, aliases=["prod"],
                 run_id=seed.run(tags=GOOD_TAGS, dataset_digest="3f2a9c1d", params=params))
    params = {"password_file": "/run/pw", "lr": "0.1"}
    seed.version(good, aliases=["prod"],
                 run_id=seed.run(tags=GOOD_TAGS, dataset_digest="3f2a9c1d", params=params))
    s["TC208"] = Scenario([bad, described], good, {"run.params.db.password", "description"})

    bad, good = model("tc209-bad"), model("tc209-good")
    tags = {**{k: v for k, v in GOOD_TAGS.items() if k != "data_name"}, "owner": "bob"}
    seed.version(bad, run_id=seed.run(tags=tags, dataset_digest="3f2a9c1d"), aliases=["dev"])
    seed.version(good, run_id=_healthy(seed), aliases=["dev"])
    s["TC209"] = Scenario([bad], good, {"run.tags.data_name", "run.tags.owner"})

    target = model("tc210-target")
    seed.version(target, run_id=_healthy(seed), aliases=["archived"])
    seed.version(target, run_id=_healthy(seed), aliases=["prod"])
    s["TC210"] = Scenario([target], target, {"serve.gone_model", "serve.gone_alias",
                                             "serve.archived"})
    return s


def _config(root: Path, target: str) -> Path:
    cfg = root / "config" / "serve.yaml"
    cfg.parent.mkdir(parents=True, exist_ok=True)
    cfg.write_text(
        "serve:\n"
        f"  model_uri: models:/{target}@prod\n"
        f"  gone_model: models:/{target}-never-registered@prod\n"
        f"  gone_alias: models:/{target}@champion\n"
        f"  archived: models:/{target}@archived\n", "utf-8")
    return cfg


@pytest.fixture(scope="module")
def audit(live_server: MlflowServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Audit]:
    scenarios = _seed(Seeder(client_for(live_server), live_server))
    root = tmp_path_factory.mktemp("live-rules")
    _config(root, scenarios["TC210"].good)
    old = os.getcwd()
    os.chdir(root)  # finding paths are relative to the working directory
    try:
        code = main(["audit", "--registry", "--tracking-uri", live_server.uri, "--format", "json",
                     "--select", "TC2", "--config", "config/serve.yaml", "--output", "report.json"])
        output = (root / "report.json").read_text("utf-8")
    finally:
        os.chdir(old)
    yield Audit(code, output, json.loads(output)["findings"], scenarios)


def _of(audit: Audit, code: str, model: str) -> list[dict[str, Any]]:
    if code == "TC210":
        return [f for f in audit.findings if f["rule"] == code]
    return [f for f in audit.findings if f["rule"] == code
            and f["path"] in (f"models:/{model}", *(f"models:/{model}/{n}" for n in range(1, 9)))]


def test_the_audit_ran_and_failed_on_findings(audit: Audit) -> None:
    assert audit.exit_code == 1
    assert {f["rule"] for f in audit.findings} >= set(audit.scenarios)


@pytest.mark.parametrize("code", [f"TC2{i:02d}" for i in range(1, 10)])
def test_violation_found_and_clean_twin_passes(audit: Audit, code: str) -> None:
    scenario = audit.scenarios[code]
    keys = set()
    for bad in scenario.bad:
        found = _of(audit, code, bad)
        assert found, f"{code}: nothing reported for {bad}"
        for f in found:
            assert f["line"] is None and f["column"] is None and f["path"].startswith("models:/")
        keys |= {f["key"] for f in found}
    assert keys == scenario.keys
    assert _of(audit, code, scenario.good) == []


def test_tc201_names_the_pair(audit: Audit) -> None:
    (f,) = _of(audit, "TC201", audit.scenarios["TC201"].bad[0])
    assert f["path"].endswith("/1") and "'archived' and 'prod'" in f["message"]


def test_tc202_is_model_level_with_a_case_hint(audit: Audit) -> None:
    name = audit.scenarios["TC202"].bad[0]
    (f,) = _of(audit, "TC202", name)
    assert f["path"] == f"models:/{name}" and "did you mean 'prod'" in f["message"]


def test_tc210_points_at_each_dangling_reference(audit: Audit) -> None:
    found = {f["key"]: f for f in _of(audit, "TC210", "")}
    assert set(found) == audit.scenarios["TC210"].keys  # serve.model_uri resolves cleanly
    for f in found.values():
        assert f["path"] == "config/serve.yaml" and f["line"] in (3, 4, 5) and f["column"]
    assert "archived" in found["serve.archived"]["message"]


def test_tc208_never_prints_the_secret(audit: Audit) -> None:
    assert PASSWORD not in audit.output and TOKEN not in audit.output
    assert "hunter2" not in audit.output and TOKEN[4:] not in audit.output


@pytest.mark.parametrize("fmt", ["text", "sarif", "github", "junit"])
def test_tc208_secrets_stay_out_of_every_format(audit: Audit, live_server: MlflowServer,
                                                tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"report.{fmt}"
    main(["audit", "--registry", "--tracking-uri", live_server.uri, "--format", fmt,
          "--select", "TC208", "--show-suppressed", "--output", str(out)])
    text = out.read_text("utf-8")
    assert audit.scenarios["TC208"].bad[0] in text  # the finding is there ...
    assert PASSWORD not in text and TOKEN[4:] not in text  # ... its value is not


def test_fingerprints_are_stable_across_audits(audit: Audit, live_server: MlflowServer,
                                               tmp_path: Path) -> None:
    out = tmp_path / "again.json"
    cfg = _config(tmp_path, audit.scenarios["TC210"].good)
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        main(["audit", "--registry", "--tracking-uri", live_server.uri, "--format", "json",
              "--select", "TC2", "--config", str(cfg.relative_to(tmp_path)), "--output", str(out)])
    finally:
        os.chdir(old)
    again = {f["fingerprint"] for f in json.loads(out.read_text("utf-8"))["findings"]}
    assert {f["fingerprint"] for f in audit.findings} <= again
