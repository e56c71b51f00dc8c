"""Policy files: discovery order, ``extends``, validation errors that name the file and the key,
and the per-rule and per-path settings the engine applies."""

from __future__ import annotations

import json
import os
from dataclasses import FrozenInstanceError, replace
from pathlib import Path

import pytest

from trackcheck.cli import main
from trackcheck.findings import Severity
from trackcheck.policy import Policy, PolicyError, load_policy, validate_policy

Cap = pytest.CaptureFixture[str]
MP = pytest.MonkeyPatch


def write(root: Path, rel: str, text: str) -> Path:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, "utf-8")
    return p


def load(tmp_path: Path, path: str | None = None) -> tuple[Policy, str]:
    return load_policy(path, cwd=tmp_path)


def error(tmp_path: Path, path: str | None = None) -> str:
    with pytest.raises(PolicyError) as e:
        load(tmp_path, path)
    return str(e.value)


# --- discovery ----------------------------------------------------------------------------
def test_builtin_default_when_nothing_is_there(tmp_path: Path) -> None:
    policy, origin = load(tmp_path)
    assert origin == "default"
    assert policy.config_roots == []  # found by discovery, not assumed
    assert "prod" in policy.aliases.allowed and "tracking_uri" in policy.uri_keys


def test_discovery_order(tmp_path: Path) -> None:
    write(tmp_path, "policies/trackcheck.yaml", "config_root: from-policies-dir\n")
    assert load(tmp_path) == (load(tmp_path)[0], "policies/trackcheck.yaml")
    assert load(tmp_path)[0].config_roots == ["from-policies-dir"]  # the 0.1 spelling

    write(tmp_path, "team/policy.yaml", "config_roots: [from-pyproject]\n")
    write(tmp_path, "pyproject.toml",
          '[project]\nname = "x"\n\n[tool.trackcheck]\npolicy = "team/policy.yaml"\n')
    policy, origin = load(tmp_path)
    assert (policy.config_roots, origin) == (["from-pyproject"], "team/policy.yaml")

    write(tmp_path, "cli.yaml", "config_roots: [from-cli, more]\n")
    policy, origin = load(tmp_path, "cli.yaml")
    assert (policy.config_roots, origin) == (["from-cli", "more"], "cli.yaml")


def test_pyproject_without_a_trackcheck_section_is_ignored(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", '[project]\nname = "x"\n[tool.ruff]\nline-length = 100\n')
    write(tmp_path, "policies/trackcheck.yaml", "config_root: conf\n")
    assert load(tmp_path)[1] == "policies/trackcheck.yaml"


@pytest.mark.parametrize(("toml", "words"), [
    ('[tool.trackcheck]\npolicy = "missing.yaml"\n', "missing.yaml: policy file not found"),
    ('[tool.trackcheck]\npolcy = "p.yaml"\n', "unknown key 'tool.trackcheck.polcy'"),
    ("[tool.trackcheck]\npolicy = 3\n", "'tool.trackcheck.policy' must be a string"),
    ("[tool.trackcheck\n", "pyproject.toml: cannot read"),
])
def test_bad_pyproject_section(toml: str, words: str, tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", toml)
    assert words in error(tmp_path)


# --- extends ------------------------------------------------------------------------------
def test_extends_default_layers_over_the_builtin(tmp_path: Path) -> None:
    write(tmp_path, "p.yaml", "extends: default\naliases:\n  allowed: [dev, prod]\n")
    policy, _ = load(tmp_path, "p.yaml")
    default, _ = load(tmp_path)
    assert policy.aliases.allowed == ["dev", "prod"]  # lists are replaced, not appended
    assert policy.aliases.exclusive == default.aliases.exclusive  # mappings merge key by key
    assert policy.uri_keys == default.uri_keys


def test_extends_is_implicitly_default(tmp_path: Path) -> None:
    write(tmp_path, "p.yaml", "aliases:\n  allowed: [dev, prod]\n")
    policy, _ = load(tmp_path, "p.yaml")
    assert policy.aliases.allowed == ["dev", "prod"]
    assert policy.uri_keys == load(tmp_path)[0].uri_keys


def test_extends_none_starts_from_nothing(tmp_path: Path) -> None:
    write(tmp_path, "p.yaml", "extends: none\naliases:\n  allowed: [dev, prod]\n")
    policy, _ = load(tmp_path, "p.yaml")
    assert policy.aliases.allowed == ["dev", "prod"]
    assert policy.uri_keys == [] and policy.aliases.exclusive == []


def test_extends_a_path_relative_to_the_extending_file(tmp_path: Path) -> None:
    write(tmp_path, "team/org/base.yaml",
          "extends: default\nuri_keys: [tracking_uri, mlflow_url]\n"
          "aliases:\n  allowed: [dev, prod, shadow]\n")
    write(tmp_path, "team/p.yaml", "extends: org/base.yaml\naliases:\n  live: [prod]\n")
    policy, _ = load(tmp_path, "team/p.yaml")
    assert policy.uri_keys == ["tracking_uri", "mlflow_url"]
    assert policy.aliases.allowed == ["dev", "prod", "shadow"]
    assert policy.aliases.live == ["prod"]
    assert policy.aliases.stage_to_alias["Production"] == "prod"  # from the built-in at the bottom


def test_extends_strict(tmp_path: Path) -> None:
    write(tmp_path, "p.yaml", "extends: strict\n")
    assert load(tmp_path, "p.yaml")[0] == load(tmp_path, "strict")[0]


@pytest.mark.parametrize(("files", "words"), [
    ({"a.yaml": "extends: a.yaml\n"}, "a.yaml: 'extends' forms a cycle"),
    ({"a.yaml": "extends: b.yaml\n", "b.yaml": "extends: ./a.yaml\n"}, "'extends' forms a cycle"),
    ({"a.yaml": "extends: gone.yaml\n"}, "gone.yaml: policy file not found"),
    ({"a.yaml": "extends: 5\n"}, "a.yaml:1: 'extends': "),
])
def test_bad_extends(files: dict[str, str], words: str, tmp_path: Path) -> None:
    for rel, text in files.items():
        write(tmp_path, rel, text)
    assert words in error(tmp_path, "a.yaml")


def test_an_error_in_an_extended_file_names_that_file(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", "aliases:\n  alowed: [x]\n")
    write(tmp_path, "p.yaml", "extends: base.yaml\n")
    assert error(tmp_path, "p.yaml") == \
        "base.yaml:2: unknown key 'aliases.alowed' (did you mean 'allowed'?)"


# --- validation errors --------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "expected"), [
    ("colour: blue\n", "p.yaml:1: unknown key 'colour'"),
    ("alises:\n  allowed: [prod]\n", "p.yaml:1: unknown key 'alises' (did you mean 'aliases'?)"),
    ("aliases:\n  allowd: [prod]\n",
     "p.yaml:2: unknown key 'aliases.allowd' (did you mean 'allowed'?)"),
    ("rules:\n  TC101:\n    enabeld: false\n",
     "p.yaml:3: unknown key 'rules.TC101.enabeld' (did you mean 'enabled'?)"),
    ("entrypoints:\n  - config: train\n    overides: [[]]\n",
     "p.yaml:3: unknown key 'entrypoints.0.overides' (did you mean 'overrides'?)"),
    ("max_depth: lots\n", "p.yaml:1: 'max_depth': "),
    ("uri_keys: tracking_uri\n", "p.yaml:1: 'uri_keys': "),
    ("aliases: [prod]\n", "p.yaml:1: 'aliases': "),
    ("rules:\n  TC101:\n    severity: fatal\n", "p.yaml:3: 'rules.TC101.severity': "),
    ("run_tags:\n  values:\n    env: yes\n", "p.yaml:3: 'run_tags.values.env"),
    ("token_patterns:\n  - name: x\n    regex: '[unclosed'\n",
     "p.yaml:3: 'token_patterns.0.regex': not a valid regular expression"),
    ("token_patterns:\n  - regex: abc\n", "p.yaml:2: 'token_patterns.0.name': "),
    ("rules:\n  TC11: {enabled: false}\n",
     "p.yaml:2: 'rules.TC11': unknown rule code 'TC11'"),
    ("rules:\n  TC172: {enabled: false}\n",
     "p.yaml:2: 'rules.TC172': unknown rule code 'TC172'; did you mean TC171 "
     "(tracking-uri-in-code)?"),
    ("rules:\n  tc101: {enabled: false}\n", "'tc101' is not a rule code"),
    ("per_path_ignores:\n  'a/*': [E501]\n", "'E501' is not a rule code or prefix"),
    ("per_path_ignores:\n  'a/*': [TC1, TC4]\n", "p.yaml:2: 'per_path_ignores.a/*.1': "
     "unknown rule code 'TC4'"),
    ("max_file_bytes: 0\n", "p.yaml:1: 'max_file_bytes': Input should be greater than 0"),
    ("max_depth: -1\n", "p.yaml:1: 'max_depth': "),
    ("config_root: conf\nconfig_roots: [x]\n", "give 'config_roots' (a list) only"),
])
def test_invalid_policy_names_file_and_key(text: str, expected: str, tmp_path: Path) -> None:
    write(tmp_path, "p.yaml", text)
    assert expected in error(tmp_path, "p.yaml")


@pytest.mark.parametrize(("text", "expected"), [
    ("- a\n- b\n", "p.yaml: a policy file must be a mapping, not list"),
    ("just words\n", "p.yaml: a policy file must be a mapping, not str"),
    ("aliases: [prod\n", "p.yaml:2:1: not valid YAML"),
    ("max_depth: 50\nmax_depth: 500\n", "p.yaml:2:1: not valid YAML (duplicate key 'max_depth')"),
    ("rules:\n  TC101: {enabled: false, enabled: true}\n",
     "p.yaml:2:27: not valid YAML (duplicate key 'enabled')"),
])
def test_not_a_policy_document(text: str, expected: str, tmp_path: Path) -> None:
    write(tmp_path, "p.yaml", text)
    assert error(tmp_path, "p.yaml").startswith(expected)


def test_a_policy_that_is_no_regular_file(tmp_path: Path) -> None:
    (tmp_path / "dir.yaml").mkdir()
    os.mkfifo(tmp_path / "fifo.yaml")  # reading it would block forever
    os.symlink("loop.yaml", tmp_path / "loop.yaml")
    assert error(tmp_path, "dir.yaml") == "dir.yaml: not a regular file"
    assert error(tmp_path, "fifo.yaml") == "fifo.yaml: not a regular file"
    assert error(tmp_path, "loop.yaml") in ("loop.yaml: symlink loop",
                                            "loop.yaml: cannot read policy file (OSError)")


def test_binary_policy_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_bytes(b"\xff\xfe\x00bad")
    assert error(tmp_path, "p.yaml") == "p.yaml: cannot read policy file (UnicodeDecodeError)"


def test_empty_policy_is_the_default(tmp_path: Path) -> None:
    write(tmp_path, "p.yaml", "# nothing to change\n")
    assert load(tmp_path, "p.yaml")[0] == load(tmp_path)[0]


def test_every_error_line_names_the_file(tmp_path: Path) -> None:
    write(tmp_path, "p.yaml", "colour: blue\nmax_depth: lots\naliases:\n  alowed: []\n"
                              "rules:\n  TC999: {}\n")
    lines = error(tmp_path, "p.yaml").splitlines()
    # every problem at once, in file order, each with the file and its line
    assert [line.split(" ", 1)[0] for line in lines] == [
        "p.yaml:1:", "p.yaml:2:", "p.yaml:4:", "p.yaml:6:"]


def test_cli_exit_2_for_an_invalid_policy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: Cap) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "config/a.yaml", "a: 1\n")
    write(tmp_path, "policies/trackcheck.yaml", "aliases:\n  allowd: [prod]\n")
    assert main(["lint", "config"]) == 2  # discovered, not only given with --policy
    out, err = capsys.readouterr()
    assert out == ""
    assert err == ("trackcheck: policies/trackcheck.yaml:2: unknown key 'aliases.allowd' "
                   "(did you mean 'allowed'?)\n")
    assert main(["check-policy", "policies/trackcheck.yaml"]) == 2
    assert "policies/trackcheck.yaml:2: unknown key 'aliases.allowd'" in capsys.readouterr().err


# --- settings the engine applies -------------------------------------------------------------
VIOLATIONS = "mlflow:\n  tracking_uri: https://mlflow.example.com\nmodel:\n  name: a\n  name: b\n"


def lint_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Cap, policy: str,
              files: dict[str, str] | None = None) -> tuple[int, list[tuple[str, str, str]]]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    for rel, text in (files or {"config/a.yaml": VIOLATIONS}).items():
        write(tmp_path, rel, text)
    write(tmp_path, "policies/trackcheck.yaml", policy)
    code = main(["lint", "config", "--format", "json"])
    out, err = capsys.readouterr()
    assert code in (0, 1), err
    return code, [(f["path"], f["rule"], f["severity"]) for f in json.loads(out)["findings"]]


def test_rule_disabled(tmp_path: Path, monkeypatch: MP, capsys: Cap) -> None:
    code, found = lint_json(tmp_path, monkeypatch, capsys, "rules:\n  TC101: {enabled: false}\n")
    assert (code, found) == (1, [("config/a.yaml", "TC003", "error")])


def test_rule_severity_lowered(tmp_path: Path, monkeypatch: MP, capsys: Cap) -> None:
    policy = "rules:\n  TC101: {severity: warning}\n  TC003: {severity: warning}\n"
    code, found = lint_json(tmp_path, monkeypatch, capsys, policy)
    assert code == 0  # warnings alone do not fail the run
    assert found == [("config/a.yaml", "TC101", "warning"), ("config/a.yaml", "TC003", "warning")]


def test_rule_severity_raised(tmp_path: Path, monkeypatch: MP, capsys: Cap) -> None:
    files = {"config/a.yaml": "model:\n  depth: 3  # trackcheck: ignore[TC101]\n"}
    policy = "rules:\n  TC005: {severity: error}\n"
    code, found = lint_json(tmp_path, monkeypatch, capsys, policy, files)
    assert (code, found) == (1, [("config/a.yaml", "TC005", "error")])


def test_rule_settings_in_the_model() -> None:
    settings = {"TC101": {"enabled": False}, "TC140": {"severity": "error"}}
    p = validate_policy({"rules": settings})
    assert not p.rule_enabled("TC101") and p.rule_enabled("TC102")
    assert p.rule_severity("TC140", Severity.WARNING) is Severity.ERROR
    assert p.rule_severity("TC141", Severity.WARNING) is Severity.WARNING


def test_per_path_ignores(tmp_path: Path, monkeypatch: MP, capsys: Cap) -> None:
    files = {"config/a.yaml": VIOLATIONS, "config/legacy/old.yaml": VIOLATIONS,
             "config/legacy/deep/older.yaml": VIOLATIONS}
    policy = "per_path_ignores:\n  'config/legacy/*': [TC101]\n  'config/legacy/deep/*': [TC0]\n"
    code, found = lint_json(tmp_path, monkeypatch, capsys, policy, files)
    assert code == 1
    assert found == [
        ("config/a.yaml", "TC101", "error"), ("config/a.yaml", "TC003", "error"),
        # fnmatch's '*' crosses '/': config/legacy/* covers deep/ as well
        ("config/legacy/old.yaml", "TC003", "error"),
    ]


def test_per_path_ignores_do_not_extend_by_merge(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", "per_path_ignores:\n  'a/*': [TC101]\n")
    write(tmp_path, "p.yaml", "extends: base.yaml\nper_path_ignores:\n  'b/*': [TC102]\n")
    assert load(tmp_path, "p.yaml")[0].per_path_ignores == {"b/*": ["TC102"]}


# --- untrusted policies: extends stays inside, patterns run in linear time, bounded limits -----
@pytest.mark.parametrize(("files", "policy"), [
    ({"team/p.yaml": "extends: /etc/passwd\n"}, "team/p.yaml"),  # absolute
    ({"team/p.yaml": "extends: ../org/base.yaml\n", "org/base.yaml": "a: 1\n"}, "team/p.yaml"),
    ({"team/p.yaml": "extends: sub/b.yaml\n", "team/sub/b.yaml": "extends: ../../x.yaml\n",
      "x.yaml": "root: x\n"}, "team/p.yaml"),  # a chain that climbs out
])
def test_extends_never_reads_outside(files: dict[str, str], policy: str, tmp_path: Path) -> None:
    for rel, text in files.items():
        write(tmp_path, rel, text)
    message = error(tmp_path, policy)
    assert "'extends' names a packaged policy (default, strict) or a file inside" in message
    assert "root" not in message and "a: 1" not in message  # nothing of the file it refused


def test_extends_through_a_link_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "outside.yaml", "aliases:\n  allowed: [x]\n")
    write(tmp_path, "team/p.yaml", "extends: base.yaml\n")
    os.symlink(tmp_path / "outside.yaml", tmp_path / "team/base.yaml")
    assert "'extends' names a packaged policy" in error(tmp_path, "team/p.yaml")


def test_a_discovered_policy_extends_files_inside_the_repository(tmp_path: Path) -> None:
    write(tmp_path, "platform/base.yaml", "aliases:\n  allowed: [dev, prod, canary]\n")
    write(tmp_path, "policies/trackcheck.yaml", "extends: ../platform/base.yaml\n")
    assert load(tmp_path)[0].aliases.allowed == ["dev", "prod", "canary"]
    write(tmp_path, "policies/trackcheck.yaml", "extends: ../../elsewhere.yaml\n")
    assert "'extends' names a packaged policy" in error(tmp_path, None)


@pytest.mark.parametrize("regex", [r"(a)\1", r"(?=ik_)ik_\w+", r"(?<=x)y"])
def test_token_patterns_must_run_in_linear_time(regex: str, tmp_path: Path,
                                                capfd: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "p.yaml", f"token_patterns:\n  - name: x\n    regex: '{regex}'\n")
    assert "no backreferences or lookaround" in error(tmp_path, "p.yaml")
    assert capfd.readouterr().err == ""  # RE2 says nothing on its own


def test_a_catastrophic_pattern_cannot_hang_the_run(tmp_path: Path) -> None:
    from trackcheck.detect.tokens import find_token

    write(tmp_path, "p.yaml", "token_patterns:\n  - name: nested\n    regex: '(a+)+$'\n")
    policy = load(tmp_path, "p.yaml")[0]
    # Python's re takes exponential time here (2**n steps); RE2 is linear: a long input finishes
    assert policy.find_token("a" * 50_000 + "!") is None
    assert policy.find_token("x " + "a" * 40) == ("nested", "a" * 40)
    assert find_token("a" * 40, policy.extra_token_patterns()) == ("nested", "a" * 40)


@pytest.mark.parametrize(("text", "says"), [
    ("max_file_bytes: 1e11\n", "valid integer"),  # YAML 1.1 reads 1e11 as text
    ("max_file_bytes: 1.0e+11\n", "less than or equal to 200000000"),
    ("max_file_bytes: 100000000000\n", "less than or equal to 200000000"),
    ("max_depth: 100000\n", "less than or equal to 500"),
    ("max_nodes: 1000000000000\n", "less than or equal to 50000000"),
])
def test_numeric_limits_have_a_ceiling(text: str, says: str, tmp_path: Path) -> None:
    write(tmp_path, "p.yaml", text)
    message = error(tmp_path, "p.yaml")
    assert message.startswith("p.yaml:1: '") and says in message


# --- packaged policies: built without validation at start-up, the same as validated (issue 12) --
@pytest.mark.parametrize("name", ["default", "strict"])
def test_a_packaged_policy_is_valid_and_built_as_validation_builds_it(name: str,
                                                                     tmp_path: Path) -> None:
    from trackcheck import policy as module

    data = module._builtin_data(name)
    data.pop("extends", None)
    validated = validate_policy(data)  # a packaged policy that does not validate fails here
    built, ref = load_policy(name, cwd=tmp_path)
    assert ref == name
    # repr shows each value's type too: Severity, not 'error'; 10.0, not 10
    assert repr(built) == repr(validated) and built == validated
    assert type(built.guard) is type(validated.guard) and built.guard.lock_timeout == 10.0


def test_strict_policy_built_without_validation_raises_severities() -> None:
    policy, _ = load_policy("strict")
    assert policy.rule_severity("TC140", Severity.WARNING) is Severity.ERROR
    assert policy.rule_severity("TC101", Severity.WARNING) is Severity.WARNING


def test_policy_sections_compare_and_show_by_their_fields(tmp_path: Path) -> None:
    default, strict = (load_policy(n, cwd=tmp_path)[0] for n in ("default", "strict"))
    assert default != strict and default == load_policy("default", cwd=tmp_path)[0]
    assert replace(default.guard, mode="observe") != default.guard
    assert repr(default.guard).startswith("GuardPolicy(mode='enforce', rules={}")
    with pytest.raises(TypeError):  # equal by value, and their values hold lists
        hash(default)
    with pytest.raises(FrozenInstanceError):
        default.guard.mode = "observe"  # type: ignore[misc]
