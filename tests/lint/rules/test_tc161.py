"""TC161 hydra-output-committed: one finding per committed Hydra run directory, on a file chosen
the same way in every run; saved runtime sections anywhere; the secret rules still read run
output as plain YAML."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import codes, findings_for
from trackcheck.cli import main
from trackcheck.lint.discover import classify, discover, hydra_output
from trackcheck.lint.rules.tc161_hydra_output_committed import RULE
from trackcheck.policy import load_policy

RUN = "outputs/2024-05-01/12-00-00"
HYDRA_FILES = {"config.yaml": "mlflow:\n  experiment_name: churn\n",
               "overrides.yaml": "- data=small\n",
               "hydra.yaml": "hydra:\n  runtime:\n    output_dir: /home/alice/run\n"}


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, "utf-8")


def run_dir(root: Path, run: str, names: tuple[str, ...] = tuple(HYDRA_FILES)) -> None:
    write(root, {f"{run}/.hydra/{n}" if run != "." else f".hydra/{n}": HYDRA_FILES.get(n, "a: 1\n")
                 for n in names})


def lint_json(root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
              *args: str) -> list[dict[str, object]]:
    """The TC161 findings of ``trackcheck lint --format json ARGS`` run from ``root``."""
    monkeypatch.chdir(root)
    capsys.readouterr()
    rc = main(["lint", "--format", "json", "--select", "TC161", *args])
    out = json.loads(capsys.readouterr().out)
    assert rc == (1 if out["findings"] else 0)
    return [f for f in out["findings"] if f["rule"] == "TC161"]


def git_init(root: Path, ignore: str = "") -> None:
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    if ignore:
        (root / ".gitignore").write_text(ignore)


# run directory -> what the advice tells to add to .gitignore
FAIL_RUNS = [
    (RUN, "outputs/"),
    ("multirun/2024-05-01/12-00-00/3", "multirun/"),
    ("logs/runs/2024-05-01", "logs/runs/"),
    ("logs/train/runs/2024-01-01_12-00-00", "logs/train/runs/"),  # lightning-hydra-template
    ("logs/train/multiruns/2024-01-01_12-00-00/0", "logs/train/multiruns/"),
    ("experiments/exp1/outputs/2024-05-01/12-00-00", "experiments/exp1/outputs/"),
    ("experiments/baseline", "experiments/baseline/"),  # hydra.run.dir=experiments/baseline
    (".", ".hydra/"),  # hydra.run.dir=.
]


@pytest.mark.parametrize(("run", "advice"), FAIL_RUNS)
def test_one_finding_per_run_directory(run: str, advice: str, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    run_dir(tmp_path, run)
    write(tmp_path, {f"{run}/metrics.yaml": "loss: 0.1\n"})  # the run's own output: no 2nd finding
    (f,) = lint_json(tmp_path, monkeypatch, capsys, ".")
    carrier = f"{run}/.hydra/config.yaml" if run != "." else ".hydra/config.yaml"
    assert (f["path"], f["line"], f["key"]) == (carrier, None, "")
    assert f"'{run}/'" in str(f["message"]) and f"add '{advice}' to .gitignore" in str(f["message"])


# files present in .hydra/ -> the one that carries the finding
CARRIERS = [
    (("config.yaml", "overrides.yaml", "hydra.yaml"), "config.yaml"),
    (("overrides.yaml", "hydra.yaml"), "hydra.yaml"),
    (("overrides.yaml",), "overrides.yaml"),
    (("overrides.yaml", "config.yml"), "config.yml"),
]


@pytest.mark.parametrize(("names", "carrier"), CARRIERS)
def test_carrier_is_config_yaml_else_first_sorted(names: tuple[str, ...], carrier: str,
                                                   tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    run_dir(tmp_path, RUN, names)
    (f,) = lint_json(tmp_path, monkeypatch, capsys, "outputs")
    assert f["path"] == f"{RUN}/.hydra/{carrier}"


def test_pre_commit_with_some_files_of_a_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """Reported when the carrying file is passed; otherwise the full lint reports it."""
    run_dir(tmp_path, RUN)
    hydra = f"{RUN}/.hydra"
    assert lint_json(tmp_path, monkeypatch, capsys, f"{hydra}/overrides.yaml",
                     f"{hydra}/hydra.yaml") == []
    (f,) = lint_json(tmp_path, monkeypatch, capsys, f"{hydra}/hydra.yaml", f"{hydra}/config.yaml")
    assert f["path"] == f"{hydra}/config.yaml"


def test_cli_two_run_directories_of_three_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    git_init(tmp_path)
    run_dir(tmp_path, RUN)
    run_dir(tmp_path, "logs/train/runs/2024-01-01_12-00-00")
    subprocess.run(["git", "add", "-A"], cwd=tmp_path, check=True)
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    assert main(["lint", "--format", "json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["summary"]["files"] == 6
    assert sorted(f["path"] for f in out["findings"] if f["rule"] == "TC161") == [
        "logs/train/runs/2024-01-01_12-00-00/.hydra/config.yaml", f"{RUN}/.hydra/config.yaml"]


def test_git_ignored_run_is_a_local_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    git_init(tmp_path, "outputs/\n")
    run_dir(tmp_path, RUN)
    run_dir(tmp_path, "multirun/2024-05-01/00-00-00/0")
    found = lint_json(tmp_path, monkeypatch, capsys, f"{RUN}/.hydra/config.yaml",
                      "multirun/2024-05-01/00-00-00/0/.hydra/config.yaml")
    assert [f["path"] for f in found] == ["multirun/2024-05-01/00-00-00/0/.hydra/config.yaml"]


def test_a_git_ignored_file_passes_the_finding_on(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    git_init(tmp_path, "**/.hydra/config.yaml\n")
    run_dir(tmp_path, RUN)
    (f,) = lint_json(tmp_path, monkeypatch, capsys, f"{RUN}/.hydra/config.yaml",
                     f"{RUN}/.hydra/hydra.yaml", f"{RUN}/.hydra/overrides.yaml")
    assert f["path"] == f"{RUN}/.hydra/hydra.yaml"


def test_a_tracked_file_git_would_ignore_is_committed(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    git_init(tmp_path)
    run_dir(tmp_path, RUN)
    subprocess.run(["git", "add", "-A"], cwd=tmp_path, check=True)
    (tmp_path / ".gitignore").write_text("outputs/\n")  # ignored later: still in the index
    (f,) = lint_json(tmp_path, monkeypatch, capsys, f"{RUN}/.hydra/config.yaml")
    assert f["path"] == f"{RUN}/.hydra/config.yaml"


def test_sweep_file_names_the_sweep_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    sweep = "multirun/2024-05-01/12-00-00"
    write(tmp_path, {f"{sweep}/multirun.yaml": "hydra:\n  mode: MULTIRUN\n"})
    run_dir(tmp_path, f"{sweep}/0")
    run_dir(tmp_path, f"{sweep}/1")
    found = lint_json(tmp_path, monkeypatch, capsys, "multirun")
    assert [f["path"] for f in found] == [f"{sweep}/0/.hydra/config.yaml",
                                          f"{sweep}/1/.hydra/config.yaml",
                                          f"{sweep}/multirun.yaml"]
    assert f"sweep directory '{sweep}/'" in str(found[2]["message"])
    assert "add 'multirun/' to .gitignore" in str(found[2]["message"])


def test_sweep_file_in_the_working_directory() -> None:
    (f,) = findings_for("TC161", "hydra:\n  mode: MULTIRUN\n", "multirun.yaml")
    assert "sweep directory './'" in f.message and "add 'multirun.yaml' to" in f.message


# (files written, lint argument): nothing of this is a committed run
PASS_TREES = [
    ({"config/config.yaml": "defaults:\n  - _self_\n"}, "config"),
    ({"config/hydra/job_logging/custom.yaml": "version: 1\n"}, "config"),  # Hydra's own group
    ({"outputs/summary.yaml": "a: 1\n"}, "outputs"),
    ({"docs/outputs.yaml": "a: 1\n"}, "docs"),
    ({"config/multirun/sweep.yaml": "a: 1\n"}, "config"),
    # a dated folder without the .hydra/ Hydra saves is not recognised as a run (output_subdir=null)
    ({f"{RUN}/metrics.yaml": "loss: 0.1\n"}, "outputs"),
    # a .hydra/ without YAML in it
    ({f"{RUN}/.hydra/notes.txt": "x\n", f"{RUN}/metrics.yaml": "loss: 0.1\n"}, "outputs"),
    # a conda recipe's meta.yaml
    ({"recipe/meta.yaml": "package:\n  name: x\nrequirements:\n  run: [python]\n"}, "recipe"),
]


@pytest.mark.parametrize(("files", "arg"), PASS_TREES)
def test_not_a_run_directory(files: dict[str, str], arg: str, tmp_path: Path,
                             monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, files)
    assert lint_json(tmp_path, monkeypatch, capsys, arg) == []


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
    assert "Hydra's runtime section" in f.message
    assert findings_for("TC161", "hydra:\n  runtime: {}\n") == []
    assert findings_for("TC161", "hydra:\n  job:\n    chdir: true\n") == []


def test_runtime_section_inside_a_run_directory_is_not_reported_twice(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    run_dir(tmp_path, "logs/runs/2024-05-01")
    write(tmp_path, {"logs/runs/2024-05-01/backup/hydra.yaml": RUNTIME})
    (f,) = lint_json(tmp_path, monkeypatch, capsys, "logs")
    assert f["path"] == "logs/runs/2024-05-01/.hydra/config.yaml"


def test_run_output_is_plain_yaml() -> None:
    """Secret rules run on it; interpolation rules (Hydra config only) do not."""
    policy = load_policy("default")[0]
    for rel in (f"{RUN}/.hydra/config.yaml", "logs/train/runs/2024-01-01_12-00-00/csv/hp.yaml",
                "logs/runs/2024-05-01/.hydra/overrides.yaml"):
        t = classify(rel, policy)
        assert t is not None and t.kind == "yaml" and hydra_output(rel), rel
    assert not hydra_output("config/config.yaml") and not hydra_output("runs/2024-05-01.yaml")
    text = "db:\n  password: Hunter2-Secret-99\nnote: ${oc.env:FOO\n"
    assert codes(text, f"{RUN}/.hydra/config.yaml") == ["TC161", "TC111"]


def test_doc_examples() -> None:
    example, use_instead = RULE.first_yaml_block("Example"), RULE.first_yaml_block("Use instead")
    assert example and use_instead
    assert len(findings_for("TC161", example)) == 1
    assert findings_for("TC161", use_instead) == []


def test_discovery_walks_into_run_directories(tmp_path: Path) -> None:
    policy = load_policy("default")[0]
    write(tmp_path, {f"{RUN}/.hydra/config.yaml": "a: 1\n", f"{RUN}/.hydra/overrides.yaml": "[]\n",
                     f"{RUN}/train.log": "x\n", "config/config.yaml": "a: 1\n"})
    kinds = {t.rel: t.kind for t in discover([str(tmp_path)], policy, tmp_path).targets}
    assert kinds == {"config/config.yaml": "hydra", f"{RUN}/.hydra/config.yaml": "yaml",
                     f"{RUN}/.hydra/overrides.yaml": "yaml"}
