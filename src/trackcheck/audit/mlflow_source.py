"""The only module that imports mlflow: read a registry into plain records, read-only and bounded.

What it reads, in requests that grow with pages and batches, never with versions:

1. registered models, paged (``search_registered_models``): alias maps, tags, descriptions;
2. model versions, paged and ordered by model name (``search_model_versions``): stage, status,
   tags, run id, source — without aliases, which come from the model's alias map;
3. only for versions that carry an alias: experiments, paged, deleted ones included, then the
   source runs of those versions in batches (``search_runs`` with ``attributes.run_id IN``,
   ``ViewType.ALL`` so that deleted runs are seen as deleted, not as missing).

The read is handed on one model at a time (:meth:`MlflowSource.pieces`), so memory holds the
model list, one page and the pieces waiting for their runs, not the registry.

Only those searches are ever sent: the :mod:`~trackcheck.audit.transport` below MLflow's client
refuses any other endpoint or method, any other host, and every redirect, and bounds each
request to its last byte and its decompressed size. A local SQLite store is opened through a
read-only SQLite URI (MLflow would otherwise create or migrate it). Every request chain is
bounded by trackcheck's own timeout and retries, and the whole read by its deadline; MLflow's own
retries are switched off, and so are its telemetry, its logging and its warnings, for the
duration of the read.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import logging
import os
import re
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

from trackcheck.audit.records import (
    DatasetInput,
    ModelRecord,
    RegistrySnapshot,
    RunRecord,
    VersionRecord,
)
from trackcheck.audit.source import Progress, SourceError, masked_uri
from trackcheck.audit.transport import Origin, Transport, TransportError, origin_of
from trackcheck.detect.uris import uri_kind

T = TypeVar("T")

INSTALL_HINT = ("the registry audit needs MLflow: install trackcheck[registry] "
                "(pip install 'trackcheck[registry]')")

# Set before mlflow is imported (some are read at import time) and kept for the whole read:
# no telemetry to a third-party host, no log handler of MLflow's own on stderr.
_QUIET_ENV = {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "MLFLOW_CONFIGURE_LOGGING": "false",
}
_LOGGERS = ("mlflow", "alembic", "sqlalchemy", "urllib3", "databricks")
RETRIES = 2  # trackcheck's retries per request chain, on transient failures only
_STATUS_TEXT = {400: "bad request", 401: "unauthorized", 403: "forbidden", 404: "not found",
                408: "request timeout", 429: "throttled", 500: "server error", 502: "bad gateway",
                503: "unavailable", 504: "gateway timeout"}
_TRANSIENT_STATUS = {408, 429, 500, 502, 503, 504}


@dataclass(frozen=True)
class Pages:
    """Page and batch sizes (MLflow's maxima: 1000 models, 200,000 versions, 50,000 runs;
    a ``run_id IN`` list of about 1,000 ids still parses, 5,000 does not)."""

    models: int = 1000
    versions: int = 10_000
    experiments: int = 1000
    run_batch: int = 500
    experiment_batch: int = 1000


@dataclass(frozen=True)
class Limits:
    """The policy's budgets for one audit (``audit:`` in the policy): pages requested, objects
    read (models, versions, experiments, runs), and bytes in one response after decompression.
    Reaching one ends the audit in exit 3: a partial audit never passes."""

    max_pages: int = 10_000
    max_objects: int = 2_000_000
    max_response_bytes: int = 64_000_000


class MissingExtra(SourceError):
    """mlflow is not importable: the ``registry`` extra is not installed."""


# --- which store -----------------------------------------------------------------------
def sqlite_path(uri: str) -> Path | None:
    """The database file of a ``sqlite:///`` URI (relative to the working directory), or None."""
    if not uri.lower().startswith("sqlite:"):
        return None
    rest = uri[len("sqlite:"):]
    if not rest.startswith("///"):
        return None
    path = rest[3:].split("?", 1)[0]
    return Path(path) if path and path != ":memory:" else None


def read_only_sqlite_uri(path: Path) -> str:
    """A SQLAlchemy URI that opens the file with SQLite's own ``mode=ro``: MLflow cannot create
    tables, migrate or write in it. The path is percent-encoded as one URI segment so that
    MLflow's "create the parent directory" step sees no directory to create."""
    return "sqlite:///file:" + quote(str(path.resolve()), safe="") + "?mode=ro&uri=true"


# --- bounded, quiet environment ---------------------------------------------------------
@contextlib.contextmanager
def _patched_env(values: dict[str, str]) -> Iterator[None]:
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """No MLflow log records, warnings or telemetry while the registry is read."""
    loggers = [logging.getLogger(n) for n in _LOGGERS]
    levels = [lg.level for lg in loggers]
    with _patched_env(_QUIET_ENV), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for lg in loggers:
            lg.setLevel(logging.CRITICAL + 1)
        try:
            yield
        finally:
            for lg, level in zip(loggers, levels, strict=True):
                lg.setLevel(level)


def import_mlflow() -> Any:
    """Import mlflow quietly, or raise :class:`MissingExtra` with the install hint."""
    with quiet():
        try:
            return importlib.import_module("mlflow")
        except ImportError:
            raise MissingExtra(INSTALL_HINT) from None


# --- what the audit may send ------------------------------------------------------------------
def audit_reads(base_paths: set[str]) -> frozenset[tuple[str, str]]:
    """(METHOD, path) of every request the audit makes, as MLflow's own service definitions give
    them, under each URI's base path: the searches of models, versions (also Unity Catalog's),
    experiments and runs. Nothing else is ever sent."""
    from mlflow.protos.databricks_uc_registry_messages_pb2 import (
        SearchModelVersionsRequest,
        SearchRegisteredModelsRequest,
    )
    from mlflow.protos.databricks_uc_registry_service_pb2 import UcModelRegistryService
    from mlflow.protos.model_registry_pb2 import (
        ModelRegistryService,
        SearchModelVersions,
        SearchRegisteredModels,
    )
    from mlflow.protos.service_pb2 import MlflowService, SearchExperiments, SearchRuns
    from mlflow.utils.rest_utils import _REST_API_PATH_PREFIX, extract_all_api_info_for_service

    wanted = [(ModelRegistryService, (SearchRegisteredModels, SearchModelVersions)),
              (UcModelRegistryService, (SearchRegisteredModelsRequest, SearchModelVersionsRequest)),
              (MlflowService, (SearchExperiments, SearchRuns))]
    reads = set()
    for service, calls in wanted:
        info = extract_all_api_info_for_service(service, _REST_API_PATH_PREFIX)
        for call in calls:
            for endpoint, method in info[call]:
                reads |= {(method.upper(), base + endpoint) for base in base_paths}
    return frozenset(reads)


# --- failures ---------------------------------------------------------------------------
@dataclass(frozen=True)
class _Failure:
    what: str
    transient: bool


def _chain(e: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    cur: BaseException | None = e
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        yield cur
        cur = cur.__cause__ or cur.__context__


_ERROR_CODE = re.compile(r"[A-Z][A-Z_]{0,63}")


def _status_failure(status: int, code: str = "") -> _Failure:
    text = _STATUS_TEXT.get(status, "error")
    shown = f" ({code})" if _ERROR_CODE.fullmatch(code or "") and code != "INTERNAL_ERROR" else ""
    hint = ""
    if status in (401, 403):
        hint = " (check MLFLOW_TRACKING_USERNAME/PASSWORD or MLFLOW_TRACKING_TOKEN)"
    return _Failure(f"HTTP {status} {text}{shown}{hint}", status in _TRANSIENT_STATUS)


def classify(e: BaseException, status: int | None = None) -> _Failure:
    """What went wrong, in trackcheck's own few words, from an exception raised while reading.

    ``status`` is the HTTP status of the last answer, if any. Nothing of the server's text or
    headers is ever used in the result: only the status, MLflow's error code (a name from
    MLflow's own list) and the kind of failure."""
    import requests
    from mlflow.exceptions import MlflowException

    chain = list(_chain(e))
    for x in chain:
        if isinstance(x, TransportError):
            return _Failure(x.what, x.transient)
    for x in chain:
        if isinstance(x, requests.exceptions.Timeout):
            return _Failure("timed out", False)
    for x in chain:  # local words (OS, urllib3, the JSON parser): matched here, never shown
        if isinstance(x, requests.exceptions.ConnectionError):
            low = str(x).lower()
            if "timed out" in low or "timeout" in low:
                return _Failure("timed out", False)
            if "refused" in low:
                return _Failure("unreachable (connection refused)", True)
            if "reset" in low or "aborted" in low or "remotedisconnected" in low or (
                    "connection broken" in low):
                return _Failure("connection reset", True)
            if "name or service not known" in low or "nodename nor servname" in low:
                return _Failure("unreachable (unknown host)", False)
            return _Failure("unreachable", True)
        if isinstance(x, (json.JSONDecodeError, UnicodeDecodeError)):
            return _Failure("malformed response (not JSON)", False)
        if type(x).__name__ == "ParseError":  # protobuf json_format: JSON of the wrong shape
            return _Failure("malformed response", False)
    code = next((str(getattr(x, "error_code", "") or "") for x in chain
                 if isinstance(x, MlflowException)), "")
    if status is not None and status >= 400:
        return _status_failure(status, code)
    texts = " | ".join(str(x) for x in chain)
    if status is not None and "not in a valid JSON format" in texts:
        return _Failure("malformed response (not JSON)", False)
    # a SQL store read in-process: the driver's and MLflow's local words
    if "out-of-date database schema" in texts:
        return _Failure("the store's schema is out of date for this MLflow "
                        "('mlflow db upgrade' is a write: not the audit's job)", False)
    if any(w in texts for w in ("readonly database", "no such table", "file is not a database")):
        return _Failure("not an MLflow store that can be read without writing to it (empty, "
                        "not MLflow's, or from another MLflow version)", False)
    if status is not None:  # an answer of the right status that MLflow still could not use
        return _Failure("malformed response", False)
    if code and _ERROR_CODE.fullmatch(code):
        return _Failure(f"MLflow error {code}", False)
    return _Failure(f"{type(e).__name__}", False)


def _require_mlflow_tables(uri: str, shown: str) -> None:
    """MLflow creates and migrates the tables of a SQL store it opens when they are missing:
    look first, read-only, and refuse a database without them."""
    import sqlalchemy

    try:
        engine = sqlalchemy.create_engine(uri)
        try:
            tables = set(sqlalchemy.inspect(engine).get_table_names())
        finally:
            engine.dispose()
    except Exception as e:  # noqa: BLE001 - a driver missing, a refused login, a bad file
        raise SourceError(f"registry {shown}: cannot open the database "
                          f"({type(e).__name__})") from None
    if not {"experiments", "runs", "registered_models", "model_versions"} <= tables:
        raise SourceError(f"registry {shown}: not an MLflow store (no MLflow tables); "
                          "the audit never creates one")


def _seconds(value: float) -> str:
    return f"{value:g} s"


# --- the source -------------------------------------------------------------------------
class MlflowSource:
    """Reads an MLflow tracking server or store. ``tracking_uri`` serves runs and experiments,
    ``registry_uri`` models and versions (the same URI unless MLFLOW_REGISTRY_URI says not).

    ``timeout`` bounds each request chain (retries included) to its last byte; ``deadline``
    bounds the whole read, counted from the source's creation; ``limits`` are the policy's
    page, object and response-size budgets."""

    def __init__(self, tracking_uri: str, registry_uri: str | None = None, *,
                 timeout: float = 10.0, deadline: float = 600.0, pages: Pages = Pages(),
                 limits: Limits = Limits()):
        self.tracking_uri = tracking_uri
        self.registry_uri = registry_uri or tracking_uri
        self.registry = masked_uri(self.registry_uri)
        self.timeout = max(0.1, float(timeout))
        self.deadline = max(0.1, float(deadline))
        self._until = time.monotonic() + self.deadline
        self.pages = pages
        self.limits = limits
        self._store_calls = 0
        self._pages = 0
        self._objects = 0
        self._transport: Transport | None = None

    @property
    def requests(self) -> int:
        """HTTP requests sent so far (store calls for a SQL store read in-process)."""
        if self._transport is not None and self._transport.requests:
            return self._transport.requests
        return self._store_calls

    # --- plumbing -----------------------------------------------------------------------
    def _uri(self, uri: str) -> str:
        path = sqlite_path(uri)
        if path is not None:
            if not path.is_file():  # MLflow would create it: an audit never creates a store
                raise SourceError(f"registry {masked_uri(uri)}: no such store "
                                  f"({path} does not exist)")
            uri = read_only_sqlite_uri(path)
        if uri_kind(uri) == "db":
            _require_mlflow_tables(uri, masked_uri(uri if path is None else f"sqlite:///{path}"))
        return uri

    def _new_transport(self) -> Transport:
        """The transport pinned to the registry's origins and the audit's reads; for URIs that
        are not http(s) (a Databricks profile names its host elsewhere) any host, same reads."""
        origins: set[Origin] | None = set()
        bases = set()
        for uri in (self.tracking_uri, self.registry_uri):
            try:
                parts = urlsplit(uri)
                parts.port  # noqa: B018 - parses the host part: '[::1' and bad ports fail here
            except ValueError:
                raise SourceError(f"registry {self.registry}: not a valid URI") from None
            origin = origin_of(uri)
            if origin is None or origins is None:
                origins = None
            else:
                origins.add(origin)
            bases.add(parts.path.rstrip("/") if origin is not None else "")
        return Transport(origins, audit_reads(bases), self.limits.max_response_bytes)

    def _late(self, what: str) -> SourceError:
        return SourceError(f"registry {self.registry}: the audit's deadline "
                           f"({_seconds(self.deadline)}) passed while reading {what}")

    def _call(self, what: str, fn: Callable[..., T], *args: Any, **kw: Any) -> T:
        """One request chain: at most ``timeout`` seconds to its last byte, retried on transient
        failures, and never past the audit's deadline."""
        chain_end = time.monotonic() + self.timeout
        attempt = 0
        while True:
            now = time.monotonic()
            if now >= self._until:
                raise self._late(what)
            if self._transport is not None:
                if self._until < chain_end:
                    self._transport.deadline = self._until
                    self._transport.late = (f"the audit's deadline ({_seconds(self.deadline)}) "
                                            "passed")
                else:
                    self._transport.deadline = chain_end
                    self._transport.late = (f"timed out (no complete answer within "
                                            f"{_seconds(self.timeout)})")
            # MLflow reads these on every request (the transport enforces the real bound)
            seconds = str(max(1, round(min(chain_end, self._until) - now)))
            os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] = seconds
            os.environ["MLFLOW_DATABRICKS_ENDPOINT_HTTP_RETRY_TIMEOUT"] = seconds
            self._store_calls += 1
            try:
                return fn(*args, **kw)
            except Exception as e:  # noqa: BLE001 - every failure becomes one clear line
                status = self._transport.last_status if self._transport is not None else None
                failure = classify(e, status)
                attempt += 1
                pause = 0.25 * 2 ** (attempt - 1)
                if (not failure.transient or attempt > RETRIES
                        or time.monotonic() + pause >= min(chain_end, self._until)):
                    raise SourceError(f"registry {self.registry}: {failure.what} while "
                                      f"reading {what}") from None
                time.sleep(pause)

    def _paged(self, what: str, fn: Callable[..., Any], **kw: Any) -> Iterator[Any]:
        """Every item of a paged search. Stops, as a failure, on a page token the server has
        already given (a paging loop) and on the policy's page and object budgets."""
        token = None
        seen: set[bytes] = set()
        while True:
            self._pages += 1
            if self._pages > self.limits.max_pages:
                raise SourceError(f"registry {self.registry}: more than {self.limits.max_pages:,} "
                                  f"pages (the policy's audit.max_pages) while reading {what}; "
                                  "the audit stopped")
            page = self._call(what, fn, page_token=token, **kw)
            self._objects += len(page)
            if self._objects > self.limits.max_objects:
                raise SourceError(f"registry {self.registry}: more than "
                                  f"{self.limits.max_objects:,} objects (the policy's "
                                  f"audit.max_objects) while reading {what}; the audit stopped")
            yield from page
            token = getattr(page, "token", None)
            if not token:
                return
            key = hashlib.sha256(str(token).encode("utf-8", "replace")).digest()
            if key in seen:
                raise SourceError(f"registry {self.registry}: the server repeated a page token "
                                  f"while reading {what} (a paging loop); the audit stopped")
            seen.add(key)

    # --- reading ------------------------------------------------------------------------
    def pieces(self, progress: Progress | None = None) -> Iterator[RegistrySnapshot]:
        """The registry one model at a time: a snapshot holding one model, its versions and the
        source runs of its aliased versions, read in paged searches and batched run look-ups.
        Raises :class:`SourceError` (at any point: a partial read is never complete)."""
        mlflow = import_mlflow()
        say = progress or (lambda _msg: None)
        env = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0", "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "0",
               "MLFLOW_HTTP_RESPECT_RETRY_AFTER_HEADER": "false",
               "MLFLOW_ALLOW_HTTP_REDIRECTS": "false",
               "MLFLOW_HTTP_REQUEST_TIMEOUT": str(max(1, int(self.timeout))),
               "MLFLOW_DATABRICKS_ENDPOINT_HTTP_RETRY_TIMEOUT": str(max(1, int(self.timeout)))}
        self._transport = self._new_transport()
        with quiet(), _patched_env(env), self._transport.installed():
            try:
                client = mlflow.MlflowClient(tracking_uri=self._uri(self.tracking_uri),
                                             registry_uri=self._uri(self.registry_uri))
            except SourceError:
                raise
            except Exception as e:  # noqa: BLE001
                what = classify(e).what
                if what == type(e).__name__:
                    what = f"cannot open it ({what})"
                raise SourceError(f"registry {self.registry}: {what}") from None
            yield from self._walk(client, say)

    def snapshot(self, progress: Progress | None = None) -> RegistrySnapshot:
        """The whole registry in one snapshot (the pieces, merged)."""
        snap = RegistrySnapshot(registry=self.registry)
        for piece in self.pieces(progress):
            snap.models.update(piece.models)
            snap.versions.extend(piece.versions)
            snap.runs.update(piece.runs)
            snap.wanted_runs |= piece.wanted_runs
        snap.versions.sort(key=lambda r: (r.model, r.version))
        snap.requests = self.requests
        return snap

    def _walk(self, client: Any, say: Progress) -> Iterator[RegistrySnapshot]:
        models: dict[str, ModelRecord] = {}
        for m in self._paged("registered models", client.search_registered_models,
                             max_results=self.pages.models):
            rec = model_record(m)
            models[rec.name] = rec
            if len(models) % self.pages.models == 0:
                say(f"models {len(models)}")
        total = len(models)
        say(f"models {total}, reading versions")
        runs = _RunBatches(self, client)
        versions = 0
        for name, group in self._groups(client, models):
            versions += len(group)
            piece = RegistrySnapshot(registry=self.registry, models={name: models.pop(name)},
                                     versions=group)
            piece.wanted_runs = {v.run_id for v in group if v.aliases and v.run_id}
            yield from runs.add(piece)
            if time.monotonic() >= self._until:  # judging counts too: the deadline is the audit's
                raise self._late("model versions")
            say(f"models {total}, versions {versions}, runs {runs.found}")
        yield from runs.flush()
        for name in sorted(models):  # models without versions
            yield RegistrySnapshot(registry=self.registry, models={name: models[name]})
        say(f"models {total}, versions {versions}, runs {runs.found}")

    def _groups(self, client: Any, models: dict[str, ModelRecord]
                ) -> Iterator[tuple[str, list[VersionRecord]]]:
        """Each model's versions, one model at a time: a version search ordered by model name,
        cut where the name changes. A name that comes back after its group closed means the
        server ignored the order: the audit stops rather than judge a model in halves."""
        if self.registry_uri.lower().startswith("databricks-uc"):
            # Unity Catalog requires a model name in every version search
            for name in list(models):
                by_alias = _aliases_by_version(models[name])
                found = {int(v.version): version_record(v, by_alias) for v in self._paged(
                    "model versions", client.search_model_versions,
                    filter_string=f"name='{name}'", max_results=self.pages.versions)}
                yield name, [found[n] for n in sorted(found)]
            return
        current: str | None = None
        group: dict[int, VersionRecord] = {}
        by_alias: dict[int, tuple[str, ...]] = {}
        closed: set[str] = set()
        for v in self._paged("model versions", client.search_model_versions,
                             max_results=self.pages.versions,
                             order_by=["name ASC", "version_number ASC"]):
            name = str(v.name)
            if name != current:
                if current is not None:
                    closed.add(current)
                    yield current, [group[n] for n in sorted(group)]
                current, group = None, {}
                if name in closed:
                    raise SourceError(f"registry {self.registry}: the server returned model "
                                      "versions out of name order; the audit stopped")
                if name not in models:  # a prompt, or a model created after the model walk
                    continue
                current, by_alias = name, _aliases_by_version(models[name])
            record = version_record(v, by_alias)
            group[record.version] = record  # a row repeated across pages counts once
        if current is not None:
            yield current, [group[n] for n in sorted(group)]


class _RunBatches:
    """Holds model pieces until the source runs of their aliased versions are read, in batches
    of ``pages.run_batch`` ids (``search_runs`` with ``attributes.run_id IN``, ``ViewType.ALL``
    so that deleted runs are seen as deleted, not as missing), and hands each piece on as soon
    as its runs are in. A piece without aliased versions passes straight through."""

    def __init__(self, source: MlflowSource, client: Any):
        self.source = source
        self.client = client
        self.pending: list[RegistrySnapshot] = []
        self.queue: dict[str, None] = {}  # run ids not yet asked for, in order
        self.asked: set[str] = set()  # ids asked for, while a pending piece may need them
        self.got: dict[str, RunRecord] = {}
        self.experiments: list[str] | None = None
        self.found = 0

    def add(self, piece: RegistrySnapshot) -> Iterator[RegistrySnapshot]:
        if not piece.wanted_runs:
            yield piece
            return
        self.pending.append(piece)
        for rid in sorted(piece.wanted_runs - self.asked):
            self.queue[rid] = None
        while len(self.queue) >= self.source.pages.run_batch:
            yield from self._read(self.source.pages.run_batch)

    def flush(self) -> Iterator[RegistrySnapshot]:
        while self.queue:
            yield from self._read(self.source.pages.run_batch)
        yield from self._ready()

    def _read(self, size: int) -> Iterator[RegistrySnapshot]:
        from mlflow.entities import ViewType

        batch = list(self.queue)[:size]
        for rid in batch:
            del self.queue[rid]
        self.asked.update(batch)
        if self.experiments is None:
            self.experiments = [e.experiment_id for e in self.source._paged(
                "experiments", self.client.search_experiments, view_type=ViewType.ALL,
                max_results=self.source.pages.experiments)]
        ids = ", ".join("'" + r.replace("'", "") + "'" for r in batch)
        step = self.source.pages.experiment_batch
        for j in range(0, len(self.experiments), step):
            for run in self.source._paged("runs", self.client.search_runs,
                                          experiment_ids=self.experiments[j:j + step],
                                          filter_string=f"attributes.run_id IN ({ids})",
                                          run_view_type=ViewType.ALL,
                                          # one more than asked: no empty trailing page
                                          max_results=len(batch) + 1):
                self.got[run.info.run_id] = run_record(run)
                self.found += 1
        yield from self._ready()

    def _ready(self) -> Iterator[RegistrySnapshot]:
        waiting = []
        for piece in self.pending:
            if piece.wanted_runs <= self.asked:
                piece.runs = {r: self.got[r] for r in piece.wanted_runs if r in self.got}
                yield piece
            else:
                waiting.append(piece)
        self.pending = waiting
        keep = set().union(*(p.wanted_runs for p in waiting)) if waiting else set()
        self.got = {r: run for r, run in self.got.items() if r in keep}
        self.asked &= keep


# --- mlflow entities → records ------------------------------------------------------------
def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _aliases_by_version(model: ModelRecord) -> dict[int, tuple[str, ...]]:
    out: dict[int, list[str]] = {}
    for alias, number in model.aliases.items():
        out.setdefault(number, []).append(alias)
    return {n: tuple(sorted(a)) for n, a in out.items()}


def _tags(tags: Any) -> dict[str, str]:
    if isinstance(tags, dict):
        return {str(k): "" if v is None else str(v) for k, v in tags.items()}
    return {str(t.key): "" if t.value is None else str(t.value) for t in tags or ()}


def model_record(m: Any) -> ModelRecord:
    aliases: dict[str, int] = {}
    raw = m.aliases or {}
    items = raw.items() if isinstance(raw, dict) else ((a.alias, a.version) for a in raw)
    for alias, number in items:
        with contextlib.suppress(TypeError, ValueError):
            aliases[str(alias)] = int(number)
    return ModelRecord(name=str(m.name), aliases=aliases, tags=_tags(m.tags),
                       description=_text(m.description))


def version_record(v: Any, aliases: dict[int, tuple[str, ...]]) -> VersionRecord:
    number = int(v.version)
    return VersionRecord(model=str(v.name), version=number, stage=str(v.current_stage or "None"),
                         status=str(v.status or ""), run_id=_text(v.run_id), source=_text(v.source),
                         tags=_tags(v.tags), description=_text(v.description),
                         aliases=aliases.get(number, ()))


def run_record(run: Any) -> RunRecord:
    inputs = getattr(run, "inputs", None)
    datasets = tuple(DatasetInput(name=str(d.dataset.name), digest=_text(d.dataset.digest),
                                  source=_text(d.dataset.source))
                     for d in (getattr(inputs, "dataset_inputs", None) or ()))
    return RunRecord(run_id=str(run.info.run_id), status=str(run.info.status),
                     lifecycle_stage=str(run.info.lifecycle_stage), tags=_tags(run.data.tags),
                     params=_tags(run.data.params), datasets=datasets)


def open_source(tracking_uri: str, registry_uri: str | None, timeout: float,
                pages: Pages | None = None, *, deadline: float = 600.0,
                limits: Limits | None = None) -> MlflowSource:
    """The source for these URIs; checks the extra is installed before anything else."""
    if "mlflow" not in sys.modules:
        import_mlflow()
    return MlflowSource(tracking_uri, registry_uri, timeout=timeout, deadline=deadline,
                        pages=pages or Pages(), limits=limits or Limits())


__all__ = ["INSTALL_HINT", "Limits", "MissingExtra", "MlflowSource", "Pages", "open_source"]
