"""The ``registry`` extra stays optional: without it the audit says how to install it, and the
lint path never imports mlflow. Fresh processes, since one test's import would hide another's."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

_BLOCK_MLFLOW = textwrap.dedent("""
    import sys

    class NoMlflow:  # as if the registry extra were not installed
        def find_spec(self, name, path=None, target=None):
            if name == "mlflow" or name.startswith("mlflow."):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, NoMlflow())
    from trackcheck.cli import main
    sys.exit(main(sys.argv[1:]))
""")

_REPORT_MODULES = textwrap.dedent("""
    import sys
    from trackcheck.cli import main
    code = main(sys.argv[1:])
    print("MLFLOW-IMPORTED" if "mlflow" in sys.modules else "MLFLOW-ABSENT", file=sys.stderr)
    sys.exit(code)
""")


def _run(script: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(cwd)}
    return subprocess.run([sys.executable, "-c", script, *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("args", [
    ("--tracking-uri", "http://127.0.0.1:9"),
    ("--tracking-uri", "sqlite:///mlflow.db"),
    (),  # MLflow's local default store, found in the working directory
])
def test_audit_without_the_extra_says_how_to_install_it(args: tuple[str, ...],
                                                         tmp_path: Path) -> None:
    (tmp_path / "mlflow.db").write_bytes(b"")
    p = _run(_BLOCK_MLFLOW, "audit", "--registry", "--policy", "default", *args, cwd=tmp_path)
    assert p.returncode == 3, p.stderr
    assert p.stdout == ""
    assert p.stderr.strip().splitlines() == [
        "trackcheck: the registry audit needs MLflow: install trackcheck[registry] "
        "(pip install 'trackcheck[registry]')"]
    assert (tmp_path / "mlflow.db").read_bytes() == b""


def test_the_blocker_really_blocks(tmp_path: Path) -> None:
    """The control: the same wrapper lets everything else through, and mlflow is installed."""
    p = _run(_BLOCK_MLFLOW, "rules", "TC201", cwd=tmp_path)
    assert p.returncode == 0 and "TC201" in p.stdout
    p = subprocess.run([sys.executable, "-c", "import mlflow"], capture_output=True, timeout=60)
    assert p.returncode == 0


@pytest.mark.parametrize("args", [
    ("lint", "config"),
    ("lint",),
    ("rules",),
    ("check-policy",),
])
def test_lint_path_never_imports_mlflow(args: tuple[str, ...], tmp_path: Path) -> None:
    cfg = tmp_path / "config" / "mlflow"
    cfg.mkdir(parents=True)
    (cfg / "default.yaml").write_text(
        "tracking_uri: ${oc.env:MLFLOW_TRACKING_URI}\n"
        "register: {enabled: true, model_name: churn, alias: dev}\n"
        "serve_uri: models:/churn@prod\n", "utf-8")
    policy = ("--policy", "default") if args[0] == "lint" else ()
    p = _run(_REPORT_MODULES, *args, *policy, cwd=tmp_path)
    assert p.returncode in (0, 1), p.stderr
    assert p.stderr.strip().splitlines()[-1] == "MLFLOW-ABSENT"


def test_importing_the_audit_engine_does_not_import_mlflow(tmp_path: Path) -> None:
    script = ("import sys, trackcheck.audit.runner, trackcheck.audit.mlflow_source; "
              "print('mlflow' in sys.modules)")
    p = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert p.stdout.strip() == "False", p.stderr
