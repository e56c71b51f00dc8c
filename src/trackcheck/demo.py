"""``python -m trackcheck.demo``: lint config/ and audit a throwaway local registry built for it.

The demo builds ``.demo/mlflow.db`` (rebuilt on every run, never committed) through the real
MLflow client: the template's registered model with a clean lifecycle (``dev`` → ``staging`` →
``prod``, finished runs with the run tags, a git commit and a dataset input with its digest)
plus planted problems of the kind a real registry accumulates. Then it runs, as a newcomer
would, ``trackcheck lint config`` and ``trackcheck audit --registry --config config`` on it,
and writes the audit as a page (``.demo/report.html``) with a picture of it taken by headless
chromium (``.demo/report.png``) when chromium is installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path

DEMO_DIR = Path(".demo")
DB = DEMO_DIR / "mlflow.db"
URI = f"sqlite:///{DB.as_posix()}"
PLANTED = [
    ("TC203", "version 1 still sits in the deprecated 'Archived' stage"),
    ("TC201", "version 3 carries both 'staging' and 'archived'"),
    ("TC206", "version 3 comes from a debug run"),
    ("TC207", "version 3's run logged no git commit and no dataset input with a digest"),
]


def _model_name(config: Path) -> str:
    """The registered model's name: the template registers ``${project.name}``."""
    import yaml

    try:
        data = yaml.safe_load((config / "config.yaml").read_text("utf-8")) or {}
        return str(data["project"]["name"])
    except (OSError, KeyError, TypeError, yaml.YAMLError):
        return "churn-model"


def _tags(model: str, env: str, debug: bool, intent: str, git: str | None) -> dict[str, str]:
    tags = {"project": model, "env": env, "model_name": "gbm", "data_name": "churn-2024q4",
            "debug": str(debug).lower(), "lifecycle_intent": intent}
    if git:
        tags["mlflow.source.git.commit"] = git
    return tags


def build_registry(model: str) -> None:
    """Seed ``.demo/mlflow.db`` through the real MLflow client (this writes: it is the demo)."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("MLFLOW_CONFIGURE_LOGGING", "false")
    import logging

    logging.getLogger("mlflow").setLevel(logging.ERROR)
    logging.getLogger("alembic").setLevel(logging.ERROR)
    from mlflow import MlflowClient
    from mlflow.entities import Dataset, DatasetInput

    shutil.rmtree(DEMO_DIR, ignore_errors=True)
    DEMO_DIR.mkdir()
    # the demo's own throwaway store, pinned on purpose
    client = MlflowClient(tracking_uri=URI, registry_uri=URI)  # trackcheck: ignore[TC171]
    artifacts = (DEMO_DIR / "artifacts").resolve().as_uri()
    exp = client.create_experiment(model, artifact_location=artifacts)
    client.create_registered_model(model, description="Churn classifier (trackcheck demo)",
                                   tags={"team": "ml-platform"})

    def version(tags: dict[str, str], digest: str | None, aliases: list[str]) -> int:
        run = client.create_run(exp, tags=tags, run_name="gbm").info.run_id
        client.log_param(run, "learning_rate", "0.05")
        if digest:
            ds = Dataset(name="churn-2024q4", digest=digest, source_type="dvc",
                         source='{"uri": "data/churn-2024q4.parquet.dvc"}')
            client.log_inputs(run, datasets=[DatasetInput(ds)])
        client.set_terminated(run, "FINISHED")
        mv = client.create_model_version(model, source=f"mlflow-artifacts:/{exp}/{run}/model",
                                         run_id=run, await_creation_for=0)
        for alias in aliases:
            client.set_registered_model_alias(model, alias, mv.version)
        return int(mv.version)

    sha = "3f2a9c0d5e7b41a8c6f90e2d4b1a7c3e5f608d9b"
    v1 = version(_tags(model, "prod", False, "staging", sha), "a41c9e07", ["archived"])
    with warnings.catch_warnings():  # stages are deprecated: exactly what TC203 is about
        warnings.simplefilter("ignore")
        # the demo plants a deprecated stage for the audit to find, hence the suppression
        stage = "Archived"
        client.transition_model_version_stage(model, str(v1), stage)  # trackcheck: ignore[TC133]
    version(_tags(model, "prod", False, "staging", sha), "b7d2e113", ["prod"])
    version(_tags(model, "dev", True, "dev", None), None, ["staging", "archived"])
    version(_tags(model, "dev", False, "dev", sha), "c90f4a52", ["dev"])


# a made-up Databricks token, assembled so that no scanner mistakes this file for a leak
_FAKE_TOKEN = "dapi" + "5f3a9c1e7b2d4068" * 2  # trackcheck: ignore[TC111] reason="made up"


def _write_leaky_config(model: str) -> str:
    """An mlflow group option written the way trackcheck exists to catch (under .demo/)."""
    path = Path(".demo/config/mlflow/leaky.yaml")
    path.parent.mkdir(parents=True, exist_ok=True)
    # a primary config with a defaults list makes .demo/config a Hydra config root of its own
    (path.parent.parent / "config.yaml").write_text(
        "defaults:\n  - mlflow: leaky\n  - _self_\n", "utf-8")
    path.write_text(
        # planted for the demo to find
        "tracking_uri: https://mlflow:s3cr3t-pw@mlflow.internal.example.com\n"  # noqa: E501  # trackcheck: ignore[TC103]
        f"registry_uri: ${{oc.env:MLFLOW_REGISTRY_URI,databricks-uc}}\n"
        f"databricks_token: ${{oc.env:DATABRICKS_TOKEN,{_FAKE_TOKEN}}}\n"
        "experiment_name: scratch\n"
        f"serving_model: models:/{model}/Production\n",
        "utf-8",
    )
    return str(path.parent.parent)


def _run(title: str, args: list[str]) -> int:
    print(f"\n$ trackcheck {' '.join(args)}    # {title}", flush=True)
    p = subprocess.run([sys.executable, "-m", "trackcheck", *args], text=True,
                       capture_output=True, env={**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"})
    sys.stdout.write(p.stdout)
    sys.stdout.write(p.stderr)
    print(f"(exit {p.returncode})", flush=True)
    return p.returncode


REPORT = DEMO_DIR / "report.html"
SCREENSHOT = DEMO_DIR / "report.png"


def _html_report(audit_args: list[str]) -> bool:
    """The audit as one HTML page (what a CI job would keep as an artifact)."""
    p = subprocess.run([sys.executable, "-m", "trackcheck", *audit_args, "--format", "html",
                        "--output", str(REPORT)], text=True, capture_output=True,
                       env={**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"})
    if p.returncode not in (0, 1) or not REPORT.is_file():
        sys.stdout.write(p.stderr)
        return False
    return True


def _screenshot() -> str:
    """A PNG of the report's first screen, by headless chromium; what happened, in words."""
    import tempfile

    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        return ("no screenshot: chromium is not installed (`make setup` installs Debian's "
                "chromium; or apt-get install chromium)")
    profile = tempfile.mkdtemp(prefix="trackcheck-demo-chromium-")
    try:
        subprocess.run(
            [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--hide-scrollbars", f"--user-data-dir={profile}", "--window-size=1280,1100",
             f"--screenshot={SCREENSHOT.resolve()}", REPORT.resolve().as_uri()],
            stdin=subprocess.DEVNULL, capture_output=True, timeout=90)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"no screenshot: chromium did not finish ({type(e).__name__})"
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    if not SCREENSHOT.is_file():
        return "no screenshot: chromium wrote none"
    return f"a picture of it: {SCREENSHOT}"


def _command() -> str:
    """How to start this trackcheck from the working directory in a fresh shell: the console
    script beside this interpreter (``.venv/bin/trackcheck``), relative when it is below."""
    script = Path(sys.executable).parent / "trackcheck"
    if not script.exists():
        return f"{sys.executable} -m trackcheck"
    try:
        return str(script.relative_to(Path.cwd()))
    except ValueError:
        return str(script)


def main() -> int:
    start = time.monotonic()
    config = Path("config")
    model = _model_name(config)
    print(f"trackcheck demo: building a throwaway registry in {DB} for model '{model}' ...",
          flush=True)
    try:
        build_registry(model)
    except ImportError:
        print("the demo needs MLflow: pip install 'trackcheck[registry]'", file=sys.stderr)
        return 3
    lint_args = ["lint", str(config)] if config.is_dir() else ["lint"]
    _run("the committed config, offline", lint_args)
    leaky = _write_leaky_config(model)
    _run("a leaky copy of the mlflow group: secrets are shown masked", ["lint", leaky])
    audit_args = ["audit", "--registry", "--tracking-uri", URI]
    if config.is_dir():
        audit_args += ["--config", str(config)]
    code = _run("the live registry, read-only", audit_args)
    page = _html_report(audit_args)
    picture = _screenshot() if page else ""
    print(f"\nDone in {time.monotonic() - start:.1f}s. The audit exits {code} on purpose: the demo "
          "registry was seeded with a clean prod lifecycle plus planted problems:")
    for rule, what in PLANTED:
        print(f"  {rule}  {what}")
    if page:
        print(f"The same audit as a page: {REPORT} (open it in a browser); {picture}")
    tc = _command()
    print(f"Explore (works as written, no venv to activate):\n  {tc} rules TC201\n"
          f"  {tc} audit --registry --tracking-uri {URI} --format json\n  {tc} lint -v\n"
          f"  {tc} audit --registry --tracking-uri {URI} --snapshot .demo/snapshot.json")

    return 0


if __name__ == "__main__":
    sys.exit(main())
