"""Adversarial regressions: secrets where the rules do not look for them, values that collide with
the output's own words, hostile URIs and files; through ``main(argv)`` and the console script."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import run_cli as run
from trackcheck.audit.source import masked_uri
from trackcheck.cli import FORMATS, main

DAPI = "dapi" + "0123456789abcdef0123456789abcdef"
GHP = "ghp_" + "gLKOmxgJTeKdNnFRIBXuDL7DxtpYlSXpfKtH"
TRACKCHECK = str(Path(sys.executable).with_name("trackcheck"))
Cap = pytest.CaptureFixture[str]
Tree = Callable[[dict[str, str]], Path]


@pytest.fixture(autouse=True)
def _no_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)






# --- secrets the rules do not register -------------------------------------------------------
@pytest.mark.parametrize(("text", "argv"), [
    (f"tags:\n  {DAPI}: x\n", ()),  # a token as a run-tag key: TC120 names the key
    (f"tags:\n  env: {DAPI}\n", ("--select", "TC122")),  # TC110 not selected: nobody registers it
    (f"tags:\n  env: {GHP}\n", ("--ignore", "TC110")),
    ("tags:\n  env: https://bob:Hunter2-Secret-99@db.example\n", ("--select", "TC122")),
])
@pytest.mark.parametrize("fmt", FORMATS)
def test_known_secret_shapes_never_printed(text: str, argv: tuple[str, ...], fmt: str,
                                           tree: Tree, capsys: Cap) -> None:
    tree({"config/mlflow/a.yaml": text})
    code, out, err = run(capsys, "lint", "--format", fmt, "--show-suppressed", *argv)
    assert code == 1, err
    for secret in (DAPI, GHP, "Hunter2-Secret-99"):
        assert secret not in out + err, fmt


def test_token_in_a_key_stays_out_of_the_baseline(tree: Tree, capsys: Cap) -> None:
    tree({"config/mlflow/a.yaml": f"tags:\n  {DAPI}: x\n"})
    assert run(capsys, "lint", "--write-baseline", "bl.json")[0] == 0
    assert DAPI not in Path("bl.json").read_text("utf-8")
    assert run(capsys, "lint", "--baseline", "bl.json")[0] == 0


# --- a secret that is also a word of the output ----------------------------------------------
SHORT = "db:\n  password: error\n  token: version\n  secret: rule\n"


def test_common_word_secret_keeps_json_and_sarif_intact(tree: Tree, capsys: Cap) -> None:
    tree({"config/a.yaml": SHORT})
    doc = json.loads(run(capsys, "lint", "--format", "json")[1])
    assert doc["version"] == 1 and doc["summary"]["error"] == 3
    assert {f["severity"] for f in doc["findings"]} == {"error"}
    assert {f["rule"] for f in doc["findings"]} == {"TC111"}
    sarif = json.loads(run(capsys, "lint", "--format", "sarif")[1])
    assert sarif["version"] == "2.1.0"
    assert {r["level"] for r in sarif["runs"][0]["results"]} == {"error"}
    out = run(capsys, "lint", "--format", "github")[1]
    assert out.startswith("::error ")
    out = run(capsys, "lint")[1]
    assert out.splitlines()[0].endswith("[error]")


def test_common_word_secret_keeps_the_baseline_readable(tree: Tree, capsys: Cap) -> None:
    tree({"config/a.yaml": SHORT})
    assert run(capsys, "lint", "--write-baseline", "bl.json")[0] == 0
    doc = json.loads(Path("bl.json").read_text("utf-8"))
    assert doc["format"] == "trackcheck-baseline" and doc["version"] == 1
    assert run(capsys, "lint", "--baseline", "bl.json")[0] == 0


def test_non_ascii_secret_in_a_key_not_printed_json_escaped(tree: Tree, capsys: Cap) -> None:
    # json.dumps escapes non-ASCII: a scrub of the rendered text would miss the escaped form
    secret = "pässwörd-Ünïcode-42"
    tree({"config/mlflow/a.yaml": f"tags:\n  env: {secret}\n  {secret}: 1\n"
                                  f"password: {secret}\n"})
    code, out, _ = run(capsys, "lint", "--format", "json")
    assert code == 1
    assert secret not in json.dumps(json.loads(out), ensure_ascii=False)


# --- error messages ----------------------------------------------------------------------------
def test_policy_error_masks_credential_uri(tree: Tree, capsys: Cap) -> None:
    tree({"p.yaml": "extends: https://bob:Hunter2-Secret-99@policies.example/team.yaml\n",
          "config/a.yaml": "x: 1\n"})
    code, _, err = run(capsys, "lint", "--policy", "p.yaml")
    assert code == 2 and "bob:****@policies.example" in err
    code, _, err = run(capsys, "check-policy", "p.yaml")
    assert code == 2 and err.strip()
    assert "Hunter2-Secret-99" not in err


@pytest.mark.parametrize("override", [
    "db.password=Hunter2-Secret-99)",  # Hydra's message echoes the whole override
    "db.password=choice(Hunter2-Secret-99",  # ... or the part it choked on
    f"+x={DAPI}'",
])
def test_unparsable_override_does_not_echo_its_secret(override: str, tree: Tree,
                                                     capsys: Cap) -> None:
    tree({"config/train.yaml": "db:\n  password: ${oc.env:DB_PASSWORD}\n"})
    code, _, err = run(capsys, "lint", "--compose", "train", "-o", override)
    assert code == 2 and "cannot parse overrides" in err
    assert "Hunter2-Secret-99" not in err and DAPI not in err


@pytest.mark.parametrize(("uri", "shown"), [
    ("https://bob:p@ssw0rd-42@mlflow.example", "https://bob:****@mlflow.example"),
    ("https://bob:pa/ssw0rd-42@mlflow.example/", "https://bob:****@mlflow.example/"),
    ("https://bob:pa#ssw0rd-42@mlflow.example", "https://bob:****@mlflow.example"),
    ("https://mlflow.example/api?mail=a@b.example", "https://mlflow.example/api"),
])
def test_masked_uri_hides_passwords_with_reserved_characters(uri: str, shown: str) -> None:
    assert masked_uri(uri) == shown


@pytest.mark.parametrize("uri", [
    "https://bob:p@ssw0rd-42@127.0.0.1:9/",
    "https://bob:pa/ssw0rd-42@127.0.0.1:9/",
])
def test_audit_error_masks_odd_passwords(uri: str, tree: Tree, capsys: Cap) -> None:
    tree({})
    code, out, err = run(capsys, "audit", "--registry", "--tracking-uri", uri, "--timeout", "2")
    assert code == 3 and err.strip()
    assert "ssw0rd-42" not in out + err


# --- files that never end, outputs that cannot be written ------------------------------------
def _cli(cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    # the timeout is only a guard against a hang taking the test run with it
    return subprocess.run([TRACKCHECK, *argv], cwd=cwd, capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_baseline_that_is_not_a_regular_file(kind: str, tree: Tree) -> None:
    root = tree({"config/a.yaml": "x: 1\n"})
    if kind == "fifo":
        os.mkfifo(root / "bl.json")  # reading it would block forever
        path = "bl.json"
    else:
        path = "/dev/zero"  # reading it would never end
    p = _cli(root, "lint", "--baseline", path)
    assert p.returncode == 2, p.stderr
    assert p.stderr.startswith("trackcheck: ") and "not a regular file" in p.stderr
    assert "Traceback" not in p.stderr


@pytest.mark.parametrize("kind", ["fifo", "device", "folder"])
def test_output_that_is_not_a_regular_file(kind: str, tree: Tree) -> None:
    root = tree({"config/a.yaml": "x: 1\n"})
    target = {"fifo": "out.fifo", "device": "/dev/null", "folder": "config"}[kind]
    if kind == "fifo":
        os.mkfifo(root / target)  # writing it would block until a reader comes: never
    p = _cli(root, "lint", "--output", target)
    assert p.returncode == 2, p.stderr
    assert p.stderr.startswith("trackcheck: ") and "not a regular file" in p.stderr


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_file_name_that_is_not_utf8(fmt: str, tree: Tree) -> None:
    root = tree({})
    (root / "config").mkdir()
    # a name git and the file system allow, which no UTF-8 text can hold as it is
    with open(os.path.join(os.fsencode(root), b"config", b"db-\xff.yaml"), "w") as fh:
        fh.write("password: Hunter2-Secret-99\n")
    for argv in ([], ["--output", "report.out"]):
        p = _cli(root, "lint", "--format", fmt, *argv)
        assert p.returncode == 1, p.stderr
        assert "internal error" not in p.stderr and "Traceback" not in p.stderr
        shown = p.stdout if not argv else (root / "report.out").read_text("utf-8")
        assert "db-" in shown and "Hunter2" not in shown


def test_an_unclosed_ipv6_registry_uri(tree: Tree, capsys: Cap) -> None:
    tree({})
    code, out, err = run(capsys, "audit", "--registry", "--tracking-uri", "http://u:pw-99@[::1")
    assert code == 3 and out == ""
    assert err == "trackcheck: registry http://u:****@[::1: not a valid URI\n"


class _FullStdout(io.StringIO):
    def write(self, s: str) -> int:
        raise OSError(28, "No space left on device")


@pytest.mark.parametrize("stdout", [None, _FullStdout()])
def test_unwritable_stdout_is_a_clear_error(stdout: object, tree: Tree, capsys: Cap,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    tree({"config/a.yaml": "x: 1\n"})
    monkeypatch.setattr(sys, "stdout", stdout)
    code = main(["lint"])
    err = capsys.readouterr().err
    assert code == 3
    assert err.startswith("trackcheck: ") and "cannot write report" in err
    assert "internal error" not in err


# --- fixes ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("written", [
    '"Hunt\\\n  er2-Secret-99"',  # an escaped line break: the value reads Hunter2-Secret-99
    "'Hunter2-\n  Secret-99'",  # folded: the value reads "Hunter2- Secret-99"
])
@pytest.mark.parametrize("select", ["TC", "TC101"])
def test_diff_masks_every_line_of_a_quoted_secret(written: str, select: str, tree: Tree,
                                                  capsys: Cap) -> None:
    tree({"config/mlflow/a.yaml": "tracking_uri: http://mlflow.example:5000\n"
                                  f"password: {written}\nrun_name: x\n"})
    code, out, err = run(capsys, "lint", "--diff", "--unsafe-fixes", "--select", select)
    assert code == 1 and "+tracking_uri: ${oc.env:MLFLOW_TRACKING_URI}" in out
    for part in ("Hunt", "er2-Secret", "Secret-99"):
        assert part not in out + err, out


# --- suppressions are real comments only ---------------------------------------------------------
@pytest.mark.parametrize("carrier", [
    "note: |\n  see # trackcheck: ignore-file[TC111]\n",  # a block scalar's line
    "note: >-\n  # trackcheck: ignore-file[TC111]\n",
    'note: "a\n  # trackcheck: ignore-file[TC111]"\n',  # a multi-line quoted string
    "note: 'x # trackcheck: ignore-file[TC111]'\n",
])
def test_a_suppression_inside_a_scalar_suppresses_nothing(carrier: str, tree: Tree,
                                                          capsys: Cap) -> None:
    tree({"config/a.yaml": carrier + "db:\n  password: Hunter2-Secret-99\n"})
    code, out, _ = run(capsys, "lint", "config", "--format", "json")
    found = [(f["rule"], f["key"]) for f in json.loads(out)["findings"]]
    assert code == 1 and ("TC111", "db.password") in found
    assert not any(rule == "TC005" for rule, _ in found)  # it is text, not a directive


def test_a_real_comment_still_suppresses(tree: Tree, capsys: Cap) -> None:
    tree({"config/a.yaml": "note: |\n  text\n# trackcheck: ignore-file[TC111]\n"
                           "db:\n  password: Hunter2-Secret-99\n"})
    code, out, _ = run(capsys, "lint", "config", "--format", "json")
    assert code == 0 and json.loads(out)["findings"] == []


# --- a file that does not parse hides no secret --------------------------------------------------
_DAPI = "dapi" + "0123456789abcdef" * 2
_HF = "hf_" + "Q" * 34


@pytest.mark.parametrize(("head", "problem"), [
    ("a: [unclosed\n", "TC001"),
    ("# trackcheck: ignore-file[TC001]\na: [unclosed\n", None),  # TC001 suppressed, not TC110
    ("a: " + "[" * 2000 + "\n", "TC004"),  # nested past the parser's limit
])
def test_a_broken_file_is_still_read_for_secrets(head: str, problem: str | None, tree: Tree,
                                                 capsys: Cap) -> None:
    body = (f"token: {_DAPI}\nurl: postgresql://u:S3cret-pw-9@db/x\n"
            + "x" * 9000 + f" {_HF}\n")
    tree({"config/a.yaml": head + body})
    code, out, err = run(capsys, "lint", "config", "--format", "json")
    found = {(f["rule"], f["line"], f["column"]) for f in json.loads(out)["findings"]}
    n = head.count("\n")
    assert {("TC110", n + 1, 8), ("TC103", n + 2, 6), ("TC110", n + 3, 9002)} <= found
    assert {r for r, _, _ in found} == {"TC110", "TC103"} | ({problem} if problem else set())
    for secret in (_DAPI, _HF, "S3cret-pw-9"):
        assert secret not in out + err
