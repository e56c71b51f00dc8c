"""The architecture, guarded by tests: the lint path never imports mlflow (or hydra), only
``audit/mlflow_source.py`` (and the demo's registry seeder) imports mlflow at all, and
dependencies point one way."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REPO = Path(__file__).resolve().parent.parent
PKG = REPO / "src" / "trackcheck"

PROBE = (
    "import sys\n"
    "from trackcheck.cli import main\n"
    "rc = main(sys.argv[1:])\n"
    "print()\n"
    "print(sorted(m for m in sys.modules if m.split('.')[0] in ('mlflow', 'hydra')))\n"
    "print(rc)\n"
)

TREE = {
    "config/config.yaml": "defaults:\n  - mlflow: default\n  - _self_\nproject:\n  name: demo\n",
    "config/mlflow/default.yaml": (
        "tracking_uri: https://mlflow.example.com\nexperiment_name: ${project.name}\n"
        "run_name: ${model.name}\ntags:\n  project: ${project.name}\n  env: prod\n"
        "register:\n  alias: prod\n  stage: Production\n"
    ),
    "config/deploy/serve.yaml": (
        "model_uri: models:/churn/7\ntoken: dapi0123456789abcdef0123456789abcdef\n"),
    ".env": "MLFLOW_TRACKING_PASSWORD=hunter2-hunter2\n",
}


def probe(argv: list[str], cwd: Path) -> tuple[list[str], int, str]:
    """``main(argv)`` in a fresh interpreter: the mlflow/hydra modules it loaded, its exit code."""
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}
    env["MLFLOW_TRACKING_URI"] = "http://127.0.0.1:9"  # nothing may read it on the lint path
    p = subprocess.run([sys.executable, "-c", PROBE, *argv], cwd=cwd, env=env, capture_output=True,
                       text=True, timeout=120)
    *_, loaded, rc = p.stdout.rstrip("\n").splitlines()
    return ast.literal_eval(loaded), int(rc), p.stderr


@pytest.mark.parametrize("argv", [
    ["lint", "config"],
    ["lint", "config", "--format", "sarif"],
    ["lint"],
    ["rules"],
    ["rules", "TC201"],
    ["check-policy"],
])
def test_the_repository_lint_path_leaves_mlflow_and_hydra_out(argv: list[str]) -> None:
    assert (REPO / "config").is_dir()
    loaded, rc, err = probe(argv, REPO)
    assert loaded == [], err
    assert rc in (0, 1), err


def test_a_violating_tree_leaves_mlflow_and_hydra_out(tmp_path: Path) -> None:
    for rel, text in TREE.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, "utf-8")
    loaded, rc, err = probe(["lint", "--format", "json"], tmp_path)
    assert loaded == [], err
    assert rc == 1, err


# --- static import rules -----------------------------------------------------------------------
def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every module a file imports, anywhere in it (function-level imports included), absolute."""
    tree = ast.parse(path.read_text("utf-8"), str(path))
    here = _module_name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1])
                mod = f"{base}.{node.module}" if node.module else base
            else:
                mod = node.module or ""
            found.add(mod)
            found.update(f"{mod}.{alias.name}" for alias in node.names)
        elif (isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute))
              and getattr(node.func, "id", getattr(node.func, "attr", "")) in ("import_module",
                                                                                 "__import__")
              and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)):
            found.add(node.args[0].value)
    return found


def _under(mod: str, prefix: str) -> bool:
    return mod == prefix or mod.startswith(prefix + ".")


SOURCES = sorted(PKG.rglob("*.py"))


def rel(p: Path) -> str:
    return p.relative_to(PKG).as_posix()


def test_the_scan_sees_the_package() -> None:
    names = {rel(p) for p in SOURCES}
    assert {"cli.py", "lint/runner.py", "audit/mlflow_source.py",
            "lint/rules/tc101_tracking_uri_literal.py"} <= names
    assert "trackcheck.lint.rules" in imports(PKG / "lint" / "runner.py")
    assert "mlflow" in {m.split(".")[0] for m in imports(PKG / "audit" / "mlflow_source.py")}


# the only modules that may import mlflow, and why
MLFLOW_IMPORTERS = {
    "audit/mlflow_source.py": "the audit's one registry source",
    "demo.py": "seeds the demo's throwaway registry: a writer, imported by nothing",
    "audit/ledger_reader.py": "reads the guard's ledger with MLflow's HTTP client and credentials",
    "guard/app.py": "the guard's mlflow.app entry points, loaded by mlflow server",
    "guard/store.py": "the guard's wrapper of the server's registry store",
}


def test_only_mlflow_source_imports_mlflow() -> None:
    offenders = {rel(p): sorted(m for m in imports(p) if _under(m.split(".")[0], "mlflow"))
                 for p in SOURCES if rel(p) not in MLFLOW_IMPORTERS}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_nothing_imports_the_other_mlflow_importers() -> None:
    offenders = {rel(p): sorted(m for m in imports(p) if _under(m, "trackcheck.demo"))
                 for p in SOURCES}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_ruff_bans_mlflow_everywhere_else() -> None:
    # the same list as ruff's banned-api exemptions, so the linter and this test agree
    config = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["tool"]["ruff"]["lint"]
    assert "mlflow" in config["flake8-tidy-imports"]["banned-api"]
    exempt = {path.removeprefix("src/trackcheck/") for path, codes in
              config["per-file-ignores"].items()
              if path.startswith("src/") and "TID251" in codes}
    assert exempt == set(MLFLOW_IMPORTERS)


def test_nothing_imports_hydra() -> None:
    # hydra is an optional extra for --compose; only a module named for it may import it
    offenders = {rel(p): sorted(m for m in imports(p) if _under(m, "hydra"))
                 for p in SOURCES if "compose" not in rel(p)}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_lint_rules_never_import_the_audit() -> None:
    offenders = {rel(p): sorted(m for m in imports(p) if _under(m, "trackcheck.audit"))
                 for p in SOURCES if rel(p).startswith("lint/rules/")}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_audit_imports_lint_only_in_its_runner() -> None:
    # audit/runner.py may: TC210's --config reads committed models:/ references with the linter
    offenders = {rel(p): sorted(m for m in imports(p) if _under(m, "trackcheck.lint"))
                 for p in SOURCES if rel(p).startswith("audit/") and rel(p) != "audit/runner.py"}
    assert {k: v for k, v in offenders.items() if v} == {}


CORE = ("findings.py", "rule.py", "policy.py", "engine.py", "reporters.py", "baseline.py",
        "detect/", "state.py", "snapshot.py", "diff.py", "html_report.py", "jsonfile.py")


def test_the_core_depends_on_neither_engine() -> None:
    offenders = {rel(p): sorted(m for m in imports(p)
                                if _under(m, "trackcheck.lint") or _under(m, "trackcheck.audit"))
                 for p in SOURCES if rel(p).startswith(CORE)}
    assert {k: v for k, v in offenders.items() if v} == {}


# --- start-up: a lint run imports only what it needs (issue 12) --------------------------------
MODULES_PROBE = (
    "import sys\n"
    "from trackcheck.cli import main\n"
    "rc = main(sys.argv[1:])\n"
    "print()\n"
    "print(sorted(sys.modules))\n"
    "print(rc)\n"
)
# never on the lint path, whatever the format: the registry side, the network, Hydra
NEVER_IN_LINT = ("trackcheck.audit", "mlflow", "hydra", "urllib.request", "http.client")


def modules_after(argv: list[str], cwd: Path) -> tuple[set[str], int, str]:
    """Every module ``main(argv)`` loaded in a fresh interpreter, and its exit code."""
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}
    p = subprocess.run([sys.executable, "-c", MODULES_PROBE, *argv], cwd=cwd, env=env,
                       capture_output=True, text=True, timeout=120)
    *_, loaded, rc = p.stdout.rstrip("\n").splitlines()
    return set(ast.literal_eval(loaded)), int(rc), p.stderr


def _loaded_under(modules: set[str], *prefixes: str) -> list[str]:
    return sorted(m for m in modules if any(_under(m, p) for p in prefixes))


@pytest.fixture(scope="module")
def violating_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("startup")
    for rel, text in TREE.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, "utf-8")
    return root


@pytest.mark.parametrize("fmt", ["text", "github"])
def test_a_plain_lint_of_one_file_loads_no_reporter_xml_url_or_audit_module(
    violating_tree: Path, fmt: str
) -> None:
    loaded, rc, err = modules_after(
        ["lint", "--format", fmt, "config/deploy/serve.yaml"], violating_tree)
    assert rc == 1, err
    assert _loaded_under(loaded, *NEVER_IN_LINT, "xml", "json", "trackcheck.baseline",
                         "pydantic", "pydantic_core") == []  # the built-in policy: no validation
    # the readers of Python and shell code are for files of code; argparse's help formatter is
    # told the terminal's width, so shutil (with bz2 and lzma) is not imported to ask it
    assert _loaded_under(loaded, "trackcheck.lint.pysource", "trackcheck.lint.codestrings",
                         "shutil", "bz2", "lzma", "hashlib", "difflib") == []


def test_a_plain_lint_of_the_example_config_loads_no_audit_xml_or_url_module() -> None:
    loaded, rc, err = modules_after(["lint", "config/config.yaml"], REPO)
    assert rc == 0, err
    assert "trackcheck.lint.runner" in loaded  # the probe saw the run
    assert _loaded_under(loaded, *NEVER_IN_LINT, "xml", "trackcheck.baseline") == []


@pytest.mark.parametrize("fmt", ["json", "sarif", "junit"])
def test_other_formats_load_only_what_they_print(violating_tree: Path, fmt: str) -> None:
    loaded, rc, err = modules_after(
        ["lint", "--format", fmt, "config/deploy/serve.yaml"], violating_tree)
    assert rc == 1, err
    # SARIF's rule help: the lint rules only; JUnit's XML escapes (xml.sax.saxutils) bring
    # urllib.request with them
    never = [m for m in NEVER_IN_LINT if fmt != "junit" or m.startswith(("trackcheck", "mlflow",
                                                                           "hydra"))]
    assert _loaded_under(loaded, *never) == []
    assert bool(_loaded_under(loaded, "xml")) == (fmt == "junit")


def test_writing_a_baseline_loads_no_reporter_xml_or_audit_module(violating_tree: Path) -> None:
    out = violating_tree / "startup-baseline.json"
    loaded, rc, err = modules_after(["lint", "--write-baseline", str(out)], violating_tree)
    assert rc == 0 and out.is_file(), err
    assert _loaded_under(loaded, *NEVER_IN_LINT, "xml") == []


# the costliest imports a lint run pays only when it needs them: OmegaConf's grammar (and the
# ANTLR runtime) for a string the fast reading cannot read, pydantic for a policy file not yet
# validated; the registry's state and importlib.resources (tempfile, zipfile) never
VALIDATORS_PROBE = (
    "import sys\n"
    "from trackcheck.cli import main\n"
    "rc = main(sys.argv[1:])\n"
    "print()\n"
    "print(sorted(m for m in sys.modules if m.split('.')[0] in ('omegaconf', 'antlr4')\n"
    "             or m in ('trackcheck.state', 'importlib.resources')))\n"
    "print(any(m.split('.')[0] in ('pydantic', 'pydantic_core') for m in sys.modules))\n"
    "print(rc)\n"
)


def grammar_and_validators(argv: list[str], cwd: Path) -> tuple[list[str], bool, int, str]:
    """The lazy modules above ``main(argv)`` loaded in a fresh interpreter, whether it loaded
    pydantic (to validate a policy), and its exit code."""
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}
    p = subprocess.run([sys.executable, "-c", VALIDATORS_PROBE, *argv], cwd=cwd, env=env,
                       capture_output=True, text=True, timeout=120)
    *_, loaded, built, rc = p.stdout.rstrip("\n").splitlines()
    return ast.literal_eval(loaded), built == "True", int(rc), p.stderr


def test_a_plain_lint_on_the_builtin_policy_loads_neither_pydantic_nor_the_grammar(
    tmp_path: Path,
) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.yaml").write_text(
        "project:\n  name: demo\nrun_name: ${project.name}-${oc.env:USER,me}\nseed: 42\n", "utf-8")
    loaded, built, rc, err = grammar_and_validators(["lint", "config/config.yaml"], tmp_path)
    assert rc == 0, err
    assert (loaded, built) == ([], False)


def test_a_string_only_the_grammar_reads_loads_it_in_the_same_run(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.yaml").write_text(
        "name: '${oc.select:a.b, ${c}}'\nbad: ${oc.env:X\n", "utf-8")
    loaded, _, rc, err = grammar_and_validators(
        ["lint", "config/config.yaml", "--select", "TC002"], tmp_path)
    assert rc == 1, err
    assert "omegaconf.grammar_parser" in loaded


def test_a_policy_file_is_validated_in_full(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.yaml").write_text("seed: 42\n", "utf-8")
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "trackcheck.yaml").write_text("max_depth: 50\n", "utf-8")
    _, built, rc, err = grammar_and_validators(["lint", "config/config.yaml"], tmp_path)
    assert (rc, built) == (0, True), err
    (tmp_path / "policies" / "trackcheck.yaml").write_text("max_depth: 5000\n", "utf-8")
    _, _, rc, err = grammar_and_validators(["lint", "config/config.yaml"], tmp_path)
    assert rc == 2 and "less than or equal to 500" in err

# --- the HTML report: Jinja2 only when HTML is asked for ----------------------------------------
@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_lint_in_other_formats_never_loads_jinja(violating_tree: Path, fmt: str) -> None:
    loaded, rc, err = modules_after(["lint", "--format", fmt, "config"], violating_tree)
    assert rc == 1, err
    assert _loaded_under(loaded, "jinja2", "markupsafe", "trackcheck.html_report",
                         "trackcheck.snapshot", "trackcheck.diff") == []


def test_lint_as_html_loads_jinja_but_nothing_of_the_registry(violating_tree: Path) -> None:
    loaded, rc, err = modules_after(["lint", "--format", "html", "config"], violating_tree)
    assert rc == 1, err
    assert {"jinja2", "trackcheck.html_report"} <= loaded
    assert _loaded_under(loaded, *NEVER_IN_LINT) == []
