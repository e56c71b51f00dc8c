"""The alias ledger: every registry write the guard saw, in a SQL table (SQLAlchemy, no mlflow).

The table lives in the MLflow backend database when that is SQL, or wherever the operator
points ``TRACKCHECK_LEDGER_URI``. Rows are appended, then their outcome filled in once MLflow
has answered; they are never rewritten otherwise. A second table holds one row per model
while a write to it is judged and performed: the per-model lock every worker honours.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

TABLE = "trackcheck_ledger"
LOCKS = "trackcheck_locks"
ADOPTED = "*"  # the model name of the row that marks the adoption as complete
STALE_LOCK = 60.0  # seconds: a lock older than this belongs to a worker that died mid-write

_meta = sa.MetaData()
entries = sa.Table(
    TABLE, _meta,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("time", sa.Float, nullable=False),  # seconds since the epoch, UTC
    sa.Column("actor", sa.String(256)),
    sa.Column("model", sa.String(256), nullable=False, index=True),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("alias", sa.String(256)),
    sa.Column("from_version", sa.Integer),
    sa.Column("to_version", sa.Integer),
    sa.Column("key", sa.String(256)),
    sa.Column("stage", sa.String(32)),
    sa.Column("new_name", sa.String(256)),
    sa.Column("verdict", sa.String(16), nullable=False),  # allowed | observed | denied | adopted
    sa.Column("rules", sa.String(256)),  # codes, comma-separated
    sa.Column("message", sa.Text),
    sa.Column("outcome", sa.String(64)),  # pending | ok | refused | MLflow's error code
    sa.Column("aliases_after", sa.Text),  # JSON {alias: version} once the write is done
)
locks = sa.Table(
    LOCKS, _meta,
    sa.Column("name", sa.String(256), primary_key=True),
    sa.Column("holder", sa.String(64), nullable=False),
    sa.Column("since", sa.Float, nullable=False),
)


class LedgerError(Exception):
    """The ledger could not be read or written; the guard refuses the write it was judging."""


class LockTimeout(LedgerError):
    """Another write to the same model held its lock for longer than the guard waits."""


@dataclass(frozen=True)
class Entry:
    id: int
    time: float
    actor: str | None
    model: str
    action: str
    alias: str | None
    from_version: int | None
    to_version: int | None
    key: str | None
    stage: str | None
    new_name: str | None
    verdict: str
    rules: str | None
    message: str | None
    outcome: str | None
    aliases_after: dict[str, int] | None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Entry:
        after = row.get("aliases_after")
        return cls(**{**{k: row.get(k) for k in cls.__dataclass_fields__},
                      "aliases_after": json.loads(after) if after else None})

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _engine(uri: str) -> sa.Engine:
    kw: dict[str, Any] = {"pool_pre_ping": True}
    if uri.startswith("sqlite"):
        # MLflow's own writes share the file: wait for its locks rather than fail at once
        kw["connect_args"] = {"timeout": 30}
        kw["poolclass"] = sa.pool.NullPool
    return sa.create_engine(uri, **kw)


class Ledger:
    def __init__(self, uri: str):
        self.uri = uri
        try:
            self.engine = _engine(uri)
            _meta.create_all(self.engine, checkfirst=True)
        except Exception as e:  # noqa: BLE001 - a driver missing, a refused login, a bad URI
            raise LedgerError(f"cannot open the ledger database ({type(e).__name__})") from None
        self.holder = f"{socket.gethostname()[:20]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    # --- the per-model lock -----------------------------------------------------------
    @contextlib.contextmanager
    def lock(self, names: list[str], timeout: float) -> Iterator[None]:
        """Hold the lock of every name (sorted, so two writes never wait on each other)."""
        held: list[str] = []
        try:
            for name in sorted(set(names)):
                self._acquire(name, timeout)
                held.append(name)
            yield
        finally:
            for name in reversed(held):
                with contextlib.suppress(Exception):
                    with self.engine.begin() as c:
                        c.execute(locks.delete().where(locks.c.name == name,
                                                       locks.c.holder == self.holder))

    def _acquire(self, name: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        pause = 0.005
        while True:
            try:
                with self.engine.begin() as c:
                    c.execute(locks.insert().values(name=name, holder=self.holder,
                                                    since=time.time()))
                return
            except sa.exc.IntegrityError:
                pass
            except Exception as e:  # noqa: BLE001
                raise LedgerError(f"cannot lock model '{name}' in the ledger database "
                                  f"({type(e).__name__})") from None
            with contextlib.suppress(Exception), self.engine.begin() as c:
                c.execute(locks.delete().where(locks.c.name == name,
                                               locks.c.since < time.time() - STALE_LOCK))
            if time.monotonic() >= deadline:
                raise LockTimeout(f"another write to model '{name}' is in progress; try again")
            time.sleep(pause)
            pause = min(pause * 2, 0.1)

    # --- writing ------------------------------------------------------------------------
    def append(self, **values: Any) -> int:
        values.setdefault("time", time.time())
        if "aliases_after" in values and values["aliases_after"] is not None:
            values["aliases_after"] = json.dumps(values["aliases_after"], sort_keys=True)
        try:
            with self.engine.begin() as c:
                return int(c.execute(entries.insert().values(**values)).inserted_primary_key[0])
        except Exception as e:  # noqa: BLE001
            raise LedgerError(f"cannot write the ledger ({type(e).__name__})") from None

    def finish(self, entry_id: int, outcome: str, aliases_after: dict[str, int] | None,
               to_version: int | None = None) -> None:
        after = json.dumps(aliases_after, sort_keys=True) if aliases_after is not None else None
        values: dict[str, Any] = {"outcome": outcome[:64], "aliases_after": after}
        if to_version is not None:
            values["to_version"] = to_version
        try:
            with self.engine.begin() as c:
                c.execute(entries.update().where(entries.c.id == entry_id).values(**values))
        except Exception as e:  # noqa: BLE001
            raise LedgerError(f"cannot write the ledger ({type(e).__name__})") from None

    def adopted(self) -> bool:
        with self.engine.connect() as c:
            return c.execute(sa.select(entries.c.id).where(
                entries.c.action == "adopt", entries.c.model == ADOPTED).limit(1)).first() \
                is not None

    def adopt(self, aliases: Mapping[str, Mapping[str, int]], actor: str) -> int:
        """Record the registry's aliases as the guard found them, once for the ledger's life:
        history before this point is unknown, and ledger-based findings do not judge it."""
        now = time.time()
        rows = [dict(time=now, actor=actor, model=model, action="adopt", alias=alias,
                     to_version=number, verdict="adopted", outcome="ok",
                     aliases_after=json.dumps(dict(held), sort_keys=True))
                for model, held in sorted(aliases.items())
                for alias, number in sorted(held.items())]
        rows.append(dict(time=now, actor=actor, model=ADOPTED, action="adopt",
                         verdict="adopted", outcome="ok",
                         message=f"{len(aliases)} model(s) with aliases adopted"))
        keys = [c.name for c in entries.columns if c.name != "id"]
        rows = [{k: row.get(k) for k in keys} for row in rows]  # one shape for executemany
        try:
            with self.engine.begin() as c:
                c.execute(entries.insert(), rows)
        except Exception as e:  # noqa: BLE001
            raise LedgerError(f"cannot write the ledger ({type(e).__name__})") from None
        return len(rows) - 1

    # --- reading ------------------------------------------------------------------------
    def read(self, *, model: str | None = None, alias: str | None = None,
             since: float | None = None, after_id: int = 0, limit: int = 100) -> list[Entry]:
        q = sa.select(entries).where(entries.c.id > after_id)
        if model is not None:
            q = q.where(sa.or_(entries.c.model == model, entries.c.new_name == model))
        if alias is not None:
            q = q.where(entries.c.alias == alias)
        if since is not None:
            q = q.where(entries.c.time >= since)
        q = q.order_by(entries.c.id).limit(limit)
        with self.engine.connect() as c:
            return [Entry.from_row(r._mapping) for r in c.execute(q)]

    def names_of(self, model: str) -> set[str]:
        """``model`` and every name it was renamed from (history follows a rename)."""
        names, todo = {model}, [model]
        with self.engine.connect() as c:
            while todo:
                rows = c.execute(sa.select(entries.c.model).where(
                    entries.c.action == "rename_model", entries.c.new_name == todo.pop(),
                    entries.c.outcome == "ok")).all()
                for (old,) in rows:
                    if old not in names:
                        names.add(old)
                        todo.append(old)
        return names

    def held(self, model: str, version: int, aliases: list[str]) -> bool:
        """Whether the version ever carried one of ``aliases``: set through the guard, or found
        on it when the guard adopted the registry."""
        if not aliases:
            return False
        with self.engine.connect() as c:
            row = c.execute(sa.select(entries.c.id).where(
                entries.c.model.in_(self.names_of(model)), entries.c.alias.in_(aliases),
                entries.c.to_version == version,
                entries.c.action.in_(("set_alias", "adopt")),
                entries.c.outcome == "ok").limit(1)).first()
        return row is not None
