"""Fixes (`lint --fix`, `--unsafe-fixes`, `--diff`): PASS/FAIL tables per fix, safe/unsafe gating,
golden files, idempotence, a byte-identical tree under `--diff`, and secrets kept out of output."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import findings_for
from trackcheck.cli import main
from trackcheck.lint.discover import classify
from trackcheck.lint.fix import (
    APPLICABILITY,
    FIXERS,
    FixResult,
    detect_indent,
    drop_env_default,
    env_var_for,
    graft,
    plan,
    replace_uri,
)
from trackcheck.lint.runner import lint
from trackcheck.policy import Policy, load_policy

DATA = Path(__file__).parent / "data" / "fix"
SNIPPET = "config/snippet.yaml"


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy("default")[0]


Fix = Callable[..., tuple[str, FixResult]]


@pytest.fixture
def fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, policy: Policy) -> Fix:
    """Write a snippet at ``rel`` in a fresh tree and fix it: the file's new text and the plan."""
    monkeypatch.chdir(tmp_path)

    def run(text: str, rel: str = SNIPPET, *, unsafe: bool = True) -> tuple[str, FixResult]:
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), "utf-8")
        target = classify(rel, policy)
        assert target is not None
        result = plan([target], lint([target], policy), policy, unsafe=unsafe)
        assert result.write() == []
        return path.read_text("utf-8"), result

    return run


def statuses(result: FixResult) -> list[tuple[str, str]]:
    return sorted((o.finding.rule, o.status) for f in result.files for o in f.outcomes)


# --- what each fix does: (rule, before, after) ------------------------------------------------
FIXED = [
    # TC101: literal tracking/registry URI -> env lookup (unsafe)
    ("TC101", "mlflow:\n  tracking_uri: https://mlflow.example.com\n",
     "mlflow:\n  tracking_uri: ${oc.env:MLFLOW_TRACKING_URI}\n"),
    ("TC101", "mlflow:\n  registry_uri: databricks-uc  # Unity Catalog\n",
     "mlflow:\n  registry_uri: ${oc.env:MLFLOW_REGISTRY_URI} # Unity Catalog\n"),
    ("TC101", "mlflow:\n  tracking_uri: 'file:./mlruns'\n",
     "mlflow:\n  tracking_uri: '${oc.env:MLFLOW_TRACKING_URI}'\n"),
    ("TC101", "mlflow:\n  tracking_uri: ${paths.root}/mlruns\n",
     "mlflow:\n  tracking_uri: ${oc.env:MLFLOW_TRACKING_URI}\n"),
    ("TC101", "MLFLOW_TRACKING_URI: http://10.0.0.5:5000\n",
     "MLFLOW_TRACKING_URI: ${oc.env:MLFLOW_TRACKING_URI}\n"),
    # TC104: drop the default from an env lookup (unsafe)
    ("TC104", "mlflow:\n  tracking_uri: ${oc.env:MLFLOW_TRACKING_URI,https://mlflow.example.com}\n",
     "mlflow:\n  tracking_uri: ${oc.env:MLFLOW_TRACKING_URI}\n"),
    ("TC104", "svc:\n  url: \"${oc.env:EP, 'http://10.0.0.1:5000'}\"\n",
     "svc:\n  url: \"${oc.env:EP}\"\n"),
    ("TC104", "svc:\n  url: ${oc.env:A,${oc.env:B,http://b.example.com}}\n",
     "svc:\n  url: ${oc.env:A,${oc.env:B}}\n"),
    ("TC104", "svc:\n  url: ${oc.env:A,http://a.example.com}/${oc.env:B,http://b.example.com}\n",
     "svc:\n  url: ${oc.env:A}/${oc.env:B}\n"),
    ("TC104", "db:\n  password: ${oc.env:DB_PW,hunter2hunter2}  # keep\n",
     "db:\n  password: ${oc.env:DB_PW}                 # keep\n"),
    # TC111: literal secret -> ${oc.env:<KEY_IN_CAPS>} (unsafe)
    ("TC111", "db:\n  password: hunter2hunter2\n", "db:\n  password: ${oc.env:PASSWORD}\n"),
    ("TC111", "auth:\n  apiKey: 'abc123456789'\n", "auth:\n  apiKey: '${oc.env:API_KEY}'\n"),
    ("TC111", "MLFLOW_TRACKING_PASSWORD: hunter2hunter2\n",
     "MLFLOW_TRACKING_PASSWORD: ${oc.env:MLFLOW_TRACKING_PASSWORD}\n"),
    ("TC111", "api_key:\n  - abcd1234efgh\n", "api_key:\n  - ${oc.env:API_KEY_0}\n"),
    ("TC111", "callbacks:\n  - name: x\n    password: hunter2hunter2\n",
     "callbacks:\n  - name: x\n    password: ${oc.env:PASSWORD}\n"),
    ("TC111", "db:\n  password: |\n    hunter2hunter2\n  port: 1\n",
     "db:\n  password: ${oc.env:PASSWORD}\n  port: 1\n"),
    ("TC111", "db: {password: hunter2hunter2, port: 1}\n",
     "db: {password: '${oc.env:PASSWORD}', port: 1}\n"),
    # TC131: a stage -> its alias by aliases.stage_to_alias (unsafe)
    ("TC131", "serve:\n  cmd: >\n    mlflow models serve\n    -m models:/churn/Production\n",
     "serve:\n  cmd: >\n    mlflow models serve\n    -m models:/churn@prod\n"),
    ("TC131", "deploy:\n  model_uri: models:/churn/Production\n",
     "deploy:\n  model_uri: models:/churn@prod\n"),
    ("TC131", "deploy:\n  model_uri: models:/churn/staging\n",
     "deploy:\n  model_uri: models:/churn@staging\n"),
    ("TC131", "serve:\n  cmd: mlflow models serve -m models:/churn/Production --port 5000\n",
     "serve:\n  cmd: mlflow models serve -m models:/churn@prod --port 5000\n"),
    ("TC131", "deploy:\n  model_uri: ${oc.env:MODEL_URI,models:/churn/Archived}\n",
     "deploy:\n  model_uri: ${oc.env:MODEL_URI,models:/churn@archived}\n"),
    # TC150: a misspelt key -> the known key (safe when that key is absent)
    ("TC150", "mlflow:\n  experment_name: ${project.name}  # typo\n  run_name: ${model.name}\n",
     "mlflow:\n  experiment_name: ${project.name} # typo\n  run_name: ${model.name}\n"),
    ("TC150", "mlflow:\n  register:\n    aliass: dev\n    enabled: true\n",
     "mlflow:\n  register:\n    alias: dev\n    enabled: true\n"),
]
SAFE = {"TC150"}


@pytest.mark.parametrize(("code", "before", "after"), FIXED)
def test_fix_rewrites_and_relints_clean(fix: Fix, code: str, before: str, after: str) -> None:
    assert findings_for(code, before), "the snippet must trip the rule"
    new, result = fix(before)
    assert new == after
    assert (code, "fixed") in statuses(result)
    assert findings_for(code, new) == []


@pytest.mark.parametrize(("code", "before", "after"), FIXED)
def test_fixing_twice_changes_nothing(fix: Fix, code: str, before: str, after: str) -> None:
    once, _ = fix(before)
    twice, result = fix(once)
    assert twice == once
    assert not result.changed


@pytest.mark.parametrize(("code", "before", "after"), FIXED)
def test_unsafe_fixes_wait_for_the_flag(fix: Fix, code: str, before: str, after: str) -> None:
    new, result = fix(before, unsafe=False)
    if code in SAFE:
        assert new == after
    else:
        assert new == before
        assert (code, "unsafe") in statuses(result)


def test_every_fixer_is_listed_and_covered() -> None:
    assert set(FIXERS) == set(APPLICABILITY) == {c for c, _, _ in FIXED}
    assert {"TC101", "TC104", "TC111", "TC131", "TC150"} <= set(FIXERS)


# --- what is left alone: (rule, text, path, reason) ------------------------------------------
NOT_FIXED = [
    ("TC131", "deploy:\n  model_uri: models:/churn/7\n", SNIPPET, "version 7 has no alias"),
    ("TC131", "deploy:\n  model_uri: models:/churn/latest\n", SNIPPET, "'latest'"),
    ("TC131", "deploy:\n  model_uri: runs:/0123abcd/model\n", SNIPPET, "run's artifacts"),
    ("TC131", "deploy:\n  model_uri: models:/churn/Candidate\n", SNIPPET,
     "aliases.stage_to_alias"),
    ("TC150", "mlflow:\n  experiment_name: a\n  experment_name: b\n", SNIPPET, "already set"),
    ("TC150", "mlflow:\n  enabled: 'yes'\n", SNIPPET, "wrong type"),
    ("TC150", "_base: &b\n  run_name: x\nmlflow:\n  <<: *b\n  experment_name: y\n", SNIPPET,
     "merge"),
    # outside every config root: plain YAML (a CI workflow's endpoint is no TC101 at all)
    ("TC101", "mlflow:\n  tracking_uri: https://mlflow.example.com\n",
     "settings/train.yaml", "not Hydra config"),
    ("TC111", "jobs:\n  t:\n    env:\n      DB_PASSWORD: hunter2hunter2\n",
     ".github/workflows/train.yaml", "not Hydra config"),
    ("TC111", "MLFLOW_TRACKING_PASSWORD=hunter2hunter2\n", ".env", "not Hydra config"),
    ("TC111", "a:\n  password: &pw hunter2hunter2\nb:\n  password: *pw\n", SNIPPET, "anchored"),
    ("TC111", "db:\n  password: hunter2hunter2\n---\nother: 1\n", SNIPPET, "multi-document"),
]


@pytest.mark.parametrize(("code", "text", "rel", "reason"), NOT_FIXED)
def test_no_fix_where_none_is_right(fix: Fix, code: str, text: str, rel: str, reason: str) -> None:
    before = textwrap.dedent(text)
    assert findings_for(code, before, rel), "the snippet must trip the rule"
    new, result = fix(text, rel)
    assert new == before
    # an anchored value is reported at the anchor and where its alias is used: neither is fixed
    outcomes = [o for f in result.files for o in f.outcomes if o.finding.rule == code]
    assert outcomes and all(o.status == "unfixable" for o in outcomes)
    assert any(reason in o.reason for o in outcomes)
    assert all("hunter2" not in o.reason for o in outcomes)


def test_a_referenced_misspelt_key_is_an_unsafe_rename(fix: Fix) -> None:
    text = "mlflow:\n  experment_name: x\nlabel: ${mlflow.experment_name}\n"
    assert fix(text, unsafe=False)[0] == text
    new, _ = fix(text, unsafe=True)
    assert new.startswith("mlflow:\n  experiment_name: x\n")


def test_fixes_combine_in_one_file_and_keep_the_rest(fix: Fix) -> None:
    text = ("# head\nmlflow:\n  tracking_uri:   http://x.example.com   # where\n"
            "  experment_name: ${project.name}\n  nothing: ~\n  spaced:     1\n"
            "db:\n  password: hunter2hunter2\n")
    new, result = fix(text)
    assert new == ("# head\nmlflow:\n  tracking_uri: ${oc.env:MLFLOW_TRACKING_URI} # where\n"
                   "  experiment_name: ${project.name}\n  nothing: ~\n  spaced:     1\n"
                   "db:\n  password: ${oc.env:PASSWORD}\n")
    assert [s for _, s in statuses(result)] == ["fixed"] * 3


def test_crlf_bom_and_missing_final_newline_survive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    policy: Policy) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / SNIPPET
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\xef\xbb\xbf# c\r\ndb:\r\n  password: hunter2hunter2\r\n  port: 1")
    target = classify(SNIPPET, policy)
    assert target is not None
    plan([target], lint([target], policy), policy, unsafe=True).write()
    assert path.read_bytes() == (b"\xef\xbb\xbf# c\r\ndb:\r\n  password: ${oc.env:PASSWORD}\r\n"
                                 b"  port: 1")


# --- golden files: comments, key order, quoting and indentation survive -----------------------
GOLDEN = [("mlflow_default", "config/mlflow/default.yaml"), ("serve", "config/deploy/serve.yaml")]


@pytest.mark.parametrize(("name", "rel"), GOLDEN)
@pytest.mark.parametrize("mode", ["safe", "unsafe"])
def test_golden(fix: Fix, name: str, rel: str, mode: str) -> None:
    before = (DATA / f"{name}.in.yaml").read_text("utf-8")
    expected = DATA / f"{name}.{mode}.yaml"
    new, _ = fix(before, rel, unsafe=mode == "unsafe")
    assert new == (expected.read_text("utf-8") if expected.exists() else before)
    assert fix(new, rel, unsafe=True)[0] == new or mode == "safe"


# --- the command line ---------------------------------------------------------------------------
def _tree(root: Path) -> None:
    for name, rel in GOLDEN:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text((DATA / f"{name}.in.yaml").read_text("utf-8"), "utf-8")


def _hashes(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


SECRETS = ("hunter2-but-longer", "k3y-0123456789", "xyz-abcdefgh")


def test_diff_writes_nothing_and_masks_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    _tree(tmp_path)
    before = _hashes(tmp_path)
    assert main(["lint", "--diff", "--unsafe-fixes"]) == 1
    out, err = capsys.readouterr()
    assert _hashes(tmp_path) == before  # byte-identical, and no new file
    assert out == (DATA / "unsafe.diff").read_text("utf-8")
    for secret in SECRETS:
        assert secret not in out and secret not in err
    assert "'************'" in out  # the removed secret, masked on its '-' line
    assert "rotate it" in err and "would fix 8 finding(s) in 2 file(s)" in err
    assert "TC131 not fixed: version 7 has no alias equivalent" in err


def test_diff_without_unsafe_fixes_shows_safe_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    _tree(tmp_path)
    before = _hashes(tmp_path)
    assert main(["lint", "--diff"]) == 1
    out, err = capsys.readouterr()
    assert _hashes(tmp_path) == before
    assert "+experiment_name: ${project.name}" in out and "oc.env:PASSWORD" not in out
    assert "would fix 2 finding(s) in 1 file(s); 6 more fixable with --unsafe-fixes" in err
    assert "rotate" not in err  # no secret is removed by a safe fix


def test_fix_writes_then_reports_what_remains(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    _tree(tmp_path)
    files = set(_hashes(tmp_path))
    assert main(["lint", "--fix"]) == 1
    out, err = capsys.readouterr()
    assert "fixed 2 finding(s) in 1 file(s); 6 more fixable with --unsafe-fixes" in err
    assert "TC150" not in out and "TC101" in out  # the report is of what remains
    assert main(["lint", "--fix", "--unsafe-fixes", "--format", "json"]) == 1
    out, err = capsys.readouterr()
    assert '"rule": "TC131"' in out and out.count('"rule":') == 1  # only the pinned version
    assert err.count("stays in the git history; rotate it") == 3
    for secret in SECRETS:
        assert secret not in out and secret not in err
    assert set(_hashes(tmp_path)) == files  # no backup or temporary files
    for name, rel in GOLDEN:
        assert (tmp_path / rel).read_text("utf-8") == (DATA / f"{name}.unsafe.yaml").read_text()
    after = _hashes(tmp_path)
    assert main(["lint", "--fix", "--unsafe-fixes"]) == 1
    assert _hashes(tmp_path) == after  # idempotent
    assert "fixed 0 finding(s) in 0 file(s)" in capsys.readouterr().err


def test_fix_exits_zero_when_nothing_remains(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "db.yaml").write_text("db:\n  password: hunter2hunter2\n")
    assert main(["lint", "--diff"]) == 0  # only an unsafe fix: nothing to show
    assert main(["lint", "--fix", "--unsafe-fixes"]) == 0
    assert (tmp_path / "config" / "db.yaml").read_text() == "db:\n  password: ${oc.env:PASSWORD}\n"
    assert main(["lint", "--diff", "--unsafe-fixes"]) == 0


def test_suppressed_and_baselined_findings_are_not_fixed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    cfg = tmp_path / "config"
    cfg.mkdir()
    inline = "mlflow:\n  tracking_uri: http://x.example.com  # trackcheck: ignore[TC101]\n"
    (cfg / "a.yaml").write_text(inline)
    (cfg / "b.yaml").write_text("db:\n  password: hunter2hunter2\n")
    assert main(["lint", "--write-baseline", "baseline.json", "--select", "TC111"]) == 0
    before = _hashes(tmp_path)
    assert main(["lint", "--fix", "--unsafe-fixes", "--baseline", "baseline.json"]) == 0
    assert _hashes(tmp_path) == before
    assert "fixed 0 finding(s)" in capsys.readouterr().err


@pytest.mark.parametrize("text", [
    "db:\n  password: |\n    hunter2hunter2\n  port: 1\n",
    "db:\n  password: >-\n    hunter2hunter2\n    more-of-it\n",
    "db:\n  password: hunter2hunter2\n    more-of-it\n  port: 1\n",
    "db:\n  password: \"hunter2\\\"hunter2\"\n",
    "db:\n  password: abc\n",
    "db:\n  password: hunter2hunter2\n  token: ghp_0123456789abcdefghijklmnopqrstuvwxyzAB\n",
])
def test_the_diff_never_shows_a_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str], text: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "db.yaml").write_text(text)
    assert main(["lint", "--diff", "--unsafe-fixes"]) == 1
    out, err = capsys.readouterr()
    assert "+  password: ${oc.env:PASSWORD}" in out.replace('"', "")
    assert "No newline" not in out
    for secret in ("hunter2", "more-of-it", "abc\n", "ghp_0123456789"):
        assert secret not in out + err
    assert "************" in out


def test_diff_and_write_baseline_do_not_mix(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _tree(tmp_path)
    assert main(["lint", "--diff", "--write-baseline", "b.json"]) == 2
    assert not (tmp_path / "b.json").exists()


def test_plain_lint_does_not_import_ruamel(tmp_path: Path) -> None:
    _tree(tmp_path)
    probe = ("import sys\nfrom trackcheck.cli import main\nrc = main(['lint'])\n"
             "print(sorted(m for m in sys.modules if m.startswith('ruamel')))\n")
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}
    p = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True,
                       text=True, timeout=120)
    assert p.stdout.rstrip().splitlines()[-1] == "[]", p.stderr


# --- the helpers ----------------------------------------------------------------------------
@pytest.mark.parametrize(("key", "name", "var"), [
    ("db.password", "password", "PASSWORD"),
    ("auth.apiKey", "apiKey", "API_KEY"),
    ("x.api_keys[0]", "", "API_KEYS_0"),
    ("MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_PASSWORD"),
    ("a.client-secret", "client-secret", "CLIENT_SECRET"),
    ("a.1token", "1token", None),
    ("a.пароль", "пароль", None),
])
def test_env_var_for(key: str, name: str, var: str | None) -> None:
    assert env_var_for(key, name) == var


@pytest.mark.parametrize(("text", "default", "expected"), [
    ("${oc.env:A,http://x}", "http://x", "${oc.env:A}"),
    ("${oc.env:A, 'http://x'}", "http://x", "${oc.env:A}"),
    ("p/${oc.env:A,http://x}/q", "http://x", "p/${oc.env:A}/q"),
    ("${oc.env:A,${oc.env:B,http://x}}", "http://x", "${oc.env:A,${oc.env:B}}"),
    ("${oc.env:A,http://y}", "http://x", None),
    ("${oc.env:A}", "http://x", None),
    ("${oc.env:A", "http://x", None),
])
def test_drop_env_default(text: str, default: str, expected: str | None) -> None:
    assert drop_env_default(text, default) == expected


@pytest.mark.parametrize(("text", "old", "expected"), [
    ("models:/m/Production", "models:/m/Production", "models:/m@prod"),
    ("serve models:/m/Production.", "models:/m/Production", "serve models:/m@prod."),
    ("models:/m/ProductionX models:/m/Production", "models:/m/Production",
     "models:/m/ProductionX models:/m@prod"),
    ("xmodels:/m/Production", "models:/m/Production", None),
])
def test_replace_uri(text: str, old: str, expected: str | None) -> None:
    assert replace_uri(text, old, "models:/m@prod") == expected


@pytest.mark.parametrize(("text", "indent"), [
    ("a:\n  b: 1\n  c:\n    - x\n", (2, 4, 2)),
    ("a:\n    b: 1\n    c:\n    - x\n", (4, 2, 0)),
    ("a:\n  b:\n  - x\n  - y\n", (2, 2, 0)),
    ("a:\n    b:\n        -   x\n", (4, 8, 4)),
    ("a: 1\n", (2, 2, 0)),
])
def test_detect_indent(text: str, indent: tuple[int, int, int]) -> None:
    assert detect_indent(text) == indent


lines = st.lists(st.sampled_from(["a: 1\n", "b: 2\n", "# c\n", "\n", "d:  3\n", "e: ~\n"]),
                 max_size=12)


@given(lines, lines)
def test_graft_keeps_the_original_where_nothing_was_fixed(original: list[str],
                                                          rendered: list[str]) -> None:
    assert graft(original, rendered, rendered) == original


@given(st.integers(1, 12), st.data())
def test_graft_changes_the_fixed_line_and_keeps_the_rest(n: int, data: st.DataObject) -> None:
    original = [f"k{i}:  v{i}   # c\n" for i in range(n)]
    noisy = data.draw(st.sets(st.integers(0, n - 1)))  # lines the rendering writes differently
    base = [f"k{i}: v{i} # c\n" if i in noisy else line for i, line in enumerate(original)]
    at = data.draw(st.integers(0, n - 1))
    fixed = [*base[:at], f"k{at}: FIXED\n", *base[at + 1 :]]
    out = graft(original, base, fixed)
    assert len(out) == n and out[at] == f"k{at}: FIXED\n"
    for i in range(n):
        if i != at and out[i] != original[i]:
            assert i in noisy and out[i] == base[i]  # only a rendered neighbour comes along


@given(lines, lines)
def test_graft_of_a_faithful_rendering_is_the_fix(original: list[str], fixed: list[str]) -> None:
    assert graft(original, original, fixed) == fixed


# --- the diff masks values, not words ------------------------------------------------------------
def test_the_diff_masks_a_word_secret_where_it_sits_only(fix: Fix) -> None:
    text = ("yaml:  # yaml\n"
            "  password: yaml\n"
            "  token: 'yaml'  # yaml\n"
            "  auth: {user: yaml, password: yaml, secret: yaml}\n"
            "  host: yaml.internal\n")
    _, result = fix(text, "config/db/yaml.yaml")
    out = result.diff()
    assert out.startswith("--- a/config/db/yaml.yaml\n+++ b/config/db/yaml.yaml\n@@ -1,5 +1,5 @@\n")
    assert out.splitlines()[3:8] == [
        " yaml:  # yaml",
        "-  password: ************",
        "-  token: '************'  # yaml",
        "-  auth: {user: yaml, password: ************, secret: ************}",
        "+  password: ${oc.env:PASSWORD}",
    ]
    assert out.endswith("   host: yaml.internal\n")


@pytest.mark.parametrize(("text", "kept"), [
    ("db:\n  password: |\n    correct horse\n    battery staple\n  horse: 1\n", "   horse: 1\n"),
    ("db:\n  password: correct horse\n    battery staple\n  staple: 1\n", "   staple: 1\n"),
    ("db:\n  password: 'correct\n    horse'\n  horse: 1\n", "   horse: 1\n"),
    ("- password: >\n    correct horse\n  horse: 1\n", "   horse: 1\n"),
    ("passwords:\n- >\n  correct horse\n- battery\nhorse: 1\n", " horse: 1\n"),
])
def test_the_diff_masks_every_line_of_a_multi_line_word_secret(fix: Fix, text: str,
                                                               kept: str) -> None:
    _, result = fix(text)
    out = result.diff()
    removed = [line for line in out.splitlines() if line.startswith("-")
               and not line.startswith("---")]
    assert len(removed) >= 2 and all(line.rstrip().endswith("************") for line in removed)
    for word in ("correct", "battery"):
        assert word not in out
    assert out.endswith(kept)  # the same word as a key, unmasked


def test_a_hunk_that_touches_no_secret_applies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    cfg = tmp_path / "config" / "mlflow"
    cfg.mkdir(parents=True)
    text = "experment_name: mlflow\nmlflow: 1\na: 2\nb: 3\nc: 4\nd: 5\npassword: mlflow\n"
    (cfg / "mlflow.yaml").write_text(text)
    assert main(["lint", "config", "--diff"]) == 1
    patch = capsys.readouterr().out
    assert "\n mlflow: 1\n" in patch and "************" not in patch
    (tmp_path / "fix.patch").write_text(patch)
    subprocess.run(["git", "apply", "fix.patch"], cwd=tmp_path, check=True, capture_output=True)
    assert (cfg / "mlflow.yaml").read_text() == text.replace("experment", "experiment")


def test_the_diff_masks_a_value_used_through_an_alias_at_its_anchor(fix: Fix) -> None:
    text = ("pw_default: &pw yaml\nexperment_name: yaml\nother: &t 'S3cr3t-but-long'\n"
            "register:\n  password: *pw\n  token: *t\n")
    _, result = fix(text, "config/mlflow/x.yaml", unsafe=False)
    assert result.diff().splitlines()[3:8] == [
        " pw_default: &pw ************",
        "-experment_name: yaml",
        "+experiment_name: yaml",
        " other: &t '************'",
        " register:",
    ]


# --- fixes write only regular files inside the working directory ---------------------------------
@pytest.mark.parametrize("link_to", ["outside", "inside"])
def test_fix_never_writes_through_a_symlink(link_to: str, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    repo, outside = tmp_path / "repo", tmp_path / "outside"
    (repo / "config" / "mlflow").mkdir(parents=True)
    outside.mkdir()
    text = "experment_name: x\n"  # TC150: a safe fix (rename the typo'd key)
    target = (outside if link_to == "outside" else repo) / "real.yaml"
    target.write_text(text)
    os.symlink(target, repo / "config" / "mlflow" / "default.yaml")
    monkeypatch.chdir(repo)
    assert main(["lint", "--fix", "config"]) == 0  # TC150 is a warning
    err = capsys.readouterr().err
    assert target.read_text() == text  # a committed link is never written through
    assert "config/mlflow/default.yaml: not fixed in place: it is a symbolic link" in err
    assert "internal error" not in err
