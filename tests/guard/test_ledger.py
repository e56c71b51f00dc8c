"""The ledger on a real SQLite file: the per-model lock, history across renames, adoption."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from trackcheck.guard.ledger import Ledger, LedgerError, LockTimeout, locks


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    return Ledger(f"sqlite:///{tmp_path / 'ledger.db'}")


def test_the_lock_serialises_writes_to_one_model(ledger: Ledger) -> None:
    order: list[str] = []

    def hold(name: str, tag: str) -> None:
        with ledger.lock([name], timeout=10):
            order.append(f"{tag}+")
            time.sleep(0.2)
            order.append(f"{tag}-")

    threads = [threading.Thread(target=hold, args=("churn", t)) for t in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert order in (["a+", "a-", "b+", "b-"], ["b+", "b-", "a+", "a-"])


def test_a_held_lock_times_out_and_another_model_does_not_wait(ledger: Ledger,
                                                               tmp_path: Path) -> None:
    other = Ledger(ledger.uri)  # another worker
    with ledger.lock(["churn"], timeout=1):
        with pytest.raises(LockTimeout, match="another write to model 'churn'"):
            with other.lock(["churn"], timeout=0.3):
                pass
        with other.lock(["fraud"], timeout=0.3):
            pass
    with other.lock(["churn"], timeout=0.3):  # released on exit
        pass


def test_a_stale_lock_of_a_dead_worker_is_taken_over(ledger: Ledger) -> None:
    with ledger.engine.begin() as c:
        c.execute(locks.insert().values(name="churn", holder="dead", since=time.time() - 3600))
    with ledger.lock(["churn"], timeout=2):
        pass


def test_history_follows_renames_and_only_counts_what_happened(ledger: Ledger) -> None:
    ledger.append(model="old", action="set_alias", alias="staging", to_version=3,
                  verdict="allowed", outcome="ok")
    ledger.append(model="old", action="set_alias", alias="staging", to_version=4,
                  verdict="denied", outcome="refused")
    ledger.append(model="old", action="rename_model", new_name="new", verdict="allowed",
                  outcome="ok")
    assert ledger.held("new", 3, ["staging"])
    assert not ledger.held("new", 4, ["staging"])
    assert not ledger.held("other", 3, ["staging"])
    assert [e.model for e in ledger.read(model="new")] == ["old"]  # the rename row


def test_adoption_happens_once(ledger: Ledger) -> None:
    assert not ledger.adopted()
    assert ledger.adopt({"churn": {"prod": 3}}, actor="guard") == 1
    assert ledger.adopted() and ledger.held("churn", 3, ["prod"])
    entries = ledger.read()
    assert [(e.model, e.alias, e.verdict) for e in entries] == [
        ("churn", "prod", "adopted"), ("*", None, "adopted")]
    assert entries[0].aliases_after == {"prod": 3}


def test_reading_pages_and_filters(ledger: Ledger) -> None:
    for i in range(5):
        ledger.append(model="m", action="set_alias", alias="dev" if i % 2 else "prod",
                      to_version=i, verdict="allowed", outcome="ok", time=1000.0 + i)
    first = ledger.read(limit=2)
    rest = ledger.read(after_id=first[-1].id, limit=10)
    assert [e.to_version for e in first + rest] == [0, 1, 2, 3, 4]
    assert [e.to_version for e in ledger.read(alias="dev")] == [1, 3]
    assert [e.to_version for e in ledger.read(since=1003.0)] == [3, 4]


def test_an_unreachable_ledger_is_a_ledger_error(tmp_path: Path) -> None:
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    ledger.engine = sa.create_engine(f"sqlite:///{tmp_path / 'gone' / 'ledger.db'}")
    with pytest.raises(LedgerError, match="cannot write the ledger"):
        ledger.append(model="m", action="set_alias", verdict="allowed")
    with pytest.raises(LedgerError, match="cannot lock model 'm' in the ledger"):
        with ledger.lock(["m"], timeout=1):
            pass
    with pytest.raises(LedgerError, match="cannot open the ledger database"):
        Ledger("postgresql://127.0.0.1:1/nothing")
