"""Docs that must not drift: docs/rules.md, and the README's policy reference and snippets."""

from __future__ import annotations

import dataclasses
import re
import shlex
import typing
from pathlib import Path

import pytest
import yaml

from tests.test_ci_recipes import trackcheck_commands
from trackcheck import __version__
from trackcheck.cli import build_parser, main
from trackcheck.policy import Policy, load_policy, validate_policy

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text("utf-8")
REGENERATE = "trackcheck rules --format markdown > docs/rules.md"


def _section(title: str) -> str:
    """The README text under ``## <title>`` up to the next ``## `` heading."""
    m = re.search(rf"^## {re.escape(title)}.*?$(.*?)(?=^## |\Z)", README, re.M | re.S)
    assert m, f"README has no '## {title}' section"
    return m.group(1)


def _blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```", text, re.M | re.S)


def test_rules_md_is_fresh(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "--format", "markdown"]) == 0
    fresh = capsys.readouterr().out
    current = (
        (REPO / "docs/rules.md").read_text("utf-8") if (REPO / "docs/rules.md").exists() else ""
    )
    assert current == fresh, f"docs/rules.md is stale: regenerate it with `{REGENERATE}`"


def test_quick_start_is_two_commands() -> None:
    (block,) = _blocks(_section("Quick start"), "sh")
    assert [ln.split("#")[0].strip() for ln in block.splitlines()] == ["make demo", "make test"]


# --- the policy reference -------------------------------------------------------------------
def _setting_names(section: type, prefix: str = "") -> list[str]:
    """Every leaf setting as a dotted name (``aliases.allowed``; ``aliases`` itself is a group)."""
    out = []
    hints = typing.get_type_hints(section)
    for field in dataclasses.fields(section):
        ann = hints[field.name]
        if isinstance(ann, type) and dataclasses.is_dataclass(ann):
            out += _setting_names(ann, f"{prefix}{field.name}.")
        else:
            out.append(prefix + field.name)
    return out


def _reference_rows() -> dict[str, list[str]]:
    """setting -> [default, example, meaning] from the README's policy table."""
    rows = {}
    for line in _section("Policy file").splitlines():
        m = re.match(r"^\| `([^`]+)` \| (.*)\|\s*$", line)
        if m:
            rows[m.group(1)] = [c.strip() for c in re.split(r"(?<!\\)\|", m.group(2))]
    return rows


def test_readme_documents_every_policy_setting() -> None:
    rows = _reference_rows()
    missing = [n for n in _setting_names(Policy) if n not in rows]
    assert not missing, f"README 'Policy file' table lacks: {', '.join(missing)}"


def _default_of(name: str) -> object:
    value: object = dataclasses.asdict(load_policy("default")[0])
    for part in name.split("."):
        assert isinstance(value, dict)
        value = value[part]
    return value


@pytest.mark.parametrize("name", [n for n in _setting_names(Policy) if n != "extends"])
def test_readme_default_matches_the_built_in_policy(name: str) -> None:
    default = _reference_rows()[name][0]
    if default == "*below*":  # long lists: the full built-in policy is printed below the table
        return
    m = re.fullmatch(r"`(.*)`", default)
    assert m, f"{name}: default cell {default!r} is not `yaml` or *below*"
    assert yaml.safe_load(m.group(1)) == _default_of(name), f"README default of {name} is stale"


@pytest.mark.parametrize("name", list(_reference_rows()))
def test_readme_example_is_a_valid_policy(name: str) -> None:
    example = _reference_rows()[name][1]
    m = re.fullmatch(r"`(.*)`", example)
    assert m, f"{name}: example cell {example!r} is not `yaml`"
    doc = yaml.safe_load(m.group(1))
    assert isinstance(doc, dict) and name.split(".")[0] in doc
    validate_policy(doc)


def test_readme_prints_the_built_in_policy_in_full() -> None:
    details = README.split("<summary>The built-in default policy, in full</summary>", 1)[1]
    (block,) = _blocks(details.split("</details>", 1)[0], "yaml")
    shipped = (REPO / "src/trackcheck/policies/default.yaml").read_text("utf-8")
    assert yaml.safe_load(block) == yaml.safe_load(shipped), (
        "the README's built-in policy is stale: paste src/trackcheck/policies/default.yaml into it"
    )


def test_readme_example_policy_file_is_valid(tmp_path: Path) -> None:
    block = next(b for b in _blocks(_section("Policy file"), "yaml") if b.startswith("# policies/"))
    (tmp_path / "policy.yaml").write_text(block, "utf-8")
    policy, _ = load_policy(tmp_path / "policy.yaml", cwd=tmp_path)
    assert "canary" in policy.aliases.allowed


# --- snippets -------------------------------------------------------------------------------
def test_readme_pre_commit_snippet_names_published_hooks() -> None:
    hooks = {h["id"] for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text("utf-8"))}
    snippets = [yaml.safe_load(b) for b in _blocks(_section("Pre-commit"), "yaml")]
    repo = next(s for s in snippets if isinstance(s, dict) and "repos" in s)["repos"][0]
    assert repo["rev"] == f"v{__version__}"
    assert {h["id"] for h in repo["hooks"]} == hooks
    # the hook with a baseline: entry + args is a command the CLI accepts
    (with_args,) = [s[0] for s in snippets if isinstance(s, list) and "args" in s[0]]
    entry = next(
        h["entry"]
        for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text("utf-8"))
        if h["id"] == with_args["id"]
    )
    args = build_parser().parse_args([*entry.split()[1:], *with_args["args"], "config/x.yaml"])
    assert args.baseline and not args.write_baseline


def test_readme_trackcheck_commands_are_accepted(tmp_path: Path) -> None:
    parser = build_parser()
    found = 0
    for i, block in enumerate(_blocks(README, "yaml") + _blocks(README, "sh")):
        p = tmp_path / f"{i}.yml"
        if block.lstrip().startswith(("repos:", "jobs:", "trackcheck:")):
            p.write_text(block, "utf-8")
            cmds = trackcheck_commands(p)
        else:
            cmds = [shlex.split(ln, comments=True) for ln in block.splitlines()]
            cmds = [c for c in cmds if c and c[0] == "trackcheck"]
        for argv in cmds:
            found += 1
            try:
                parser.parse_args(argv[1:])
            except SystemExit:
                pytest.fail(f"README: the CLI rejects `{shlex.join(argv)}`")
    assert found >= 7


def test_readme_exit_codes_match_the_cli() -> None:
    from trackcheck import cli

    rows = re.findall(r"^\| (\d) \| ", _section("Exit codes"), re.M)
    assert rows == ["0", "1", "2", "3"]
    assert (cli.EXIT_OK, cli.EXIT_FINDINGS, cli.EXIT_USAGE, cli.EXIT_FAILED) == (0, 1, 2, 3)


def test_benchmarks_section_names_scripts_that_exist() -> None:
    section = _section("Benchmarks")
    named = set(re.findall(r"benchmarks/\w+\.py", section))
    assert {"benchmarks/lint_tree.py", "benchmarks/audit_registry.py"} <= named
    for script in named:
        assert (REPO / script).is_file(), script


def test_no_file_holds_a_merge_conflict_marker() -> None:
    import subprocess

    files = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True,
                           check=True).stdout.split()
    marked = []
    for name in files:
        path = REPO / name
        if not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        try:
            text = path.read_text("utf-8")
        except UnicodeDecodeError:
            continue
        if re.search(r"^(<{7} |>{7} )", text, re.M):
            marked.append(name)
    assert marked == []
