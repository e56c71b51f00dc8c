"""The guard wrapped around MLflow's own SQL registry store, in process: a write it cannot
judge is refused and changes nothing; reads never depend on the guard."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from mlflow.exceptions import MlflowException
from mlflow.store.model_registry.sqlalchemy_store import SqlAlchemyStore as RegistryStore
from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore as TrackingStore

from trackcheck.guard.ledger import Ledger
from trackcheck.guard.store import Guard, install
from trackcheck.policy import load_policy


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any, Path]:
    root = tmp_path_factory.mktemp("guard-store")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    tracking = TrackingStore(uri, str(root / "artifacts"))
    return RegistryStore(uri), tracking, root


@pytest.fixture
def guarded(stores: tuple[Any, Any, Path], tmp_path: Path) -> tuple[Any, Guard]:
    registry, tracking, root = stores
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    guard = Guard(load_policy("default")[0], ledger, registry, lambda: tracking,
                  lambda: "tester")
    return install(registry, guard), guard


def test_install_keeps_the_store_what_it_was(guarded: tuple[Any, Guard]) -> None:
    store, guard = guarded
    assert isinstance(store, RegistryStore)
    assert type(store).__name__ == "GuardedSqlAlchemyStore"
    install(store, guard)  # twice: still one layer
    assert type(store).__mro__[1].__name__ == "GuardedStore"
    assert type(store).__mro__[2] is RegistryStore


def test_a_broken_ledger_refuses_writes_and_leaves_reads_alone(guarded: tuple[Any, Guard],
                                                              tmp_path: Path) -> None:
    store, guard = guarded
    store.create_registered_model("churn-broken")
    assert [e.action for e in guard.ledger.read()] == ["create_model"]
    assert guard.ledger.read()[0].actor == "tester"
    guard.ledger.engine = sa.create_engine(f"sqlite:///{tmp_path / 'gone' / 'ledger.db'}")
    with pytest.raises(MlflowException) as info:
        store.set_registered_model_tag("churn-broken", _Tag("team", "ml"))
    assert info.value.error_code == "PERMISSION_DENIED"
    assert "ledger" in str(info.value)
    assert store.get_registered_model("churn-broken").tags == {}  # nothing changed
    assert store.search_registered_models(filter_string="name='churn-broken'")  # reads work


def test_a_guard_failure_refuses_the_write(guarded: tuple[Any, Guard]) -> None:
    store, guard = guarded
    store.create_registered_model("churn-fail")

    def broken(*_: Any) -> None:
        raise RuntimeError("a bug in the guard")

    guard.add_runs = broken  # type: ignore[method-assign]
    with pytest.raises(MlflowException) as info:
        store.set_registered_model_tag("churn-fail", _Tag("team", "ml"))
    assert "could not judge" in str(info.value) and "RuntimeError" in str(info.value)
    assert store.get_registered_model("churn-fail").tags == {}


def test_prompts_pass_untouched(guarded: tuple[Any, Guard]) -> None:
    store, guard = guarded
    store.create_registered_model("a-prompt", tags=[_Tag("mlflow.prompt.is_prompt", "true")])
    store.set_registered_model_alias  # noqa: B018 - the prompt has no version to alias here
    assert all(e.model != "a-prompt" for e in guard.ledger.read())


class _Tag:
    def __init__(self, key: str, value: str):
        self.key, self.value = key, value
