"""Config roots: from the policy, from Hydra entry points in code (read, never imported), from the
conventional names, and from folders whose primary config has a defaults list."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REPO
from trackcheck.lint.discover import discover
from trackcheck.lint.roots import find
from trackcheck.policy import Policy, load_policy, validate_policy

PRIMARY = "defaults:\n  - model: mlp\n  - _self_\n\nseed: 1\n"


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy("default")[0]


def tree(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def roots(policy: Policy, root: Path, *args: str) -> list[tuple[str, str]]:
    return [(r.path, r.how) for r in discover(list(args), policy, root).roots]


@pytest.mark.parametrize(("files", "expected"), [
    # lightning-hydra-template: the entry point one folder down, the configs beside it
    ({"src/train.py": 'import hydra\n\n@hydra.main(version_base="1.3", config_path="../configs",'
                      ' config_name="train.yaml")\ndef main(cfg): ...\n',
      "configs/train.yaml": "a: 1\n"},
     [("configs", "config_path in src/train.py:3")]),
    # Hydra's tutorial: the config next to the script, the whole folder is the root
    ({"my_app.py": 'from hydra import main\n\n@main(config_path=".", config_name="config")\n'
                   "def app(cfg): ...\n", "config.yaml": "db: {}\n"},
     [(".", "config_path in my_app.py:3")]),
    # the compose API in a notebook helper, relative to the calling file
    ({"nb/helpers.py": "from hydra import initialize, compose\n"
                       "with initialize(version_base=None, config_path='conf'):\n"
                       "    cfg = compose('config')\n", "nb/conf/config.yaml": "a: 1\n"},
     [("nb/conf", "config_path in nb/helpers.py:2")]),
    # several entry points, one root each, in source order of their files
    ({"a/train.py": "import hydra\n@hydra.main(config_path='conf')\ndef m(c): ...\n",
      "a/conf/x.yaml": "a: 1\n",
      "b/eval.py": "import hydra\n@hydra.main(config_path='../a/conf')\ndef m(c): ...\n"},
     [("a/conf", "config_path in a/train.py:2")]),
])
def test_roots_from_code(tmp_path: Path, policy: Policy, files: dict[str, str],
                         expected: list[tuple[str, str]]) -> None:
    tree(tmp_path, files)
    assert roots(policy, tmp_path, str(tmp_path)) == expected


@pytest.mark.parametrize("source", [
    "import app\n@app.main(config_path='conf')\ndef m(c): ...\n",  # not Hydra's main
    "import hydra\n@hydra.main(config_path=None)\ndef m(c): ...\n",  # no config dir
    "import hydra\n@hydra.main(config_path=CONF)\ndef m(c): ...\n",  # not a literal
    "import hydra\n@hydra.main(config_path='missing')\ndef m(c): ...\n",  # no such folder
    "import hydra\n@hydra.main(config_path='../../outside')\ndef m(c): ...\n",  # out of the repo
    "from hydra import initialize_config_dir\ninitialize_config_dir(config_dir='/etc')\n",
    "import hydra\n@hydra.main(config_path='pkg://my_pkg.conf')\ndef m(c): ...\n",
    "import hydra\n@hydra.main(config_path='conf'\n",  # does not parse: nothing, no error
])
def test_code_that_names_no_root_falls_back_to_conventional_names(
        tmp_path: Path, policy: Policy, source: str) -> None:
    tree(tmp_path, {"src/train.py": source, "src/conf/x.yaml": "a: 1\n",
                    "configs/train.yaml": "a: 1\n"})
    assert roots(policy, tmp_path, str(tmp_path)) == [("configs", "conventional name")]


def test_an_absolute_config_dir_inside_the_repository(tmp_path: Path, policy: Policy) -> None:
    tree(tmp_path, {"run.py": "from hydra import initialize_config_dir\n"
                              f"initialize_config_dir(config_dir='{tmp_path}/settings')\n",
                    "settings/main.yaml": "a: 1\n"})
    assert roots(policy, tmp_path, str(tmp_path)) == [("settings", "config_path in run.py:2")]


def test_conventional_names_then_defaults_lists(tmp_path: Path, policy: Policy) -> None:
    tree(tmp_path, {
        "conf/config.yaml": PRIMARY,
        "conf/experiment/big.yaml": "defaults:\n  - override /model: big\n",  # inside a root
        "projects/vision/cfg/main.yaml": "# primary\ndefaults: [model: resnet, _self_]\n",
        "projects/vision/cfg/model/resnet.yaml": "depth: 50\n",
        "exp/one.yaml": "defaults:\n  - override /model: big\n",  # an option, not a primary
        ".github/workflows/ci.yml": "defaults:\n  run:\n    shell: bash\n",  # not a list
        "ops/values.yaml": "replicas: 2\n",
    })
    assert roots(policy, tmp_path, str(tmp_path)) == [
        ("conf", "conventional name"),
        ("projects/vision/cfg", "Hydra defaults list in projects/vision/cfg/main.yaml"),
    ]


def test_files_under_a_found_root_are_hydra_config_with_its_groups(
        tmp_path: Path, policy: Policy, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    tree(tmp_path, {"projects/vision/cfg/main.yaml": PRIMARY,
                    "projects/vision/cfg/mlflow/default.yaml": "tracking_uri: null\n",
                    "projects/vision/deploy.yaml": "a: 1\n"})
    run = discover([], policy, tmp_path)
    assert {t.rel: t.kind for t in run.targets} == {
        "projects/vision/cfg/main.yaml": "hydra",
        "projects/vision/cfg/mlflow/default.yaml": "hydra",
        "projects/vision/deploy.yaml": "yaml",
    }
    assert run.policy.root_of("projects/vision/cfg/mlflow/default.yaml") == "projects/vision/cfg"
    from trackcheck.lint.runner import load

    doc = load(run.targets[1], run.policy)
    assert doc.package == "mlflow"  # its group, relative to the root that holds it


def test_the_policy_names_the_roots(tmp_path: Path) -> None:
    tree(tmp_path, {"train.py": "import hydra\n@hydra.main(config_path='conf')\ndef m(c): ...\n",
                    "conf/a.yaml": PRIMARY, "settings/b.yaml": "a: 1\n"})
    p = validate_policy({"config_roots": ["settings"]})
    assert roots(p, tmp_path, str(tmp_path)) == [("settings", "policy (config_roots)")]


def test_explicit_files_find_the_root_among_their_ancestors(tmp_path: Path,
                                                            policy: Policy) -> None:
    tree(tmp_path, {"projects/vision/cfg/main.yaml": PRIMARY,
                    "projects/vision/cfg/db/mysql.yaml": "user: app\n",
                    "src/train.py": "import hydra\n@hydra.main(config_path='../projects')\n"})
    # pre-commit passes files: no repository-wide code scan, the ancestors are looked at
    assert roots(policy, tmp_path, str(tmp_path / "projects/vision/cfg/db/mysql.yaml")) == [
        ("projects/vision/cfg", "Hydra defaults list in projects/vision/cfg/main.yaml")]


# --- both ways agree on example trees --------------------------------------------------------
LIGHTNING = {
    "src/train.py": "import hydra\n@hydra.main(version_base='1.3', config_path='../configs', "
                    "config_name='train.yaml')\ndef main(cfg): ...\n",
    "configs/train.yaml": "defaults:\n  - _self_\n  - data: mnist\n  - logger: null\n",
    "configs/data/mnist.yaml": "batch_size: 64\n",
    "configs/logger/mlflow.yaml": "mlflow:\n  tracking_uri: ${oc.env:MLFLOW_TRACKING_URI}\n",
    "configs/experiment/example.yaml":
        "# @package _global_\ndefaults:\n  - override /data: mnist\n",
    "configs/hydra/default.yaml": "defaults:\n  - override hydra_logging: colorlog\n",
    "docker-compose.yml": "services:\n  mlflow:\n    image: mlflow\n",
}


@pytest.mark.parametrize("example", ["lightning", "this repository"])
def test_no_arguments_and_pre_commit_files_agree(example: str, tmp_path: Path,
                                                 policy: Policy) -> None:
    if example == "lightning":
        tree(tmp_path, LIGHTNING)
        base = tmp_path
    else:
        base = REPO
    whole = discover([str(base)], policy, base)
    yaml = [t for t in whole.targets if t.rel.endswith((".yaml", ".yml"))]
    assert yaml
    for t in yaml:
        alone = discover([str(t.path)], policy, base)
        (one,) = alone.targets
        assert (one.kind, alone.policy.root_of(one.rel)) == \
            (t.kind, whole.policy.root_of(t.rel)), t.rel


def test_find_is_cheap_on_python_without_hydra(tmp_path: Path) -> None:
    # files that never name hydra are not parsed: a syntax error there costs nothing, says nothing
    tree(tmp_path, {"a.py": "def broken(:\n", "conf/x.yaml": "a: 1\n"})
    assert [r.path for r in find([], ["a.py", "conf/x.yaml"], tmp_path, scan_code=True)] == \
        ["conf"]
