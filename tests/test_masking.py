"""Masking values, not words: a secret that equals a word leaves paths, key paths, messages, rule
text, diff headers and the baseline as they are; a secret that is not a word never shows."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import run_cli as run
from trackcheck import baseline
from trackcheck.cli import FORMATS, _all_rules
from trackcheck.detect.redact import MASK, scrub_report, scrubber
from trackcheck.engine import Report
from trackcheck.lint.discover import Target, classify
from trackcheck.lint.fix import FixResult, _diff, plan
from trackcheck.lint.runner import lint
from trackcheck.policy import load_policy
from trackcheck.reporters import REPORTERS

# common words a short password is made of, and words of the output itself (severities, JSON and
# SARIF keys, rule text): none of them may be altered because a secret equals it
WORDS = ("secret", "mlflow", "yaml", "error", "password", "config", "test", "db", "json", "key",
         "warning", "rule", "literal", "value", "files", "services", "environment", "level")
DAPI = "dapi" + "a4c123b1612dd272d1371c17149d4395"
MIXED = ("Hunter2-Zq9!xT4#pL", DAPI, "S3cr3t-Pw")
Cap = pytest.CaptureFixture[str]
Files = Callable[[str], dict[str, str]]
POLICY = load_policy("default")[0]
RULES = _all_rules()


def hydra(w: str) -> dict[str, str]:
    """A Hydra tree whose file name and keys hold the word its password is."""
    return {
        "conf/config.yaml": f"defaults:\n  - db: {w}\n",
        f"conf/db/{w}.yaml": (
            f"{w}:\n"
            f"  password: {w}\n"
            f"  {w}_token: {w}  # trackcheck: ignore[TC111] reason=\"{w} is a fixture\"\n"
            f"  host: {w}.internal\n"
        ),
        f"conf/mlflow/{w}.yaml": f"tracking_uri: http://{w}.example.com\nexperment_name: {w}\n",
    }


def compose(w: str) -> dict[str, str]:
    """A docker-compose MLflow stack whose service is named after its database password."""
    return {
        "docker-compose.yaml": (
            "services:\n"
            f"  {w}:\n"
            f"    image: {w}:latest\n"
            "    environment:\n"
            f"      POSTGRES_PASSWORD: {w}\n"
            f"      POSTGRES_USER: {w}\n"
        ),
    }


@contextmanager
def linted(files: dict[str, str]) -> Iterator[tuple[Report, list[Target]]]:
    """The report of ``files`` written in a fresh directory (the working directory meanwhile)."""
    root = tempfile.mkdtemp(prefix="tc-mask-")
    old = os.getcwd()
    try:
        for rel, text in files.items():
            (Path(root) / rel).parent.mkdir(parents=True, exist_ok=True)
            (Path(root) / rel).write_text(text, "utf-8")
        os.chdir(root)
        targets = [t for rel in sorted(files) if (t := classify(rel, POLICY)) is not None]
        yield lint(targets, POLICY), targets
    finally:
        os.chdir(old)
        shutil.rmtree(root, ignore_errors=True)


def unmasked_diff(result: FixResult) -> str:
    return "".join(_diff(replace(f, old_secrets={}, new_secrets={}), str) for f in result.changed)


# --- the property ------------------------------------------------------------------------------
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(word=st.sampled_from(WORDS), case=st.sampled_from([str.lower, str.upper, str.capitalize]),
       layout=st.sampled_from([hydra, compose]))
def test_a_word_secret_changes_no_byte_of_any_format_diff_or_baseline(
        word: str, case: Callable[[str], str], layout: Files) -> None:
    w = case(word)
    with linted(layout(w)) as (report, targets):
        assert w in report.secrets  # the word was recorded as a secret ...
        assert any(w in f.path + f.key for f in report.findings)  # ... and is a word of the output
        masked = scrub_report(report)
        for fmt in FORMATS:
            for shown in (False, True):
                assert REPORTERS[fmt](masked, RULES, shown) == REPORTERS[fmt](report, RULES, shown)
        assert (baseline.render(report.findings, report.secrets)
                == baseline.render(report.findings, ()))
        result = plan(targets, report, POLICY, unsafe=True)
        if layout is compose:  # not Hydra config: nothing to fix, nothing to diff
            assert result.diff() == ""
            return
        out, raw = result.diff().splitlines(), unmasked_diff(result).splitlines()
    assert len(out) == len(raw) and MASK in "\n".join(out)  # the password line is masked ...
    for got, plain in zip(out, raw, strict=True):
        if got.startswith(("---", "+++", "@@")):
            assert got == plain
        else:  # ... and nothing but the password: every other difference is a masked value
            assert got.replace(MASK, w) == plain


# --- end to end, through main(argv) --------------------------------------------------------------




@pytest.mark.parametrize("fmt", FORMATS)
def test_word_secrets_leave_paths_and_keys_of_every_format_intact(
        fmt: str, tree: Callable[[dict[str, str]], Path], capsys: Cap) -> None:
    tree({**hydra("yaml"), **compose("mlflow")})
    code, out, _ = run(capsys, "lint", ".", "--format", fmt, "--show-suppressed")
    assert code == 1
    assert "conf/db/yaml.yaml" in out and "services.mlflow.environment.POSTGRES_PASSWORD" in out
    assert "secret-like key" in out  # the rule's words, as it wrote them
    assert "yaml is a fixture" in out or fmt in ("github", "junit")  # the reason, where shown
    assert MASK not in out  # no value is printed, so there is nothing to mask


def test_word_secrets_leave_the_diff_headers_and_other_hunks_applicable(
        tree: Callable[[dict[str, str]], Path], capsys: Cap) -> None:
    root = tree({**hydra("yaml"), **compose("mlflow")})
    code, out, err = run(capsys, "lint", ".", "--diff", "--unsafe-fixes")
    assert code == 1
    assert "--- a/conf/db/yaml.yaml\n+++ b/conf/db/yaml.yaml\n" in out
    assert "--- a/conf/mlflow/yaml.yaml\n+++ b/conf/mlflow/yaml.yaml\n" in out
    assert "\n yaml:\n-  password: ************\n+  password: ${oc.env:PASSWORD}\n" in out
    for line in ("-tracking_uri: http://yaml.example.com\n", "-experment_name: yaml\n",
                 "+experiment_name: yaml\n", "   host: yaml.internal\n"):
        assert line in out  # words and non-secret values, as written
    assert "conf/db/yaml.yaml:2: TC111 would remove a committed secret from 'yaml.password'" in err
    # a hunk that touches no secret applies as printed, whatever the secret's word
    code, out, _ = run(capsys, "lint", "conf/mlflow/yaml.yaml", "--diff")
    assert code == 1 and out.startswith("--- a/conf/mlflow/yaml.yaml\n")
    (root / "fix.patch").write_text(out, "utf-8")
    git = shutil.which("git")
    assert git is not None
    subprocess.run([git, "apply", "fix.patch"], cwd=root, check=True, capture_output=True)
    assert (root / "conf/mlflow/yaml.yaml").read_text("utf-8").endswith("experiment_name: yaml\n")


def test_word_secrets_leave_the_baseline_as_an_unmasked_run_writes_it(
        tree: Callable[[dict[str, str]], Path], capsys: Cap) -> None:
    tree({**hydra("secret"), **compose("mlflow")})
    assert run(capsys, "lint", ".", "--write-baseline", "bl.json")[0] == 0
    doc = json.loads(Path("bl.json").read_text("utf-8"))
    code, out, _ = run(capsys, "lint", ".", "--format", "json")
    findings = json.loads(out)["findings"]
    assert code == 1
    assert sorted((e["path"], e["key"], e["fingerprint"]) for e in doc["findings"]) == sorted(
        (f["path"], f["key"], f["fingerprint"]) for f in findings)
    assert {"conf/db/secret.yaml", "docker-compose.yaml"} <= {e["path"] for e in doc["findings"]}
    assert "services.mlflow.environment.POSTGRES_PASSWORD" in {e["key"] for e in doc["findings"]}
    assert run(capsys, "lint", ".", "--baseline", "bl.json")[0] == 0


# --- secrets that are not words ------------------------------------------------------------------
def mixed_tree() -> dict[str, str]:
    """Long mixed secrets as values, in a key, in a suppressed line and in a file name."""
    return {
        "conf/config.yaml": "defaults:\n  - db: main\n",
        "conf/db/main.yaml": (
            "db:\n"
            "  password: Hunter2-Zq9!xT4#pL\n"
            f"  token: {DAPI}\n"
            "  url: postgresql://u:S3cr3t-Pw@db/x\n"
            "  api_key: Hunter2-Zq9!xT4#pL  # trackcheck: ignore[TC111]\n"
            "mlflow:\n"
            "  tags:\n"
            "    Hunter2-Zq9!xT4#pL: x\n"
        ),
        f"conf/db/{DAPI}.yaml": "db:\n  password: Hunter2-Zq9!xT4#pL\n",
        "docker-compose.yaml": (
            "services:\n  db:\n    environment:\n      POSTGRES_PASSWORD: Hunter2-Zq9!xT4#pL\n"
        ),
    }


@pytest.mark.parametrize("fmt", FORMATS)
def test_mixed_secrets_never_appear_in_any_format(fmt: str, tree: Callable[[dict[str, str]], Path],
                                                  capsys: Cap) -> None:
    tree(mixed_tree())
    code, out, err = run(capsys, "lint", ".", "--format", fmt, "--show-suppressed")
    assert code == 1
    for secret in MIXED:
        assert secret not in out + err, fmt
    assert "conf/db/dapi************.yaml" in out  # a token in a file name is a secret


def test_mixed_secrets_never_appear_in_the_diff_or_the_baseline(
        tree: Callable[[dict[str, str]], Path], capsys: Cap) -> None:
    tree(mixed_tree())
    code, out, err = run(capsys, "lint", ".", "--diff", "--unsafe-fixes")
    assert code == 1 and "+  password: ${oc.env:PASSWORD}" in out
    assert "--- a/conf/db/dapi************.yaml" in out
    for secret in MIXED:
        assert secret not in out + err
    assert run(capsys, "lint", ".", "--write-baseline", "bl.json")[0] == 0
    text = Path("bl.json").read_text("utf-8")
    for secret in MIXED:
        assert secret not in text
    assert run(capsys, "lint", ".", "--baseline", "bl.json")[0] == 0


def test_a_report_masks_mixed_secrets_in_every_field_and_words_in_none() -> None:
    with linted({**mixed_tree(), **compose("mlflow")}) as (report, _):
        assert {"Hunter2-Zq9!xT4#pL", "mlflow"} <= report.secrets
        masked = scrub_report(report)
    clean = scrubber(report.secrets)
    for f, m in zip(report.findings, masked.findings, strict=True):
        assert (m.path, m.key, m.message) == (clean(f.path), clean(f.key), clean(f.message))
        assert "Hunter2-Zq9!xT4#pL" not in m.path + m.key + m.message
    keys = {m.key for m in masked.findings}
    assert "mlflow.tags.************" in keys  # the secret used as a key: masked
    assert "services.mlflow.environment.POSTGRES_PASSWORD" in keys  # the word: not
