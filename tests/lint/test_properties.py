"""Invariants of the linter, checked with hypothesis: env lookups are never flagged, secrets are
always reported and never printed, fingerprints survive line shifts, arbitrary bytes never crash."""

from __future__ import annotations

import contextlib
import io
import json
import os
import string
import tempfile
from collections.abc import Iterator
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trackcheck.cli import FORMATS, main

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@contextlib.contextmanager
def tree(files: dict[str, str | bytes]) -> Iterator[Path]:
    """A throwaway working directory holding ``files``; the environment has no CI markers."""
    old_cwd, old_gha = os.getcwd(), os.environ.pop("GITHUB_ACTIONS", None)
    with tempfile.TemporaryDirectory(prefix="tc-prop-") as d:
        for rel, data in files.items():
            p = Path(d, rel)
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
        os.chdir(d)
        try:
            yield Path(d)
        finally:
            os.chdir(old_cwd)
            if old_gha is not None:
                os.environ["GITHUB_ACTIONS"] = old_gha


def cli(*argv: str) -> tuple[int, str, str]:
    """``trackcheck <argv>`` in-process: exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def findings(path: str = "config") -> list[dict]:
    code, out, err = cli("lint", path, "--format", "json")
    assert code in (0, 1), err
    return json.loads(out)["findings"]


# --- (1) env lookups are never flagged -------------------------------------------------
ENV_NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,30}", fullmatch=True)
PLAIN_KEYS = st.from_regex(r"[a-z][a-z0-9_]{0,20}", fullmatch=True).filter(
    # keys whose *value* a policy constrains beyond "no literal secret or endpoint": names,
    # aliases, stages and server-side settings have their own rules and their own tests
    lambda k: k not in {"experiment_name", "run_name", "alias", "stage", "lifecycle_intent",
                        "tags", "defaults", "mlflow", "backend_store_uri", "default_artifact_root",
                        "artifacts_destination", "artifact_root", "serve_artifacts"}
)
SPECIAL_KEYS = st.sampled_from([
    "tracking_uri", "registry_uri", "MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI", "password",
    "api_key", "token", "secret", "client_secret", "access_token", "db_password", "apiKey",
    "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN", "DATABRICKS_TOKEN", "HF_TOKEN",
    "AWS_SECRET_ACCESS_KEY", "private_key", "uri", "url", "endpoint", "host",
])
PARENTS = st.sampled_from(["", "db", "deploy", "paths", "model", "credentials", "mlflow"])
QUOTES = st.sampled_from(["{}", "'{}'", '"{}"'])
LAYOUTS = st.sampled_from(["block", "flow", "list"])


def _place(parent: str, key: str, value: str, layout: str) -> str:
    if not parent:
        return f"{key}: {value}\n" if layout != "list" else f"{key}:\n  - {value}\n"
    if layout == "flow":
        return f"{parent}: {{{key}: {value}}}\n"
    if layout == "list":
        return f"{parent}:\n  - {key}: {value}\n"
    return f"{parent}:\n  {key}: {value}\n"


@SETTINGS
@given(entries=st.lists(st.tuples(PARENTS, st.one_of(SPECIAL_KEYS, PLAIN_KEYS), ENV_NAMES, QUOTES,
                                  LAYOUTS), min_size=1, max_size=6))
def test_env_lookups_are_never_flagged(entries: list[tuple[str, str, str, str, str]]) -> None:
    text, used = "", set()
    for parent, key, var, quote, layout in entries:
        if parent == "mlflow":  # the mlflow block has a schema: only its URI keys go there
            key = "tracking_uri" if "track" in key.lower() else "registry_uri"
            layout = "block"
        if layout == "flow" and quote == "{}":
            quote = "'{}'"  # a plain ``${...}`` cannot stand inside a flow mapping
        if (parent or key) in used:
            continue  # a second block under the same key would be a duplicate key (TC003)
        used.add(parent or key)
        text += _place(parent, key, quote.format("${oc.env:" + var + "}"), layout)
    with tree({"config/app.yaml": text}):
        assert findings() == [], text


# --- (2) a secret is always reported and never printed ---------------------------------------
# characters no output format escapes (XML, JSON, GitHub workflow commands), so a leak would
# show verbatim; mixed classes and >= 12 characters so no fixed output text can contain it.
# It starts with a letter or digit: '/x', './x', '~/x' name the file a secret lives in (TC111).
SAFE = string.ascii_letters + string.digits + "_-.+/=~^@!?;"
SECRETS = st.tuples(
    st.sampled_from(string.ascii_uppercase), st.sampled_from(string.ascii_lowercase),
    st.sampled_from(string.digits), st.text(SAFE, min_size=9, max_size=60),
).flatmap(lambda parts: st.permutations([*parts[:3], *parts[3]])).map("".join).map(
    lambda s: s if s[0].isalnum() else "k" + s)
SECRET_KEYS = st.sampled_from([
    "password", "api_key", "token", "secret", "client_secret", "access_token", "auth_token",
    "db_password", "apiKey", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN",
    "DATABRICKS_TOKEN", "HF_TOKEN", "AWS_SECRET_ACCESS_KEY", "secret_key", "private_key",
])
SECRET_FILES = st.sampled_from(["config/db/prod.yaml", "config/app.yaml", "deploy.yaml"])


@SETTINGS
@given(secret=SECRETS, key=SECRET_KEYS, parent=st.sampled_from(["", "db", "service"]),
       layout=LAYOUTS, quote=st.sampled_from(["'{}'", '"{}"']), where=SECRET_FILES)
def test_a_secret_is_reported_and_never_printed(secret: str, key: str, parent: str, layout: str,
                                                quote: str, where: str) -> None:
    text = "model:\n  name: resnet\n" + _place(parent, key, quote.format(secret), layout)
    with tree({where: text}):
        rules = {f["rule"] for f in findings(where)}
        assert rules & {"TC110", "TC111"}, (text, rules)
        for fmt in FORMATS:
            code, out, err = cli("lint", where, "--format", fmt)
            assert code == 1
            assert secret not in out and secret not in err, fmt
        code, out, err = cli("lint", where, "--format", "json", "--output", "report.json")
        assert secret not in Path("report.json").read_text("utf-8") + out + err


# --- (3) fingerprints survive lines inserted above -------------------------------------------
FILLER = st.lists(st.one_of(
    st.just(""),
    st.text(string.ascii_letters + string.digits + " -_.", max_size=30).map(lambda t: "# " + t),
    st.integers(0, 10**6).map(lambda i: f"filler_{{n}}: {i}"),
    st.from_regex(r"[a-z]{1,8}", fullmatch=True).map(lambda w: f"filler_{{n}}: {w}"),
    st.just("filler_{n}: [a, {b: c}]"),
), max_size=25)

SUBJECT = """\
{top}mlflow:
{inner}  tracking_uri: https://mlflow.example.com
  experiment_name: ${{project.name}}
db:
  url: postgresql://app:Hunter2-Secret-99@db.example.com:5432/app
  password: 'Zq8-v3ry-l0ng-S3cret'
"""


def _fill(lines: list[str], indent: str) -> str:
    return "".join(indent + line.replace("{n}", str(i)) + "\n" for i, line in enumerate(lines))


def _fingerprints() -> dict[tuple[str, str], str]:
    return {(f["rule"], f["key"]): f["fingerprint"] for f in findings("config/app.yaml")}


@SETTINGS
@given(top=FILLER, inner=FILLER)
def test_fingerprints_survive_lines_inserted_above(top: list[str], inner: list[str]) -> None:
    with tree({"config/app.yaml": SUBJECT.format(top="", inner="")}) as root:
        before = _fingerprints()
        (root / "config/app.yaml").write_text(
            SUBJECT.format(top=_fill(top, ""), inner=_fill(inner, "  ")), "utf-8")
        after = _fingerprints()
    assert ("TC101", "mlflow.tracking_uri") in before
    assert after == before


def test_a_changed_value_changes_the_fingerprint() -> None:
    with tree({"config/app.yaml": SUBJECT.format(top="", inner="")}) as root:
        before = _fingerprints()
        p = root / "config/app.yaml"
        p.write_text(p.read_text().replace("mlflow.example.com", "mlflow2.example.com"), "utf-8")
        after = _fingerprints()
    key = ("TC101", "mlflow.tracking_uri")
    assert before[key] != after[key]
    del before[key], after[key]
    assert before == after


# --- (4) arbitrary bytes never crash the linter ------------------------------------------------
YAMLISH = st.lists(st.sampled_from([
    "a", "b", ":", ": ", "-", "- ", " ", "  ", "\n", "\t", "[", "]", "{", "}", ",", "&x ", "*x",
    "!!", "!tag ", "|", ">", "'", '"', "#", "%YAML 1.1\n", "---\n", "...\n", "? ", "<<: ",
    "${", "}", "${oc.env:", "${a.b}", "\\${", "\\", "tracking_uri: ", "password: ", "\x00",
    "\ufeff", "\u2028", "é", "\x85", "\r", "# trackcheck: ignore[TC101]", "ignore-file[",
    "(", ")", "mlflow.set_tracking_uri(", "MlflowClient(", "\"http://h:5000\"", "def f():\n  ",
    "--mlflow.tracking_uri=", "mlflow.tracking_uri=http://h", "\\\n", "$(", "`",
]), max_size=60).map(lambda parts: "".join(parts).encode("utf-8", "surrogatepass"))
TARGETS = st.sampled_from(["config/x.yaml", "config/mlflow/x.yaml", "x.yml",
                           ".github/workflows/ci.yml", ".env", ".env.example", ".databrickscfg",
                           ".netrc", "train.py", "scripts/run.sh", "Makefile", "Dockerfile",
                           "outputs/2024-01-01/10-00-00/.hydra/overrides.yaml"])


@settings(max_examples=150, deadline=None)
@given(data=st.one_of(st.binary(max_size=400), YAMLISH), where=TARGETS)
def test_arbitrary_bytes_never_crash(data: bytes, where: str) -> None:
    with tree({where: data}):
        code, out, err = cli("lint", where)
    assert code in (0, 1), (data, err)
    assert "Traceback" not in err and "internal error" not in err
