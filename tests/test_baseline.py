"""Baselines: line-free identity, determinism, no secrets, clear errors, --show-suppressed."""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trackcheck import baseline
from trackcheck.cli import main
from trackcheck.engine import Report
from trackcheck.findings import Finding, Severity

TOKEN = "dapi" + "3f9c" * 8
PASSWORD = "hunter2-Correct-Horse"
DB_PASSWORD = "s3cr3t-db-pw"
ENV_PASSWORD = "abc123def456"
SECRETS = (TOKEN, PASSWORD, DB_PASSWORD, ENV_PASSWORD)

MLFLOW = [
    "tracking_uri: https://mlflow.example.com",
    "experiment_name: ${project.name}",
    "run_name: ${model.name}",
]
DATABRICKS = ["host: ${oc.env:DATABRICKS_HOST}", f"token: {TOKEN}"]
STORE = [f"password: {PASSWORD}", f"url: postgresql://mlflow:{DB_PASSWORD}@db:5432/mlflow"]


def _yaml(blocks: list[tuple[str, list[str]]], prefix: str = "") -> str:
    return prefix + "".join(
        f"{name}:\n" + "".join(f"  {line}\n" for line in lines) for name, lines in blocks
    )


def _tree(root: Path, *, prefix: str = "", reorder: bool = False, token: str = TOKEN) -> None:
    db = [("databricks", [d.replace(TOKEN, token) for d in DATABRICKS]), ("store", STORE)]
    mlflow = [("mlflow", MLFLOW)]
    if reorder:
        db = [(n, lines[::-1]) for n, lines in db[::-1]]
        mlflow = [("mlflow", MLFLOW[::-1])]
    files = {
        "config/mlflow/default.yaml": _yaml(mlflow, prefix),
        "config/db/secrets.yaml": _yaml(db, prefix),
        ".env": prefix + f"MLFLOW_TRACKING_PASSWORD={ENV_PASSWORD}\n",
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, "utf-8")


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    _tree(tmp_path)
    return tmp_path


def test_write_baseline_writes_prints_one_line_exits_zero(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc, out, err = _run(capsys, "lint", "--write-baseline", "b.json")
    assert rc == 0
    assert out == "" and err.count("\n") == 1 and "b.json" in err
    doc = json.loads((tree / "b.json").read_text("utf-8"))
    assert doc["format"] == "trackcheck-baseline" and doc["version"] == 1
    rules = sorted(e["rule"] for e in doc["findings"])
    assert rules == ["TC101", "TC103", "TC110", "TC111", "TC111", "TC160"]
    for e in doc["findings"]:  # one finding per entry, nothing positional or time-dependent
        assert set(e) == {"rule", "path", "key", "fingerprint"}
    rc, out, _ = _run(capsys, "lint", "--baseline", "b.json")
    assert rc == 0, out
    assert out.startswith("0 error(s), 0 warning(s), 6 suppressed")


def test_written_twice_byte_identical_and_independent_of_location(
    tree: Path, tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    _run(capsys, "lint", "--write-baseline", "a.json")
    _run(capsys, "lint", "--write-baseline", "b.json")
    assert (tree / "a.json").read_bytes() == (tree / "b.json").read_bytes()
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    _tree(elsewhere)
    os.chdir(elsewhere)
    _run(capsys, "lint", "--write-baseline", "c.json")
    assert (elsewhere / "c.json").read_bytes() == (tree / "a.json").read_bytes()


def test_an_unchanged_baseline_is_not_touched(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _run(capsys, "lint", "--write-baseline", "b.json")
    os.utime(tree / "b.json", ns=(1_000_000_000, 1_000_000_000))
    _tree(tree, prefix="# moved down\n")
    _run(capsys, "lint", "--write-baseline", "b.json")
    assert (tree / "b.json").stat().st_mtime_ns == 1_000_000_000


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    prefix=st.tuples(
        st.lists(st.sampled_from(["", "# note", "# reviewed by trackcheck"]), max_size=6),
        st.booleans(),
    ).map(lambda t: "".join(s + "\n" for s in t[0]) + ("project: {name: x}\n" if t[1] else "")),
    reorder=st.booleans(),
)
def test_inserted_lines_and_reordered_keys_change_nothing(
    tree: Path, capsys: pytest.CaptureFixture[str], prefix: str, reorder: bool
) -> None:
    _tree(tree)
    _run(capsys, "lint", "--write-baseline", "before.json")
    _tree(tree, prefix=prefix, reorder=reorder)
    _run(capsys, "lint", "--write-baseline", "after.json")
    assert (tree / "after.json").read_bytes() == (tree / "before.json").read_bytes()
    rc, out, _ = _run(capsys, "lint", "--baseline", "before.json")
    assert rc == 0 and out.startswith("0 error(s)"), out


@pytest.mark.parametrize(
    ("old", "new", "code"),
    [
        (TOKEN, "dapi" + "0b1e" * 8, "TC110"),
        (PASSWORD, PASSWORD + "!", "TC111"),
        (DB_PASSWORD, "another-pw", "TC103"),
        ("https://mlflow.example.com", "https://mlflow2.example.com", "TC101"),
    ],
)
def test_a_changed_value_on_a_baselined_key_is_a_new_finding(
    tree: Path, capsys: pytest.CaptureFixture[str], old: str, new: str, code: str
) -> None:
    _run(capsys, "lint", "--write-baseline", "b.json")
    for f in ("config/mlflow/default.yaml", "config/db/secrets.yaml"):
        p = tree / f
        p.write_text(p.read_text("utf-8").replace(old, new), "utf-8")
    rc, out, _ = _run(capsys, "lint", "--baseline", "b.json", "--format", "json")
    doc = json.loads(out)
    assert rc == 1
    assert [f["rule"] for f in doc["findings"]] == [code]
    assert doc["summary"]["suppressed"] == 5
    assert new not in out and old not in out or code == "TC101"


def test_baseline_holds_no_secret_value_nor_a_plain_hash_of_it(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _run(capsys, "lint", "--write-baseline", "b.json")
    text = (tree / "b.json").read_text("utf-8")
    for s in SECRETS:
        assert s not in text
        for algo in ("sha256", "sha1", "md5"):
            assert hashlib.new(algo, s.encode()).hexdigest()[:16] not in text
    uri = f"postgresql://mlflow:{DB_PASSWORD}@db:5432/mlflow"
    assert hashlib.sha256(uri.encode()).hexdigest()[:16] not in text


@pytest.mark.parametrize("word", ["yaml", "mlflow", "secret", "config", "db"])
def test_a_word_secret_leaves_path_and_key_and_fingerprint_as_they_are(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], word: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config" / "db").mkdir(parents=True)
    (tmp_path / "config" / "db" / f"{word}.yaml").write_text(f"{word}:\n  password: {word}\n")
    (tmp_path / "docker-compose.yaml").write_text(
        f"services:\n  {word}:\n    environment:\n      POSTGRES_PASSWORD: {word}\n")
    rc, out, _ = _run(capsys, "lint", "--format", "json")
    assert rc == 1
    reported = {(f["rule"], f["path"], f["key"], f["fingerprint"])
                for f in json.loads(out)["findings"]}
    assert _run(capsys, "lint", "--write-baseline", "b.json")[0] == 0
    entries = json.loads((tmp_path / "b.json").read_text("utf-8"))["findings"]
    assert {(e["rule"], e["path"], e["key"], e["fingerprint"]) for e in entries} == reported
    assert {(e["path"], e["key"]) for e in entries} == {
        (f"config/db/{word}.yaml", f"{word}.password"),
        ("docker-compose.yaml", f"services.{word}.environment.POSTGRES_PASSWORD"),
    }
    assert _run(capsys, "lint", "--baseline", "b.json")[0] == 0


def test_render_scrubs_a_token_in_a_path_or_key_not_a_word() -> None:
    def f(path: str, key: str) -> Finding:
        return Finding("TC120", "unknown-run-tag", Severity.ERROR, "m", path, key, 1, 1, "cd" * 16)

    text = baseline.render([f("config/yaml.yaml", f"tags.{TOKEN}"), f(f"{PASSWORD}.yaml", "yaml")],
                           {"yaml", PASSWORD, TOKEN})
    entries = json.loads(text)["findings"]
    assert [(e["path"], e["key"]) for e in entries] == [
        ("************.yaml", "yaml"), ("config/yaml.yaml", "tags.dapi************")]
    assert [e["fingerprint"] for e in entries] == ["cd" * 16] * 2


def test_hidden_findings_do_not_hide_new_ones_with_the_same_identity() -> None:
    def f(line: int) -> Finding:
        return Finding(
            "TC111",
            "secret-literal",
            Severity.ERROR,
            "m",
            "config/a.yaml",
            "token",
            line,
            3,
            "ab" * 16,
        )

    report = Report("lint", findings=[f(2), f(7)])
    baseline.apply(report, Counter({"ab" * 16: 1}))
    assert [x.line for x in report.findings] == [7]
    assert [(x.line, x.suppressed) for x in report.suppressed] == [(2, "baseline")]


def test_the_baseline_is_never_rewritten_by_a_run_that_reads_it(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _run(capsys, "lint", "--write-baseline", "b.json")
    before = ((tree / "b.json").read_bytes(), (tree / "b.json").stat().st_mtime_ns)
    (tree / "config/new.yaml").write_text(f"auth:\n  token: {TOKEN[:-1]}0\n", "utf-8")
    rc, _, _ = _run(capsys, "lint", "--baseline", "b.json")
    assert rc == 1
    assert ((tree / "b.json").read_bytes(), (tree / "b.json").stat().st_mtime_ns) == before


FOREIGN = {
    "corrupt.json": '{"format": "trackcheck-baseline", "version": 1, "findings": [',
    "empty.json": "",
    "detect-secrets.json": json.dumps({"version": "1.5.0", "plugins_used": [], "results": {}}),
    "list.json": "[]",
    "v2.json": json.dumps({"format": "trackcheck-baseline", "version": 2, "findings": []}),
    "v-bool.json": json.dumps({"format": "trackcheck-baseline", "version": True, "findings": []}),
    "no-list.json": json.dumps({"format": "trackcheck-baseline", "version": 1, "findings": {}}),
    "no-fp.json": json.dumps(
        {"format": "trackcheck-baseline", "version": 1, "findings": [{"rule": "TC101"}]}
    ),
    "bad-fp.json": json.dumps(
        {"format": "trackcheck-baseline", "version": 1, "findings": [{"fingerprint": "not hex"}]}
    ),
    "deep.json": "[" * 100_000 + "]" * 100_000,
}


@pytest.mark.parametrize("name", [*FOREIGN, "missing.json", "latin1.json", "a-directory"])
def test_a_bad_baseline_is_a_clear_error_exit_2(
    tree: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    if name in FOREIGN:
        (tree / name).write_text(FOREIGN[name], "utf-8")
    elif name == "latin1.json":
        (tree / name).write_bytes(b'{"format": "trackcheck-baseline", "x": "\xe9"}')
    elif name == "a-directory":
        (tree / name).mkdir()
    rc, out, err = _run(capsys, "lint", "--baseline", name)
    assert rc == 2
    assert out == ""
    assert err.startswith(f"trackcheck: {name}") and err.count("\n") == 1, err
    assert "Traceback" not in err and "internal error" not in err
    assert "baseline" in err


@pytest.mark.parametrize("where", ["a-directory/b.json", "a-file/b.json"])
def test_an_unwritable_baseline_is_a_clear_error_exit_2(
    tree: Path, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    (tree / "a-directory" / "b.json").mkdir(parents=True)
    (tree / "a-file").write_text("x", "utf-8")
    rc, out, err = _run(capsys, "lint", "--write-baseline", where)
    assert rc == 2 and err.startswith(f"trackcheck: {where}: cannot write baseline"), err


def _suppressed_tree(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _run(capsys, "lint", "--write-baseline", "b.json")
    (tree / "config/late.yaml").write_text(
        "mlflow:\n  registry_uri: databricks-uc"
        '  # trackcheck: ignore[TC101] reason="Unity Catalog, by design"\n',
        "utf-8",
    )


def test_show_suppressed_text_lists_what_was_hidden_and_why(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _suppressed_tree(tree, capsys)
    rc, out, _ = _run(capsys, "lint", "--baseline", "b.json")
    assert rc == 0 and "[suppressed" not in out and "7 suppressed" in out
    rc, out, _ = _run(capsys, "lint", "--baseline", "b.json", "--show-suppressed")
    assert rc == 0
    lines = out.splitlines()
    inline = [ln for ln in lines if ln.endswith("[suppressed: inline: Unity Catalog, by design]")]
    assert len(inline) == 1 and inline[0].startswith("config/late.yaml:2:17: TC101 "), out
    assert sum(ln.endswith("[suppressed: baseline]") for ln in lines) == 6, out
    for s in SECRETS:
        assert s not in out


def test_show_suppressed_json_lists_what_was_hidden_and_why(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _suppressed_tree(tree, capsys)
    rc, out, _ = _run(capsys, "lint", "--baseline", "b.json", "--format", "json")
    assert "suppressed" not in json.loads(out) or json.loads(out)["suppressed"] == []
    rc, out, _ = _run(
        capsys, "lint", "--baseline", "b.json", "--format", "json", "--show-suppressed"
    )
    doc = json.loads(out)
    assert rc == 0 and doc["findings"] == []
    reasons = Counter(f["suppressed"] for f in doc["suppressed"])
    assert reasons == {"baseline": 6, "inline: Unity Catalog, by design": 1}
    for s in SECRETS:
        assert s not in out


def test_show_suppressed_sarif_marks_baseline_external_and_inline_in_source(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _suppressed_tree(tree, capsys)
    _, out, _ = _run(
        capsys, "lint", "--baseline", "b.json", "--format", "sarif", "--show-suppressed"
    )
    results = json.loads(out)["runs"][0]["results"]
    kinds = Counter(r["suppressions"][0]["kind"] for r in results)
    assert kinds == {"external": 6, "inSource": 1}


def test_a_registry_audit_uses_the_same_baseline(tmp_path: Path) -> None:
    """A real local MLflow store (``sqlite:///mlflow.db``), audited in fresh processes."""
    import subprocess
    import sys

    from mlflow import MlflowClient

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    client.create_registered_model("churn")
    v1 = client.create_model_version("churn", source="s3://bucket/churn/1", await_creation_for=0)
    for alias in ("prod", "archived"):  # TC201: an archived version still serving prod
        client.set_registered_model_alias("churn", alias, v1.version)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "GITHUB_"))}
    env["MLFLOW_DISABLE_TELEMETRY"] = "true"

    def audit(*args: str) -> subprocess.CompletedProcess[str]:
        cmd = [
            sys.executable,
            "-m",
            "trackcheck",
            "audit",
            "--registry",
            "--select",
            "TC201,TC202",
            *args,
        ]
        return subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True)

    r = audit("--write-baseline", "audit-baseline.json")
    assert r.returncode == 0 and r.stdout == "", r.stdout + r.stderr
    entries = json.loads((tmp_path / "audit-baseline.json").read_text("utf-8"))["findings"]
    assert [(e["rule"], e["path"]) for e in entries] == [("TC201", f"models:/churn/{v1.version}")]
    r = audit("--baseline", "audit-baseline.json")
    assert r.returncode == 0, r.stdout + r.stderr
    client.set_registered_model_alias("churn", "canary", v1.version)  # TC202: a new finding
    r = audit("--baseline", "audit-baseline.json", "--show-suppressed")
    assert r.returncode == 1, r.stdout + r.stderr
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("models:/")]
    assert len(lines) == 2, r.stdout
    assert any(" TC202 " in ln and ln.endswith("[error]") for ln in lines), r.stdout
    assert any(" TC201 " in ln and ln.endswith("[suppressed: baseline]") for ln in lines), r.stdout


def test_lazy_and_eager_fingerprints_render_and_apply_alike() -> None:
    """``engine.stamp`` leaves the digest for later: a baseline cannot tell."""
    from trackcheck.findings import LazyFingerprint, fingerprint

    def f(value: str, line: int, lazy: bool) -> Finding:
        args = ("TC111", "config/a.yaml", "token", value)
        fp = LazyFingerprint(*args) if lazy else fingerprint(*args)
        return Finding("TC111", "secret-literal", Severity.ERROR, "m", "config/a.yaml", "token",
                       line, 3, fp)

    eager = [f(PASSWORD, 2, False), f(TOKEN, 5, False)]
    lazy = [f(PASSWORD, 9, True), f(TOKEN, 1, True), f(DB_PASSWORD, 4, True)]
    assert baseline.render(lazy[:2]) == baseline.render(eager)
    report = Report("lint", findings=lazy)
    baseline.apply(report, Counter(x.fingerprint for x in eager))
    assert [x.line for x in report.findings] == [4]
    assert sorted(x.line for x in report.suppressed) == [1, 9]
    assert all(x.suppressed == "baseline" for x in report.suppressed)


# --- hostile baselines and baseline paths ------------------------------------------------------
@pytest.mark.parametrize(("text", "says"), [
    ('{"format": "trackcheck-baseline", "version": ' + "9" * 5000 + ', "findings": []}',
     "a number too long"),
    ('{"format": "trackcheck-baseline", "version": 1, "findings": [' + "[" * 100_000,
     "not a trackcheck baseline"),
])
def test_a_hostile_baseline_is_a_clear_error(text: str, says: str, tmp_path: Path) -> None:
    (tmp_path / "b.json").write_text(text)
    with pytest.raises(baseline.BaselineError, match=says):
        baseline.load(tmp_path / "b.json")


def test_an_oversized_baseline_is_refused_unread(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    big = tmp_path / "b.json"
    with open(big, "wb") as fh:  # sparse: the size of a huge file, no disk spent
        fh.truncate(baseline.MAX_BYTES + 1)
    monkeypatch.setattr(Path, "read_text", lambda *a, **k: pytest.fail("read a huge baseline"))
    with pytest.raises(baseline.BaselineError, match="larger than 64 MB"):
        baseline.load(big)


def test_write_baseline_to_a_fifo_is_refused(tree: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    os.mkfifo(tree / "b.json")
    assert main(["lint", "--write-baseline", "b.json"]) == 2
    assert "b.json: cannot write baseline (not a regular file)" in capsys.readouterr().err


def test_a_file_name_that_is_not_utf8_in_the_baseline(tree: Path) -> None:
    with open(os.path.join(os.fsencode(tree), b"config", b"db-\xff.yaml"), "w") as fh:
        fh.write("password: Hunter2-Secret-99\n")
    assert main(["lint", "--write-baseline", "b.json"]) == 0
    text = (tree / "b.json").read_text("utf-8")
    assert "db-\\udcff.yaml" in text and "Hunter2" not in text
    assert main(["lint", "--baseline", "b.json", "--select", "TC111"]) == 0


# --- a file that does not parse: its content is part of the identity --------------------------
@pytest.mark.parametrize(("policy", "broken", "edited", "code"), [
    ("", "a: [unclosed\nb: 1\n", "a: [unclosed\nb: 2\n", "TC001"),
    ("", "a: " + "[" * 2000 + "\n", "b: " + "[" * 2000 + "\n", "TC004"),  # nested too deep
    ("max_file_bytes: 100\n", "a: 1\n" * 30, "a: 2\n" * 30, "TC004"),  # oversized: streamed
])
def test_a_baselined_file_that_does_not_parse_shows_again_once_it_changes(
    tree: Path, capsys: pytest.CaptureFixture[str], policy: str, broken: str, edited: str,
    code: str,
) -> None:
    if policy:
        (tree / "policies").mkdir()
        (tree / "policies" / "trackcheck.yaml").write_text("extends: default\n" + policy)
    bad = tree / "config" / "broken.yaml"
    bad.write_text(broken, "utf-8")
    assert _run(capsys, "lint", "--write-baseline", "b.json")[0] == 0
    written = json.loads((tree / "b.json").read_text("utf-8"))
    assert written["version"] == baseline.VERSION == 1  # the format stays as it was
    rc, out, _ = _run(capsys, "lint", "--baseline", "b.json", "--format", "json")
    assert rc == 0 and json.loads(out)["findings"] == []  # unchanged: still in the baseline
    bad.write_text(edited, "utf-8")
    rc, out, _ = _run(capsys, "lint", "--baseline", "b.json", "--format", "json")
    assert rc == 1
    assert [(f["rule"], f["path"]) for f in json.loads(out)["findings"]] == [
        (code, "config/broken.yaml")]


def test_a_baselined_broken_file_never_covers_a_secret_added_to_it(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tree / "config" / "broken.yaml"
    bad.write_text("a: [unclosed\n", "utf-8")
    _run(capsys, "lint", "--write-baseline", "b.json")
    bad.write_text(f"a: [unclosed\nt: {TOKEN}\n", "utf-8")
    rc, out, _ = _run(capsys, "lint", "--baseline", "b.json", "--format", "json")
    assert rc == 1 and TOKEN not in out
    assert sorted(f["rule"] for f in json.loads(out)["findings"]) == ["TC001", "TC110"]
