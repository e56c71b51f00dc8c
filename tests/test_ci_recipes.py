"""The CI recipes: they parse, every trackcheck command in them is one the CLI accepts, they
wire the reports the way the CI system reads them, and they lint clean with trackcheck."""

from __future__ import annotations

import re
import shlex
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from trackcheck.cli import build_parser, main

REPO = Path(__file__).resolve().parent.parent
PROJECT_CI = REPO / ".github/workflows/ci.yml"
GITHUB_EXAMPLE = REPO / "examples/ci/github-actions.yml"
GITLAB_EXAMPLE = REPO / "examples/ci/gitlab-ci.yml"
RECIPES = {p.relative_to(REPO).as_posix(): p for p in (PROJECT_CI, GITHUB_EXAMPLE, GITLAB_EXAMPLE)}
# where each recipe lives once a user (or this repository) has installed it
INSTALLED = {
    ".github/workflows/ci.yml": ".github/workflows/ci.yml",
    "examples/ci/github-actions.yml": ".github/workflows/trackcheck.yml",
    "examples/ci/gitlab-ci.yml": ".gitlab-ci.yml",
}
_SCRIPT_KEYS = ("run", "script", "before_script", "after_script")


def _load(path: Path) -> dict[object, object]:
    doc = yaml.safe_load(path.read_text("utf-8"))
    assert isinstance(doc, dict), path
    return doc


def _scripts(node: object) -> Iterator[str]:
    """Every shell script in a workflow or pipeline: GitHub ``run:``, GitLab ``script:`` lists."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k in _SCRIPT_KEYS:
                yield from ([v] if isinstance(v, str) else [s for s in v if isinstance(s, str)])
            else:
                yield from _scripts(v)
    elif isinstance(node, list):
        for v in node:
            yield from _scripts(v)


def _expand(text: str) -> str:
    """CI placeholders to dummy values: ``${{ ... }}``, ``${VAR}``, ``$VAR``."""
    text = re.sub(r"\$\{\{.*?\}\}", "X", text)
    return re.sub(r"\$\{[A-Za-z_]\w*\}|\$[A-Za-z_]\w*", "X", text)


def commands(where: Path | object) -> list[list[str]]:
    """Each command line of a file's (or a job's) scripts, continuations joined, split on
    && ; | ||."""
    out = []
    for script in _scripts(_load(where) if isinstance(where, Path) else where):
        for line in re.sub(r"\\\n", " ", script).splitlines():
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            lexer = shlex.shlex(_expand(line), posix=True, punctuation_chars=True)
            lexer.whitespace_split = True
            words: list[str] = []
            for tok in [*lexer, ";"]:
                if tok in (";", "&&", "||", "|", "&"):
                    if words:
                        out.append(words)
                    words = []
                else:
                    words.append(tok)
    return out


def trackcheck_commands(where: Path | object) -> list[list[str]]:
    return [c for c in commands(where) if c[0] == "trackcheck"]


def test_command_extraction_handles_continuations_and_chains(tmp_path: Path) -> None:
    p = tmp_path / "w.yml"
    p.write_text(
        "jobs:\n  a:\n    steps:\n      - run: |\n          # trackcheck lint --nope\n"
        "          pip install x && trackcheck lint \\\n"
        "            --format ${{ inputs.f }} config\n"
        "      - run: >-\n          trackcheck rules\n          TC101\n"
        "b:\n  script:\n    - trackcheck lint --output $OUT; echo done\n",
        "utf-8",
    )
    assert trackcheck_commands(p) == [
        ["trackcheck", "lint", "--format", "X", "config"],
        ["trackcheck", "rules", "TC101"],
        ["trackcheck", "lint", "--output", "X"],
    ]


@pytest.mark.parametrize("name", RECIPES)
def test_recipe_parses_and_every_trackcheck_command_is_accepted(name: str) -> None:
    found = trackcheck_commands(RECIPES[name])
    assert found, f"{name} runs no trackcheck command"
    parser = build_parser()
    for argv in found:
        try:
            args = parser.parse_args(argv[1:])
        except SystemExit:
            pytest.fail(f"{name}: the CLI rejects `{shlex.join(argv)}`")
        # a CI gate reads a baseline; it never rewrites one
        assert getattr(args, "write_baseline", None) is None, shlex.join(argv)


def _steps(doc: dict[object, object]) -> Iterator[tuple[str, dict[str, object]]]:
    jobs = doc["jobs"]
    assert isinstance(jobs, dict)
    for job_name, job in jobs.items():
        for step in job["steps"]:
            yield job_name, step


def _sarif_uploads(doc: dict[object, object]) -> dict[str, list[str]]:
    """job -> the sarif files it uploads to code scanning."""
    out: dict[str, list[str]] = {}
    for job, step in _steps(doc):
        if str(step.get("uses", "")).startswith("github/codeql-action/upload-sarif@"):
            out.setdefault(job, []).append(step["with"]["sarif_file"])  # type: ignore[index]
    return out


def _outputs(path: Path, fmt: str) -> list[str]:
    """``--output`` files of the trackcheck commands that write ``fmt``."""
    parser = build_parser()
    out = []
    for argv in trackcheck_commands(path):
        args = parser.parse_args(argv[1:])
        if getattr(args, "format", None) == fmt and getattr(args, "output", None):
            out.append(args.output)
    return out


def test_project_ci_runs_the_readme_test_command_and_uploads_sarif() -> None:
    readme = (REPO / "README.md").read_text("utf-8")
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    test_cmd = next(
        ln.split("#")[0].strip() for ln in quick.splitlines() if ln.strip().startswith("make test")
    )
    assert [test_cmd.split()] == [c for c in commands(PROJECT_CI) if c[0] == "make"]
    assert [
        "trackcheck",
        "lint",
        "config",
        "--format",
        "sarif",
        "--output",
        "trackcheck.sarif",
    ] in (trackcheck_commands(PROJECT_CI))
    doc = _load(PROJECT_CI)
    assert _sarif_uploads(doc) == {"trackcheck": ["trackcheck.sarif"]}
    assert doc["jobs"]["trackcheck"]["permissions"]["security-events"] == "write"  # type: ignore[index]


def test_github_example_lints_pull_requests_and_audits_on_a_schedule() -> None:
    doc = _load(GITHUB_EXAMPLE)
    on = doc.get("on", doc.get(True))  # YAML 1.1 reads a bare `on` as true
    assert isinstance(on, dict) and "pull_request" in on and on["schedule"][0]["cron"]
    cmds = [shlex.join(c) for c in trackcheck_commands(GITHUB_EXAMPLE)]
    assert any(c.startswith("trackcheck lint") and "--format github" in c for c in cmds), cmds
    assert _sarif_uploads(doc) == {"lint": _outputs(GITHUB_EXAMPLE, "sarif")}
    audit_job = doc["jobs"]["audit"]  # type: ignore[index]
    assert any(c.startswith("trackcheck audit --registry") for c in cmds), cmds
    env = audit_job["env"]
    for var in (
        "MLFLOW_TRACKING_URI",
        "MLFLOW_TRACKING_USERNAME",
        "MLFLOW_TRACKING_PASSWORD",
        "DATABRICKS_HOST",
        "DATABRICKS_TOKEN",
    ):
        assert env[var] == f"${{{{ secrets.{var} }}}}"
    assert "schedule" in audit_job["if"] and "pull_request" in doc["jobs"]["lint"]["if"]  # type: ignore[index]
    # the lint job installs the base package (no mlflow); the audit needs the registry extra
    assert ["python", "-m", "pip", "install", "trackcheck"] in commands(doc["jobs"]["lint"])  # type: ignore[index]
    assert ["python", "-m", "pip", "install", "trackcheck[registry]"] in commands(audit_job)


def test_gitlab_example_publishes_a_junit_report() -> None:
    doc = _load(GITLAB_EXAMPLE)
    assert ["trackcheck", "lint", "--format", "junit", "--output", "trackcheck.xml"] in (
        trackcheck_commands(GITLAB_EXAMPLE)
    )
    reports = {
        name: job["artifacts"]["reports"]["junit"]
        for name, job in doc.items()
        if isinstance(job, dict) and "script" in job
    }
    assert reports["trackcheck"] == "trackcheck.xml"
    assert sorted(reports.values()) == sorted(_outputs(GITLAB_EXAMPLE, "junit"))
    assert all(doc[name]["artifacts"]["when"] == "always" for name in reports)  # type: ignore[index]


def test_recipes_lint_clean_where_they_are_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Non-Hydra YAML: ``${{ secrets.X }}`` and ``$VAR`` are CI syntax, never findings."""
    for src, dest in INSTALLED.items():
        (tmp_path / dest).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / src, tmp_path / dest)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    rc = main(["lint", "--policy", "default", *INSTALLED.values()])
    out = capsys.readouterr().out
    assert rc == 0 and out.startswith("0 error(s), 0 warning(s)"), out


def test_github_is_the_default_format_under_github_actions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config").mkdir()
    (tmp_path / "config/mlflow.yaml").write_text(
        "tracking_uri: https://mlflow.example.com\n", "utf-8"
    )
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert main(["lint", "config"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("::error file=config/mlflow.yaml,line=1,col=15,title=TC101 "), out
    assert main(["lint", "config", "--format", "text"]) == 1
    assert capsys.readouterr().out.startswith("config/mlflow.yaml:1:15: TC101 ")
    monkeypatch.setenv("GITHUB_ACTIONS", "false")
    main(["lint", "config"])
    assert capsys.readouterr().out.startswith("config/mlflow.yaml:1:15: TC101 ")
    monkeypatch.delenv("GITHUB_ACTIONS")
    main(["lint", "config"])
    assert capsys.readouterr().out.startswith("config/mlflow.yaml:1:15: TC101 ")
