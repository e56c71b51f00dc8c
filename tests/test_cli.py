"""The command line: exit codes, options and formats, through ``main(argv)`` and through the
installed console script in a subprocess."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from trackcheck.cli import FORMATS, main
from trackcheck.rule import REQUIRED_SECTIONS

CLEAN = "mlflow:\n  tracking_uri: ${oc.env:MLFLOW_TRACKING_URI}\n"
ERRORS = (
    "mlflow:\n"
    "  tracking_uri: https://mlflow.example.com\n"           # TC101
    "db:\n"
    "  url: postgresql://app:Hunter2-Secret-99@db:5432/app\n"  # TC103
    "  password: Zq8-v3ry-l0ng-S3cret\n"                      # TC111
    "model:\n"
    "  name: a\n"
    "  name: b\n"                                              # TC003
)
WARNINGS_ONLY = "model:\n  depth: 3  # trackcheck: ignore[TC101]\n"  # TC005 (a warning)
TEXT_LINE = re.compile(
    r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<code>TC\d{3}) (?P<msg>.+) "
    r"\[(?P<sev>error|warning)\]$")
Cap = pytest.CaptureFixture[str]


@pytest.fixture(autouse=True)
def _no_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory with a clean, an erroneous and a warnings-only config file."""
    for rel, text in {"config/clean.yaml": CLEAN, "config/errors.yaml": ERRORS,
                      "config/warn.yaml": WARNINGS_ONLY}.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, "utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(capsys: Cap, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def rules_found(capsys: Cap, *argv: str) -> set[str]:
    code, out, err = run(capsys, "lint", "config/errors.yaml", "--format", "json", *argv)
    assert code in (0, 1), err
    return {f["rule"] for f in json.loads(out)["findings"]}


# --- exit codes ---------------------------------------------------------------------------
def test_clean_exits_0(repo: Path, capsys: Cap) -> None:
    code, out, _ = run(capsys, "lint", "config/clean.yaml")
    assert code == 0
    assert out == "0 error(s), 0 warning(s) in 1 files\n"


def test_findings_exit_1(repo: Path, capsys: Cap) -> None:
    code, out, _ = run(capsys, "lint", "config")
    assert code == 1
    assert "config/errors.yaml:2:17: TC101 " in out


@pytest.mark.parametrize("argv", [
    ["lint", "config", "--policy", "bad-policy.yaml"],
    ["lint", "config", "--policy", "no-such-policy.yaml"],
    ["lint", "config", "--no-such-option"],
    ["lint", "config/missing.yaml"],
    ["lint", "config", "--select", "XYZ"],
    ["lint", "config", "--select", "TC1O1"],
    ["lint", "config", "--ignore", "101"],
    ["lint", "config", "--format", "yaml"],
    ["lint", "config", "--fail-on", "info"],
    ["lint", "config", "--baseline", "no-such-baseline.json"],
    ["lint", "config", "--baseline", "bad-policy.yaml"],
    ["lint", "config", "--output", "config"],  # a directory: the report cannot be written
    ["frobnicate"],
    [],
])
def test_usage_errors_exit_2(argv: list[str], repo: Path, capsys: Cap) -> None:
    (repo / "bad-policy.yaml").write_text("aliases:\n  allowd: [prod]\n")
    code, out, err = run(capsys, *argv)
    assert code == 2, (out, err)
    assert err.strip(), "a usage error says what is wrong"


def test_bad_policy_message_names_file_and_key(repo: Path, capsys: Cap) -> None:
    (repo / "bad-policy.yaml").write_text("aliases:\n  allowd: [prod]\n")
    code, out, err = run(capsys, "lint", "config", "--policy", "bad-policy.yaml")
    assert code == 2 and out == ""
    assert err == ("trackcheck: bad-policy.yaml:2: unknown key 'aliases.allowd' "
                   "(did you mean 'allowed'?)\n")


def test_missing_path_message(repo: Path, capsys: Cap) -> None:
    code, out, err = run(capsys, "lint", "config/missing.yaml")
    assert (code, out) == (2, "")
    assert err == "trackcheck: config/missing.yaml: no such file or directory\n"


def test_exit_zero_still_reports(repo: Path, capsys: Cap) -> None:
    code, out, _ = run(capsys, "lint", "config", "--exit-zero")
    assert code == 0
    assert " TC101 " in out


def test_warnings_alone_pass_unless_fail_on_warning(repo: Path, capsys: Cap) -> None:
    code, out, _ = run(capsys, "lint", "config/warn.yaml")
    assert code == 0
    assert re.search(r"config/warn.yaml:2:\d+: TC005 .*\[warning\]", out)
    assert run(capsys, "lint", "config/warn.yaml", "--fail-on", "warning")[0] == 1
    assert run(capsys, "lint", "config/warn.yaml", "--fail-on", "error")[0] == 0
    # errors fail under either threshold
    assert run(capsys, "lint", "config/errors.yaml", "--fail-on", "warning")[0] == 1


# --- select / ignore ---------------------------------------------------------------------
@pytest.mark.parametrize(("argv", "expected"), [
    ([], {"TC003", "TC101", "TC103", "TC111"}),
    (["--select", "TC1"], {"TC101", "TC103", "TC111"}),
    (["--select", "TC10"], {"TC101", "TC103"}),
    (["--select", "TC101"], {"TC101"}),
    (["--select", "tc101"], {"TC101"}),
    (["--select", "TC101,TC003"], {"TC003", "TC101"}),
    (["--select", "TC101", "--select", "TC003"], {"TC003", "TC101"}),
    (["--select", "TC0"], {"TC003"}),
    (["--ignore", "TC1"], {"TC003"}),
    (["--ignore", "TC10"], {"TC003", "TC111"}),
    (["--ignore", "TC101"], {"TC003", "TC103", "TC111"}),
    (["--select", "TC1", "--ignore", "TC10"], {"TC111"}),
    # the more specific prefix wins, as in ruff
    (["--select", "TC101", "--ignore", "TC1"], {"TC101"}),
    (["--select", "TC10", "--ignore", "TC103"], {"TC101"}),
    (["--select", "TC2"], set()),
])
def test_select_and_ignore_prefixes(argv: list[str], expected: set[str], repo: Path,
                                    capsys: Cap) -> None:
    assert rules_found(capsys, *argv) == expected


def test_select_everything_matches_the_default(repo: Path, capsys: Cap) -> None:
    assert rules_found(capsys, "--select", "TC") == rules_found(capsys)


# --- output options ------------------------------------------------------------------------
def test_output_file(repo: Path, capsys: Cap) -> None:
    argv = ["lint", "config", "--format", "json", "--output", "reports/lint.json"]
    code, out, _ = run(capsys, *argv)
    assert code == 1 and out == ""
    doc = json.loads((repo / "reports/lint.json").read_text("utf-8"))
    assert {f["rule"] for f in doc["findings"]} >= {"TC101", "TC005"}


def test_quiet_prints_findings_only(repo: Path, capsys: Cap) -> None:
    _, loud, _ = run(capsys, "lint", "config")
    code, quiet, _ = run(capsys, "lint", "config", "-q")
    assert code == 1
    assert loud.splitlines()[:-1] == quiet.splitlines()
    assert all(TEXT_LINE.match(line) for line in quiet.splitlines())
    assert "error(s)" in loud.splitlines()[-1]
    code, quiet, _ = run(capsys, "lint", "config/clean.yaml", "--quiet")
    assert (code, quiet) == (0, "")


def test_text_lines_have_the_documented_shape(repo: Path, capsys: Cap) -> None:
    _, out, _ = run(capsys, "lint", "config")
    *lines, summary = out.splitlines()
    assert lines and all(TEXT_LINE.match(line) for line in lines)
    assert re.fullmatch(r"\d+ error\(s\), \d+ warning\(s\) in 3 files", summary)


def check_format(fmt: str, out: str) -> None:
    """The output of ``fmt`` for the fixture tree parses and reports TC101 on errors.yaml."""
    if fmt == "text":
        assert "config/errors.yaml:2:17: TC101 " in out
    elif fmt == "json":
        doc = json.loads(out)
        assert doc["version"] == 1
        assert ("TC101", "config/errors.yaml") in {(f["rule"], f["path"]) for f in doc["findings"]}
    elif fmt == "sarif":
        doc = json.loads(out)
        assert doc["version"] == "2.1.0"
        assert any(r["ruleId"] == "TC101" for r in doc["runs"][0]["results"])
    elif fmt == "github":
        assert "::error file=config/errors.yaml,line=2,col=17,title=TC101 " in out
    elif fmt == "junit":
        root = ET.fromstring(out)
        assert int(root.get("failures", "0")) >= 1
        assert any(f.get("type") == "TC101" for f in root.iter("failure"))
    elif fmt == "html":
        assert out.startswith("<!DOCTYPE html>") and out.rstrip().endswith("</html>")
        card = out.split('data-name="config/errors.yaml"', 1)[1].split("</article>", 1)[0]
        assert 'data-rule="TC101"' in card and '<td class="n">2:17</td>' in card
    else:  # pragma: no cover - a new format needs a check here
        raise AssertionError(fmt)


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format(fmt: str, repo: Path, capsys: Cap) -> None:
    code, out, err = run(capsys, "lint", "config", "--format", fmt)
    assert code == 1 and err == ""
    check_format(fmt, out)


def test_github_actions_makes_github_the_default(repo: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: Cap) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    _, out, _ = run(capsys, "lint", "config")
    check_format("github", out)
    _, out, _ = run(capsys, "lint", "config", "--format", "text")
    check_format("text", out)
    monkeypatch.setenv("GITHUB_ACTIONS", "false")
    _, out, _ = run(capsys, "lint", "config")
    check_format("text", out)


def test_baseline_round_trip(repo: Path, capsys: Cap) -> None:
    code, out, err = run(capsys, "lint", "config", "--write-baseline", "baseline.json")
    assert code == 0 and out == ""
    assert err.count("\n") == 1 and "baseline.json" in err
    code, out, _ = run(capsys, "lint", "config", "--baseline", "baseline.json")
    assert code == 0
    assert " TC" not in out


def test_no_paths_lints_the_config_root(repo: Path, capsys: Cap) -> None:
    code, out, _ = run(capsys, "lint")
    assert code == 1 and out.endswith("in 3 files\n")


# --- rules and check-policy ------------------------------------------------------------------
def test_rules_lists_every_rule(capsys: Cap) -> None:
    code, out, _ = run(capsys, "rules")
    assert code == 0
    listed = [line.split()[0] for line in out.splitlines()]
    assert listed == sorted(listed)
    assert {"TC001", "TC002", "TC003", "TC004", "TC005", "TC101"} <= set(listed)


@pytest.mark.parametrize("name", ["TC101", "tc101", "tracking-uri-literal"])
def test_rules_code_prints_the_four_sections(name: str, capsys: Cap) -> None:
    code, out, _ = run(capsys, "rules", name)
    assert code == 0
    assert out.startswith("TC101 tracking-uri-literal [error, lint]\n")
    for section in REQUIRED_SECTIONS:
        assert f"## {section}\n" in out
    assert "```yaml" in out


def test_rules_json(capsys: Cap) -> None:
    code, out, _ = run(capsys, "rules", "TC101", "--format", "json")
    assert code == 0
    (entry,) = json.loads(out)
    assert (entry["code"], entry["name"]) == ("TC101", "tracking-uri-literal")
    assert entry["severity"] == "error"


def test_unknown_rule_exits_2(capsys: Cap) -> None:
    code, out, err = run(capsys, "rules", "TC999")
    assert (code, out) == (2, "")
    assert err == "trackcheck: unknown rule code 'TC999' (see 'trackcheck rules')\n"
    code, out, err = run(capsys, "rules", "TC172")
    assert (code, out) == (2, "")
    assert err == ("trackcheck: unknown rule code 'TC172'; did you mean TC171 "
                   "(tracking-uri-in-code)? (see 'trackcheck rules')\n")


@pytest.mark.parametrize("option", ["--select", "--ignore"])
def test_unknown_codes_in_select_and_ignore_exit_2(repo: Path, capsys: Cap, option: str) -> None:
    code, out, err = run(capsys, "lint", "config", option, "TC101,TC133,TC1O1")
    assert (code, out) == (2, "")
    assert "'TC1O1' is not a rule code or prefix" in err
    code, out, err = run(capsys, "lint", "config", option, "TC134,TC135")
    assert code == 2 and "unknown rule code 'TC135'; did you mean TC134" in err
    # prefixes of known codes are fine
    assert run(capsys, "lint", "config", option, "TC1,TC13")[0] in (0, 1)


def test_check_policy(repo: Path, capsys: Cap) -> None:
    (repo / "good.yaml").write_text("extends: default\naliases:\n  allowed: [dev, prod]\n")
    (repo / "bad.yaml").write_text("extends: default\nrules:\n  TC101: {enabeld: false}\n")
    code, out, err = run(capsys, "check-policy", "good.yaml")
    assert (code, out, err) == (0, "good.yaml: ok\n", "")
    code, out, err = run(capsys, "check-policy", "good.yaml", "bad.yaml")
    assert code == 2
    assert out == "good.yaml: ok\n"
    assert "bad.yaml" in err and "rules.TC101.enabeld" in err
    code, out, _ = run(capsys, "check-policy")  # the discovered one: here the built-in default
    assert (code, out) == (0, "default: ok\n")


def test_version_and_help(capsys: Cap) -> None:
    assert run(capsys, "--version")[0] == 0
    assert run(capsys, "lint", "--help")[0] == 0


def test_help_is_wrapped_to_the_terminals_width(capsys: Cap,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    widest = {}
    for columns in (50, 120):
        monkeypatch.setenv("COLUMNS", str(columns))
        code, out, _ = run(capsys, "lint", "--help")
        assert code == 0
        # usage groups such as ``[--format {...}]`` are never broken; help text is
        widest[columns] = max(len(line) for line in out.splitlines() if "[" not in line)
    assert 40 <= widest[50] <= 48 and 100 <= widest[120] <= 118


# --- the installed entry points, in a subprocess -------------------------------------------------
CONSOLE_SCRIPT = Path(sys.executable).with_name("trackcheck")


def sub(argv: list[str], cwd: Path, *, module: bool = False,
        **env: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "trackcheck", *argv] if module else [str(CONSOLE_SCRIPT), *argv]
    full_env = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"} | env
    return subprocess.run(cmd, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=60)


def test_console_script_is_installed() -> None:
    assert CONSOLE_SCRIPT.is_file() and os.access(CONSOLE_SCRIPT, os.X_OK)


@pytest.mark.parametrize("module", [False, True], ids=["console-script", "python-m"])
def test_entry_point_exit_codes(module: bool, repo: Path) -> None:
    clean = sub(["lint", "config/clean.yaml"], repo, module=module)
    assert (clean.returncode, clean.stderr) == (0, "")
    dirty = sub(["lint", "config"], repo, module=module)
    assert dirty.returncode == 1 and " TC101 " in dirty.stdout
    for argv in (["lint", "nope.yaml"], ["lint", "--bogus"], ["rules", "TC999"]):
        bad = sub(argv, repo, module=module)
        assert bad.returncode == 2 and bad.stderr.strip(), argv
        assert "Traceback" not in bad.stderr


@pytest.mark.parametrize("fmt", FORMATS)
def test_console_script_every_format(fmt: str, repo: Path) -> None:
    p = sub(["lint", "config", "--format", fmt], repo)
    assert p.returncode == 1 and "Traceback" not in p.stderr
    check_format(fmt, p.stdout)


def test_console_script_under_github_actions(repo: Path) -> None:
    p = sub(["lint", "config"], repo, GITHUB_ACTIONS="true")
    assert p.returncode == 1
    check_format("github", p.stdout)


# --- what is linted when nothing, or only directories, are named --------------------------------
def test_nothing_to_lint_in_the_repository_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: Cap) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "README.md").write_text("# hi\n")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# docs\n")
    for args in ([], ["docs"], ["docs", "README.md"]):
        code, out, err = run(capsys, "lint", *args)
        assert (code, out) == (2, ""), args
        assert err.startswith("trackcheck: nothing to lint: searched a walk honouring .gitignore")
        assert "none is YAML" in err and err.count("\n") == 1


def test_named_files_trackcheck_does_not_read_are_skipped_quietly(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Cap) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "README.md").write_text("# hi\n")
    (tmp_path / "setup.cfg").write_text("[x]\n")
    code, out, err = run(capsys, "lint", "README.md", "setup.cfg")  # what pre-commit may pass
    assert (code, err) == (0, "")
    assert "in 0 files" in out


def test_verbose_lists_roots_and_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: Cap) -> None:
    monkeypatch.chdir(tmp_path)
    files = {"src/train.py":
             "import hydra\n\n@hydra.main(config_path='../configs')\ndef m(c): ...\n",
             "configs/train.yaml": "seed: 1\n", "deploy/compose.yaml": "services: {}\n",
             ".env.example": "A=\n"}
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    code, out, err = run(capsys, "lint", "-v")
    assert code == 0 and "in 4 files" in out
    assert err.splitlines() == [
        "trackcheck: searched a walk honouring .gitignore under .",
        "trackcheck: config root configs/ (config_path in src/train.py:3)",
        "  .env.example  [.env file]",
        "  configs/train.yaml  [Hydra config]",
        "  deploy/compose.yaml  [YAML (not Hydra config)]",
        "  src/train.py  [Python]",
        "trackcheck: 4 file(s) to lint",
    ]
