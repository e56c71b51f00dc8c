"""A composition by trackcheck's session is the config a plain ``hydra.compose`` gives, whatever
trackcheck reuses across the compositions of a run (parsed files, merged prefixes)."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path
from typing import Any

import pytest

from trackcheck.lint import compose
from trackcheck.policy import load_policy

FILES = {
    # ``_self_`` between two groups: model/a's keys give way to the primary's, optimizer's do not
    "config.yaml": """\
        defaults:
          - model: a
          - _self_
          - optimizer@model.optim: adam
          - data: ${model}
          - mlflow: default
        model:
          name: from-primary
          optim:
            lr: 0.5
        seed: 1
        """,
    "model/a.yaml": "name: a\nlr: 0.01\nlayers: [1, 2]\n",
    "model/b.yaml": "defaults:\n  - /activation: relu\n  - _self_\nname: b\nlr: ???\n",
    "optimizer/adam.yaml": "name: adam\nlr: 0.001\nbetas: [0.9, 0.999]\n",
    "optimizer/sgd.yaml": "name: sgd\nlr: 0.1\nmomentum: 0.9\n",
    "activation/relu.yaml": "fn: relu\n",
    "data/a.yaml": "rows: 1\nsource: ${model.name}\n",
    "data/b.yaml": "rows: 2\n",
    "mlflow/default.yaml": """\
        tracking_uri: ${oc.env:MLFLOW_TRACKING_URI}
        experiment_name: base
        run_name: ???
        tags:
          owner: ml
        """,
    # an experiment: global package, default-list overrides of a group and a placed group
    "experiment/big.yaml": """\
        # @package _global_
        defaults:
          - override /model: b
          - override /optimizer@model.optim: sgd
        model:
          lr: 0.5
        mlflow:
          run_name: big-run
          tags:
            size: big
        seed: 7
        """,
    "experiment/small.yaml": "# @package _global_\nseed: 3\nmlflow:\n  run_name: small\n",
}

SETS: list[tuple[str, ...]] = [
    (),
    ("model=b",),
    ("optimizer@model.optim=sgd",),
    ("data=b",),
    ("+experiment=big",),
    ("+experiment=small",),
    ("+experiment=big", "model.lr=0.9"),
    ("mlflow.run_name=r",),
    ("~data",),
    ("hydra/job_logging=disabled",),
    ("model=b", "optimizer@model.optim=sgd"),
    (),
]


# a config merged twice (shared@_global_ from the primary and from model/a): Hydra merges the same
# loaded object both times, so what ``other`` changed in the nodes the first merge moved comes
# back with the second (``nested.y`` stays 2, ``x`` goes back to 1)
TWICE = {
    "config.yaml": "defaults:\n  - _self_\n  - shared\n  - other\n  - model: a\nseed: 1\n",
    "shared.yaml": "x: 1\nnested:\n  y: 1\n",
    "other.yaml": "x: 2\nnested:\n  y: 2\n",
    "model/a.yaml": "defaults:\n  - /shared@_global_\n  - _self_\nname: a\n",
    "model/b.yaml": "name: b\n",
}
# the last composition shares its prefix with the snapshots model=b left: it must not use them
TWICE_SETS: list[tuple[str, ...]] = [(), ("model=b",), ("model=b", "seed=2"), ()]


def write(tmp_path: Path, files: dict[str, str]) -> str:
    for rel, text in files.items():
        (tmp_path / "config" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "config" / rel).write_text(textwrap.dedent(text), "utf-8")
    return str(tmp_path / "config")


@pytest.fixture(scope="module")
def composed(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, list[tuple[object, ...]]]:
    """The test tree, and each composition of ``SETS`` by Hydra alone (run in the tree's
    folder, as the session's are: Hydra records the working directory)."""
    root = tmp_path_factory.mktemp("fidelity")
    conf, cwd = write(root, FILES), os.getcwd()
    os.chdir(root)
    try:
        return conf, plain(conf, SETS)
    finally:
        os.chdir(cwd)


@pytest.fixture
def conf(composed: tuple[str, list[tuple[object, ...]]], monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(Path(composed[0]).parent)
    return composed[0]


def shown(cfg: Any) -> tuple[object, ...]:
    """All of a composed config that a reader can tell apart: its content unresolved (the
    ``hydra`` node included), key order, node types and the flags set on every node."""
    from omegaconf import OmegaConf

    def flags(node: Any, at: str = "") -> list[tuple[str, str, dict[str, bool]]]:
        out = [(at, type(node).__name__, dict(node._metadata.flags))]
        if OmegaConf.is_dict(node) and not node._is_none() and not node._is_missing():
            for k in node.keys():
                out += flags(node._get_node(k), f"{at}.{k}")
        elif OmegaConf.is_list(node) and not node._is_none() and not node._is_missing():
            for i in range(len(node)):
                out += flags(node._get_node(i), f"{at}[{i}]")
        return out

    return (OmegaConf.to_yaml(cfg, resolve=False), OmegaConf.to_container(cfg, resolve=False),
            flags(cfg), OmegaConf.get_type(cfg.hydra))


def plain(conf: str, sets: list[tuple[str, ...]]) -> list[tuple[object, ...]]:
    """Each composition of ``sets`` by Hydra alone: all of it, and what the checks are given
    (the config without its hydra node, unresolved, and the group choices)."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from omegaconf import OmegaConf

    out = []
    with initialize_config_dir(version_base=None, config_dir=conf, job_name="trackcheck"):
        for s in sets:
            cfg = hydra_compose(config_name="config", overrides=list(s), return_hydra_config=True)
            whole = OmegaConf.to_container(cfg, resolve=False)
            assert isinstance(whole, dict)
            hydra = whole.pop("hydra")
            out.append((shown(cfg), whole, hydra["runtime"]["choices"]))
    return out


def by_session(conf: str, sets: list[tuple[str, ...]], monkeypatch: pytest.MonkeyPatch
               ) -> tuple[list[tuple[object, ...]], Any]:
    """Each composition of ``sets`` by one trackcheck session, as ``plain`` gives them, and the
    session's merge reuse (None when off)."""
    from trackcheck.lint.compose.session import Session

    got: list[Any] = []
    with Session(conf, load_policy("default")[0], {}, Path.cwd()) as session:
        whole = session.hydra_config

        def seen(*a: Any) -> Any:
            cfg = whole(*a)
            got.append(shown(cfg))
            return cfg

        monkeypatch.setattr(session, "hydra_config", seen)
        for s in sets:
            root, choices = session.compose("config", s)
            got[-1] = (got[-1], root, choices)
    return got, session.merges


@pytest.mark.parametrize("reuse", [True, False])
def test_every_composition_is_what_hydra_compose_gives(
        conf: str, composed: tuple[str, list[tuple[object, ...]]], reuse: bool,
        monkeypatch: pytest.MonkeyPatch) -> None:
    expected = composed[1]
    monkeypatch.setattr(compose, "REUSE_WORK", reuse)
    got, merges = by_session(conf, SETS, monkeypatch)
    assert got == expected
    root, choices = got[4][1:]  # +experiment=big
    # ``_self_`` after model, before optimizer: the primary's name stands, sgd's rate does
    assert root["model"] == {"name": "from-primary", "lr": 0.5, "activation": {"fn": "relu"},
                             "optim": {"name": "sgd", "lr": 0.1, "momentum": 0.9}}
    assert root["seed"] == 7 and root["mlflow"]["tags"] == {"owner": "ml", "size": "big"}
    assert choices["model"] == "b" and choices["optimizer@model.optim"] == "sgd"
    assert choices["data"] == "b" and choices["experiment"] == "big"
    if reuse:  # the prefixes were reused, not merged again: what this test is about
        assert merges is not None and merges.restored > merges.merged > 0
    else:
        assert merges is None


def test_a_config_merged_twice_is_composed_as_hydra_does(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    conf = write(tmp_path, TWICE)
    expected = plain(conf, TWICE_SETS)
    assert expected[0][1] == {"seed": 1, "x": 1, "nested": {"y": 2}, "model": {"name": "a"}}
    assert expected[1][1] == {"seed": 1, "x": 2, "nested": {"y": 2}, "model": {"name": "b"}}
    got, merges = by_session(conf, TWICE_SETS, monkeypatch)
    assert got == expected
    assert merges is not None and merges.restored > 0  # model=b merges shared once: reused


def test_the_merge_order_blamed_is_hydras_with_prefixes_reused(
        conf: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from trackcheck.lint.compose.session import Session

    orders = {}
    for reuse in (False, True):
        monkeypatch.setattr(compose, "REUSE_WORK", reuse)
        with Session(conf, load_policy("default")[0], {}, Path.cwd()) as session:
            seen = []
            for s in SETS:
                session.compose("config", s)
                seen.append([(Path(d.path).name, pkg) for pkg, d in session.merge_list()])
            orders[reuse] = seen
    assert orders[True] == orders[False]
    # +experiment=big: its overrides take effect in place, its own keys merge last
    assert orders[True][4] == [
        ("relu.yaml", ("model", "activation")), ("b.yaml", ("model",)), ("config.yaml", ()),
        ("sgd.yaml", ("model", "optim")), ("b.yaml", ("data",)), ("default.yaml", ("mlflow",)),
        ("big.yaml", ())]


def test_a_single_composition_keeps_nothing_for_later_ones(
        conf: str, composed: tuple[str, list[tuple[object, ...]]]) -> None:
    from trackcheck.lint.compose.session import Session

    with Session(conf, load_policy("default")[0], {}, Path.cwd()) as session:
        session.more = False  # what compositions.run says when no composition follows
        assert session.compose("config", SETS[1]) == composed[1][1][1:]
        merges, kept = session.merges, session.kept
        assert merges is not None and kept is not None
        assert (merges.snapshots, merges.singles, kept.kept) == ({}, {}, {})
        session.more = True
        assert session.compose("config", SETS[2]) == composed[1][2][1:]
        assert merges.snapshots and merges.singles and kept.kept
