"""TC161 hydra-output-committed: Hydra run output by path and by content; the secret rules still
read it as plain YAML."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import codes, findings_for
from trackcheck.lint.discover import classify, discover, hydra_output
from trackcheck.lint.rules.tc161_hydra_output_committed import RULE
from trackcheck.policy import load_policy

RUN = "outputs/2024-05-01/12-00-00"
CONFIG = "mlflow:\n  experiment_name: churn\n"

FAIL_PATHS = [
    f"{RUN}/.hydra/config.yaml",
    f"{RUN}/.hydra/overrides.yaml",
    f"{RUN}/.hydra/hydra.yaml",
    "multirun/2024-05-01/12-00-00/3/.hydra/config.yaml",
    "multirun/2024-05-01/12-00-00/multirun.yaml",
    f"{RUN}/metrics.yaml",
    "experiments/exp1/outputs/2024-05-01/12-00-00/.hydra/config.yaml",
    ".hydra/config.yaml",  # a run with hydra.run.dir=.
    "mlruns/0/abc/artifacts/.hydra/config.yml",
]
PASS_PATHS = [
    "config/config.yaml",
    "config/hydra/job_logging/custom.yaml",  # Hydra's own config group: written by people
    "outputs/summary.yaml",  # not a dated run directory
    "docs/outputs.yaml",
    "config/multirun/sweep.yaml",
]


@pytest.mark.parametrize("rel", FAIL_PATHS)
def test_hydra_output_paths(rel: str) -> None:
    (f,) = findings_for("TC161", CONFIG, rel)
    assert (f.path, f.line, f.key) == (rel, None, "") and "Hydra run output" in f.message


@pytest.mark.parametrize("rel", PASS_PATHS)
def test_other_paths(rel: str) -> None:
    assert findings_for("TC161", CONFIG, rel) == []


def test_overrides_message_names_what_it_holds() -> None:
    (f,) = findings_for("TC161", "- data=small\n", f"{RUN}/.hydra/overrides.yaml")
    assert "command-line overrides" in f.message


def test_hydra_output_is_plain_yaml() -> None:
    """Secret rules run on it; interpolation rules (Hydra config only) do not."""
    policy = load_policy("default")[0]
    t = classify(f"{RUN}/.hydra/config.yaml", policy)
    assert t is not None and t.kind == "yaml"
    text = ("db:\n  password: Hunter2-Secret-99\n"
            "mlflow:\n  tracking_uri: https://mlflow.example.com\n  note: ${oc.env:FOO\n")
    assert codes(text, f"{RUN}/.hydra/config.yaml") == ["TC161", "TC111", "TC101"]


RUNTIME = """\
hydra:
  run:
    dir: outputs/${now:%Y-%m-%d}/${now:%H-%M-%S}
  runtime:
    version: 1.3.2
    cwd: /home/alice/project
    output_dir: /home/alice/project/outputs/2024-05-01/12-00-00
"""


def test_saved_hydra_yaml_by_content() -> None:
    (f,) = findings_for("TC161", RUNTIME, "config/hydra_backup.yaml")
    assert (f.line, f.column, f.key) == (4, 3, "hydra.runtime")
    assert findings_for("TC161", "hydra:\n  runtime: {}\n") == []
    assert findings_for("TC161", "hydra:\n  job:\n    chdir: true\n") == []


def test_one_finding_per_file_even_with_both_signs() -> None:
    assert len(findings_for("TC161", RUNTIME, f"{RUN}/.hydra/hydra.yaml")) == 1


def test_doc_examples() -> None:
    example, use_instead = RULE.first_yaml_block("Example"), RULE.first_yaml_block("Use instead")
    assert example and use_instead
    assert len(findings_for("TC161", example)) == 1
    assert findings_for("TC161", use_instead) == []


def test_discovery_walks_into_run_directories(tmp_path: Path) -> None:
    policy = load_policy("default")[0]
    for rel in (f"{RUN}/.hydra/config.yaml", f"{RUN}/.hydra/overrides.yaml", f"{RUN}/train.log",
                "config/config.yaml"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("a: 1\n")
    targets, _ = discover([str(tmp_path)], policy, tmp_path)
    kinds = {t.rel: t.kind for t in targets}
    assert kinds == {"config/config.yaml": "hydra", f"{RUN}/.hydra/config.yaml": "yaml",
                     f"{RUN}/.hydra/overrides.yaml": "yaml"}
    assert hydra_output(f"{RUN}/.hydra/config.yaml") and not hydra_output("config/config.yaml")


def test_git_ignored_output_is_a_local_run(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text("outputs/\n")
    rel = f"{RUN}/.hydra/overrides.yaml"
    assert findings_for("TC161", "- data=small\n", rel, root=tmp_path) == []
    tracked = "multirun/2024-05-01/00-00-00/.hydra/overrides.yaml"
    assert len(findings_for("TC161", "- data=small\n", tracked, root=tmp_path)) == 1
