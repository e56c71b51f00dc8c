"""Requests grow with pages and batches, never with versions; paging loses and repeats nothing."""

from __future__ import annotations

import math
from collections import Counter
from urllib.parse import urlsplit

import pytest
import requests

from tests.audit.conftest import Seeder
from trackcheck.audit.mlflow_source import MlflowSource, Pages

SMALL = Pages(models=2, versions=7, experiments=2, run_batch=3)


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """HTTP requests per endpoint (the last two path segments, e.g. ``runs/search``)."""
    seen: Counter[str] = Counter()
    original = requests.Session.send

    def send(self, request, **kw):  # type: ignore[no-untyped-def]
        seen["/".join(urlsplit(request.url).path.split("/")[-2:])] += 1
        return original(self, request, **kw)

    monkeypatch.setattr(requests.Session, "send", send)
    return seen


def _pages(n: int, size: int) -> tuple[int, int]:
    """Fewest and most requests a paged walk of ``n`` rows can take (a full last page may be
    followed by an empty one)."""
    return max(1, math.ceil(n / size)), n // size + 1


def test_small_pages_walk_everything_once(live_server, live_seed: Seeder,
                                          spy: Counter[str]) -> None:  # type: ignore[no-untyped-def]
    """On SQLite and PostgreSQL: versions come ordered by model name in the database's own
    collation, cut into one piece per model across page boundaries."""
    from mlflow.entities import ViewType

    seed, mlflow_server, mlflow_client = live_seed, live_server, live_seed.client

    names, aliased_runs = [], set()
    for m in range(5):
        name = seed.model()
        names.append(name)
        if m == 2:
            seed._experiment = None  # runs in a second experiment too
        for v in range(4):
            run = seed.run(tags={"env": "dev"})
            aliases = ["dev"] if v == 3 else ["staging"] if (v == 1 and m % 2) else []
            seed.version(name, run_id=run, aliases=aliases)
            if aliases:
                aliased_runs.add(run)

    spy.clear()
    snap = MlflowSource(mlflow_server.uri, pages=SMALL).snapshot()
    seen = Counter(spy)

    mine = [(v.model, v.version) for v in snap.versions if v.model in names]
    assert sorted(mine) == [(n, i) for n in names for i in range(1, 5)]  # none lost, none twice
    pieces = list(MlflowSource(mlflow_server.uri, pages=SMALL).pieces())
    assert [len(p.models) for p in pieces] == [1] * len(pieces)  # one model per piece ...
    assert sorted(n for p in pieces for n in p.models) == sorted(snap.models)  # ... each once
    for p in pieces:
        (name,) = p.models
        assert {v.model for v in p.versions} <= {name}
        assert set(p.runs) <= p.wanted_runs == {v.run_id for v in p.versions
                                                 if v.aliases and v.run_id}
    assert len(snap.versions) == len({(v.model, v.version) for v in snap.versions})
    assert aliased_runs <= set(snap.runs)
    experiments = len(mlflow_client.search_experiments(view_type=ViewType.ALL))
    lo, hi = _pages(len(snap.models), SMALL.models)
    assert lo <= seen["registered-models/search"] <= hi
    lo, hi = _pages(len(snap.versions), SMALL.versions)
    assert lo <= seen["model-versions/search"] <= hi
    lo, hi = _pages(experiments, SMALL.experiments)
    assert lo <= seen["experiments/search"] <= hi
    assert seen["runs/search"] == math.ceil(len(snap.wanted_runs) / SMALL.run_batch)
    assert snap.requests == sum(seen.values())
    assert set(seen) == {"registered-models/search", "model-versions/search",
                        "experiments/search", "runs/search"}


def test_hundreds_of_versions_take_a_handful_of_requests(mlflow_server, seed: Seeder,
                                                         spy: Counter[str]) -> None:  # type: ignore[no-untyped-def]
    names = [seed.model() for _ in range(3)]
    run = seed.run(tags={"env": "prod"}, dataset_digest="d1")
    for name in names:
        for i in range(80):
            seed.version(name, run_id=run if i % 40 == 0 else None,
                         aliases=["prod"] if i == 40 else [])
    spy.clear()

    snap = MlflowSource(mlflow_server.uri).snapshot()

    assert sum(1 for v in snap.versions if v.model in names) == 240
    assert len(snap.versions) >= 240
    # one page each of models, versions and experiments, one batch of runs
    assert snap.requests == sum(spy.values()) == 4, spy
    assert snap.requests * 50 < len(snap.versions)
