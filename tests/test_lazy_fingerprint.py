"""The slow value digest is paid only by outputs that write or compare fingerprints (JSON, SARIF,
baselines, fixes), never by text or GitHub output; lazy or eager, every fingerprint is the same;
the offending value a fingerprint is made of never reaches an output."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import os
import pickle
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from trackcheck import engine, findings
from trackcheck.cli import main
from trackcheck.findings import Finding, LazyFingerprint, Severity, fingerprint

TOKEN = "dapi" + "7e1b" * 8
PASSWORD = "Xq7-lazy-Fingerprint-pw"
DB_PASSWORD = "Vr9-db-Secret-pw"
ENV_PASSWORD = "Ew3-env-Secret-pw"
DEFAULT_PASSWORD = "Dk5-default-Leak-pw"
SECRETS = (TOKEN, PASSWORD, DB_PASSWORD, ENV_PASSWORD, DEFAULT_PASSWORD)

# many finding kinds: literal tracking URI, credential URI, known token, secret literals (one
# suppressed inline), an env default leak, run tags, a model URI by version and stage, a
# committed .env, a broken file, an unused suppression
TREE = {
    "config/config.yaml": "defaults:\n  - mlflow: default\n  - _self_\nproject:\n  name: demo\n",
    "config/mlflow/default.yaml": (
        "tracking_uri: https://mlflow.example.com\nexperiment_name: ${project.name}\n"
        "run_name: ${model.name}\ntags:\n  project: ${project.name}\n  env: prod\n"
        "  colour: blue\nregister:\n  alias: prod\n  stage: Production\n"
    ),
    "config/db/store.yaml": (
        f"password: {PASSWORD}\nurl: postgresql://mlflow:{DB_PASSWORD}@db:5432/mlflow\n"
        f"api_key: {PASSWORD}  # trackcheck: ignore[TC111] reason=\"a test fixture\"\n"
        f"admin_password: ${{oc.env:ADMIN_PASSWORD,{DEFAULT_PASSWORD}}}\n"
        "plain: 1  # trackcheck: ignore[TC101]\n"
    ),
    "config/deploy/serve.yaml": f"model_uri: models:/churn/7\ntoken: {TOKEN}\n",
    "config/broken.yaml": "a: [1, 2\nb: {\n",
    ".env": f"MLFLOW_TRACKING_PASSWORD={ENV_PASSWORD}\n",
}


@pytest.fixture
def tree(tmp_path: Path) -> Iterator[Path]:
    for rel, text in TREE.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, "utf-8")
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(old)


@pytest.fixture
def scrypt_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """How many times the slow digest runs (its memo cleared, so every digest counts)."""
    calls = [0]
    real = hashlib.scrypt

    def counting(*args: object, **kw: object) -> bytes:
        calls[0] += 1
        return real(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(hashlib, "scrypt", counting)
    findings.value_digest.cache_clear()
    yield calls
    findings.value_digest.cache_clear()


@pytest.fixture
def eager(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every fingerprint the engine stamps, also computed at once, the way it was before."""
    out: list[str] = []

    class Recorded(LazyFingerprint):
        __slots__ = ()

        def __init__(self, rule: str, path: str, key: str, value: str | None) -> None:
            super().__init__(rule, path, key, value)
            out.append(fingerprint(rule, path, key, value))

    monkeypatch.setattr(engine, "LazyFingerprint", Recorded)
    return out


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    capsys.readouterr()
    rc = main(["lint", *argv])
    return rc, capsys.readouterr().out


def _kinds(doc: dict[str, object]) -> set[str]:
    return {f["rule"] for f in doc["findings"]}  # type: ignore[attr-defined,index]


def test_the_tree_has_many_kinds_of_finding(tree: Path, capsys: pytest.CaptureFixture[str]
                                            ) -> None:
    rc, out = _run(capsys, "--format", "json", "--show-suppressed")
    doc = json.loads(out)
    assert rc == 1
    assert {"TC001", "TC005", "TC101", "TC103", "TC104", "TC110", "TC111", "TC120", "TC131",
            "TC160"} <= _kinds(doc)
    assert any(f["rule"] == "TC111" for f in doc["suppressed"])


def test_json_fingerprints_are_the_eager_ones(
    tree: Path, capsys: pytest.CaptureFixture[str], eager: list[str]
) -> None:
    doc = json.loads(_run(capsys, "--format", "json", "--show-suppressed")[1])
    shown = [f["fingerprint"] for f in (*doc["findings"], *doc["suppressed"])]
    assert len(shown) > 10 and Counter(shown) == Counter(eager)


def test_sarif_fingerprints_are_the_eager_ones(
    tree: Path, capsys: pytest.CaptureFixture[str], eager: list[str]
) -> None:
    doc = json.loads(_run(capsys, "--format", "sarif", "--show-suppressed")[1])
    shown = [r["partialFingerprints"]["trackcheck/v1"] for r in doc["runs"][0]["results"]]
    assert len(shown) > 10 and Counter(shown) == Counter(eager)


def test_a_baseline_is_the_same_written_lazily_or_eagerly(
    tree: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _run(capsys, "--write-baseline", "lazy.json")[0] == 0
    with monkeypatch.context() as m:  # the engine as it was: the digest at stamping time
        m.setattr(engine, "LazyFingerprint", fingerprint)
        assert _run(capsys, "--write-baseline", "eager.json")[0] == 0
    lazy, eager = (tree / "lazy.json").read_text("utf-8"), (tree / "eager.json").read_text("utf-8")
    assert lazy == eager and len(json.loads(lazy)["findings"]) > 10
    # and the lazy run accepts what the eager one wrote, and the other way round
    assert _run(capsys, "--baseline", "eager.json")[0] == 0
    with monkeypatch.context() as m:
        m.setattr(engine, "LazyFingerprint", fingerprint)
        assert _run(capsys, "--baseline", "lazy.json")[0] == 0


@pytest.mark.parametrize("fmt", ["text", "github"])
def test_text_and_github_output_never_pay_the_digest(
    tree: Path, capsys: pytest.CaptureFixture[str], scrypt_calls: list[int], fmt: str
) -> None:
    rc, out = _run(capsys, "--format", fmt, "--show-suppressed")
    assert rc == 1 and "TC111" in out
    assert scrypt_calls[0] == 0


@pytest.mark.parametrize("argv", [
    ["--format", "json"],
    ["--format", "sarif"],
    ["--write-baseline", "b.json"],
])
def test_outputs_that_show_fingerprints_pay_the_digest(
    tree: Path, capsys: pytest.CaptureFixture[str], scrypt_calls: list[int], argv: list[str]
) -> None:
    _run(capsys, *argv)
    assert scrypt_calls[0] > 0


def test_comparing_with_a_baseline_pays_the_digest(
    tree: Path, capsys: pytest.CaptureFixture[str], scrypt_calls: list[int]
) -> None:
    (tree / "empty.json").write_text(
        '{"format": "trackcheck-baseline", "version": 1, "findings": []}\n', "utf-8")
    assert _run(capsys, "--baseline", "empty.json", "--format", "text")[0] == 1
    assert scrypt_calls[0] > 0


def test_each_digest_is_computed_at_most_once_per_finding(
    tree: Path, capsys: pytest.CaptureFixture[str], scrypt_calls: list[int]
) -> None:
    doc = json.loads(_run(capsys, "--format", "json", "--show-suppressed")[1])
    assert 0 < scrypt_calls[0] <= len(doc["findings"]) + len(doc["suppressed"])


# --- the value never leaves the finding --------------------------------------------------------
def _stamped(value: str) -> Finding:
    return Finding("TC111", "secret-literal", Severity.ERROR, "secret-like key 'password'",
                   "config/db.yaml", "password", 1, 11,
                   LazyFingerprint("TC111", "config/db.yaml", "password", value))


def _every_rendering(f: Finding) -> list[str]:
    fp = f._fingerprint
    return [
        repr(f), str(f), repr(fp), repr(dataclasses.replace(f, suppressed="baseline")),
        repr(dataclasses.asdict(f)), repr(dataclasses.astuple(f)), repr(copy.deepcopy(f)),
        repr(copy.copy(f)), json.dumps(f.to_dict()), repr(pickle.dumps(f)),
        repr(pickle.dumps(fp)), repr(f.__dict__),
    ]


def test_the_value_is_in_no_rendering_of_a_finding_before_or_after_hashing() -> None:
    f = _stamped(PASSWORD)
    before = _every_rendering(f)  # renders that hash (deepcopy, pickle) come after the others
    assert not [r for r in before if PASSWORD in r]
    assert f.fingerprint == fingerprint("TC111", "config/db.yaml", "password", PASSWORD)
    assert not [r for r in _every_rendering(f) if PASSWORD in r]


def test_a_copied_or_unpickled_finding_keeps_its_fingerprint_not_its_value() -> None:
    f = _stamped(PASSWORD)
    want = fingerprint("TC111", "config/db.yaml", "password", PASSWORD)
    for other in (pickle.loads(pickle.dumps(f)), copy.deepcopy(f), copy.copy(f),
                  dataclasses.replace(f, path="scrubbed.yaml")):
        assert other.fingerprint == want
    assert dataclasses.asdict(f)["_fingerprint"] == want


def test_the_findings_of_a_run_hold_no_value_in_their_repr(tree: Path) -> None:
    from trackcheck.lint.discover import discover
    from trackcheck.lint.runner import lint
    from trackcheck.policy import load_policy

    found = discover([], load_policy(None)[0], tree)
    report = lint(found.targets, found.policy)
    shown = repr(report.findings) + repr(report.suppressed)
    assert len(report.findings) > 10
    assert [s for s in SECRETS if s in shown] == []


def test_equality_and_hash_follow_the_fingerprint_as_before() -> None:
    a, b, c = _stamped(PASSWORD), _stamped(PASSWORD), _stamped(DB_PASSWORD)
    assert a == b and a != c  # compared without hashing while both are lazy
    assert a._fingerprint._digest is None  # type: ignore[union-attr]
    given = dataclasses.replace(a, _fingerprint=a.fingerprint)
    assert isinstance(given._fingerprint, str)
    assert given == b and b == given and given != c
    assert hash(given) == hash(b) and len({a, b, c, given}) == 2
    plain = Finding("TC1", "n", Severity.ERROR, "m", "p", "k", fingerprint="ab" * 16)
    assert plain.fingerprint == "ab" * 16 and plain == dataclasses.replace(plain)
