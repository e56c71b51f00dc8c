"""``trackcheck audit --registry`` end to end against the real server: summary, formats, secrets,
baseline, per-path ignores, committed references (TC210), progress and usage errors."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.audit.conftest import Seeder
from trackcheck.cli import FORMATS, main

TOKEN = "dapi" + "0123456789abcdef" * 2
PASSWORD = "hunter2-hunter2-hunter2"
DB_PASSWORD = "pg-pass-7f3k2"


@pytest.fixture(autouse=True)
def _elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for k in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI", "GITHUB_ACTIONS"):
        monkeypatch.delenv(k, raising=False)


def _audit(server, capfd: pytest.CaptureFixture[str], *args: str,  # type: ignore[no-untyped-def]
           uri: str | None = None) -> tuple[int, str, str]:
    capfd.readouterr()  # drop what seeding printed (MLflow prints a link per finished run)
    code = main(["audit", "--registry", "--tracking-uri", uri or server.uri, *args])
    out, err = capfd.readouterr()
    return code, out, err


def _json(server, capfd, *args: str, uri: str | None = None) -> tuple[int, dict]:  # type: ignore[no-untyped-def]
    code, out, err = _audit(server, capfd, "--format", "json", "--policy", "default", *args,
                            uri=uri)
    assert err == "", err
    return code, json.loads(out)


def _clean_version(seed: Seeder, name: str, aliases: list[str]) -> int:
    run = seed.run(tags={"project": "demo", "env": "prod", "model_name": name, "data_name": "d",
                         "debug": "false", "lifecycle_intent": "staging",
                         "mlflow.source.git.commit": "c" * 40}, dataset_digest="9d1e")
    return seed.version(name, run_id=run, aliases=aliases)


@pytest.fixture
def leaky(seed: Seeder) -> str:
    """A prod version with secrets in the model description, a version tag and a run param."""
    name = seed.model(description=f"call with token {TOKEN}")
    run = seed.run(tags={"env": "prod"}, params={"db_uri": f"postgresql://ml:{DB_PASSWORD}@db/x"})
    seed.version(name, run_id=run, aliases=["prod"], tags={"password": PASSWORD})
    return name


def test_summary_says_how_much_was_audited(mlflow_server, seed: Seeder, capfd) -> None:  # type: ignore[no-untyped-def]
    name = seed.model()
    _clean_version(seed, name, ["prod"])
    seed.version(name)
    uri = mlflow_server.uri.replace("http://", "http://auditor:not-a-real-pw@")
    code, doc = _json(mlflow_server, capfd, uri=uri)
    s = doc["summary"]
    assert s["registry"] == mlflow_server.uri.replace("http://", "http://auditor:****@")
    assert s["models"] >= 1 and s["versions"] >= 2 and s["runs"] >= 1
    assert 4 <= s["requests"] <= 6
    assert doc["engine"] == "audit"
    assert not [f for f in doc["findings"] if f["path"].startswith(f"models:/{name}/")]
    code, out, _ = _audit(mlflow_server, capfd, "--policy", "default", uri=uri)
    assert out.splitlines()[-1].endswith(f"requests at {s['registry']}")
    assert "not-a-real-pw" not in out


@pytest.mark.parametrize("fmt", FORMATS)
def test_secrets_never_appear_in_any_format(fmt: str, mlflow_server, leaky: str,  # type: ignore[no-untyped-def]
                                            capfd, tmp_path: Path) -> None:
    code, out, err = _audit(mlflow_server, capfd, "--format", fmt, "--policy", "default",
                            "--show-suppressed")
    assert code == 1
    for secret in (TOKEN, PASSWORD, DB_PASSWORD, TOKEN[4:]):
        assert secret not in out and secret not in err
    assert "TC208" in out
    main(["audit", "--registry", "--tracking-uri", mlflow_server.uri, "--policy", "default",
          "--write-baseline", str(tmp_path / "b.json")])
    capfd.readouterr()
    assert TOKEN not in (tmp_path / "b.json").read_text()


def test_registry_findings_by_version_and_model(mlflow_server, leaky: str, capfd) -> None:  # type: ignore[no-untyped-def]
    _, doc = _json(mlflow_server, capfd)
    mine = {(f["rule"], f["path"], f["key"]) for f in doc["findings"]
            if f["path"].startswith(f"models:/{leaky}")}
    assert ("TC208", f"models:/{leaky}", "description") in mine
    assert ("TC208", f"models:/{leaky}/1", "tags.password") in mine
    assert all(f["line"] is None for f in doc["findings"] if f["path"].startswith("models:/"))


def test_baseline_hides_known_findings_and_shows_new_ones(mlflow_server, seed: Seeder, capfd,  # type: ignore[no-untyped-def]
                                                          tmp_path: Path) -> None:
    name = seed.model()
    seed.version(name, aliases=["prod", "archived"])
    base = tmp_path / "baseline.json"
    code, out, err = _audit(mlflow_server, capfd, "--policy", "default", "--write-baseline",
                            str(base))
    assert code == 0 and "wrote" in err and out == ""
    code, doc = _json(mlflow_server, capfd, "--baseline", str(base))
    assert code == 0 and doc["findings"] == []
    seed.version(name, aliases=["Prod"])  # a new problem: an alias outside the allowed set
    code, doc = _json(mlflow_server, capfd, "--baseline", str(base))
    assert code == 1
    assert {(f["rule"], f["path"]) for f in doc["findings"]} == {("TC202", f"models:/{name}")}


def test_per_path_ignores_take_model_globs(mlflow_server, seed: Seeder, capfd,  # type: ignore[no-untyped-def]
                                           tmp_path: Path) -> None:
    legacy, other = seed.model(seed.name("legacy")), seed.model()
    for name in (legacy, other):
        seed.version(name, aliases=["prod", "archived"])
    (tmp_path / "policy.yaml").write_text(textwrap.dedent(f"""
        extends: default
        per_path_ignores:
          "models:/{legacy}*": [TC2]
    """), "utf-8")
    _, doc = _audit_json_with_policy(mlflow_server, capfd, tmp_path / "policy.yaml")
    paths = {f["path"] for f in doc["findings"]}
    assert f"models:/{other}/1" in paths
    assert not any(p.startswith(f"models:/{legacy}") for p in paths)


def _audit_json_with_policy(server, capfd, policy: Path):  # type: ignore[no-untyped-def]
    code, out, err = _audit(server, capfd, "--format", "json", "--policy", str(policy))
    assert err == "", err
    return code, json.loads(out)


def test_committed_references_are_checked_at_their_line(mlflow_server, seed: Seeder, capfd,  # type: ignore[no-untyped-def]
                                                        tmp_path: Path) -> None:
    name = seed.model()
    _clean_version(seed, name, ["prod"])
    seed.version(name, aliases=["archived"])
    cfg = tmp_path / "config" / "serve"
    cfg.mkdir(parents=True)
    (cfg / "default.yaml").write_text(textwrap.dedent(f"""\
        model_uri: models:/{name}@prod
        shadow_uri: models:/{name}@champion
        old_uri: models:/{name}@archived
        missing: models:/no-such-model-{name}@prod
        by_version: models:/{name}/1
        templated: models:/${{model.name}}@prod
        cmd: mlflow models serve -m models:/{name}@canary --port 5001
        known: models:/{name}@staging  # trackcheck: ignore[TC210] reason="promoted next week"
    """), "utf-8")
    code, doc = _json(mlflow_server, capfd, "--config", "config", "--select", "TC210",
                      "--show-suppressed")
    got = sorted((f["path"], f["line"], f["key"]) for f in doc["findings"])
    rel = "config/serve/default.yaml"
    assert got == [(rel, 2, "shadow_uri"), (rel, 3, "old_uri"), (rel, 4, "missing"),
                   (rel, 7, "cmd")]
    assert code == 1 and doc["summary"]["references"] == 6  # by version, templated: skipped
    assert [(f["line"], f["suppressed"]) for f in doc["suppressed"]] == [
        (8, "inline: promoted next week")]
    assert next(f for f in doc["findings"] if f["key"] == "cmd")["column"] == 29


def test_missing_config_path_is_a_usage_error(mlflow_server, capfd) -> None:  # type: ignore[no-untyped-def]
    code, out, err = _audit(mlflow_server, capfd, "--policy", "default", "--config", "nope")
    assert code == 2 and "nope" in err and out == ""


def test_bad_timeout_is_a_usage_error(mlflow_server, capfd) -> None:  # type: ignore[no-untyped-def]
    code, _, err = _audit(mlflow_server, capfd, "--policy", "default", "--timeout", "0")
    assert code == 2 and "--timeout" in err


def test_unsupported_store_is_named(capfd, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "mlruns").mkdir()
    code = main(["audit", "--registry", "--policy", "default", "--tracking-uri", "file:./mlruns"])
    _, err = capfd.readouterr()
    assert code == 3 and "file stores" in err and len(err.strip().splitlines()) == 1


def test_progress_line_only_on_a_terminal(mlflow_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = {**os.environ, "MLFLOW_TRACKING_URI": mlflow_server.uri}
    cmd = [sys.executable, "-m", "trackcheck", "audit", "--registry", "--policy", "default",
           "--format", "json"]
    piped = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert piped.returncode in (0, 1) and piped.stderr == ""
    master, slave = pty.openpty()
    try:
        p = subprocess.run(cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=slave,
                           timeout=120)
        os.close(slave)
        slave = -1
        seen = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    finally:
        if slave >= 0:
            os.close(slave)
        os.close(master)
    assert p.returncode in (0, 1)
    text = seen.decode()
    assert f"trackcheck: reading {mlflow_server.uri}: models " in text
    assert text.endswith("\r\x1b[K")  # the line is cleared before the report
    assert json.loads(p.stdout)["summary"]["models"] >= 0
