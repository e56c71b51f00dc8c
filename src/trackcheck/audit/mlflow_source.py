"""The only module that imports mlflow: read a registry into plain records, read-only and bounded.

What it reads, in requests that grow with pages and batches, never with versions:

1. registered models, paged (``search_registered_models``): alias maps, tags, descriptions;
2. model versions, paged (``search_model_versions``): stage, status, tags, run id, source —
   without aliases, which come from the model's alias map;
3. only if some version carries an alias: experiments, paged, deleted ones included, then the
   source runs of aliased versions in batches (``search_runs`` with ``attributes.run_id IN``,
   ``ViewType.ALL`` so that deleted runs are seen as deleted, not as missing).

Only search calls are made. A local SQLite store is opened through a read-only SQLite URI
(MLflow would otherwise create or migrate it). Every request chain is bounded by trackcheck's
own deadline and retries; MLflow's own retries are switched off, and so are its telemetry, its
logging and its warnings, for the duration of the read.
"""

from __future__ import annotations

import contextlib
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
_STATUS_TEXT = {401: "unauthorized", 403: "forbidden", 404: "not found", 408: "request timeout",
                429: "throttled", 500: "server error", 502: "bad gateway",
                503: "unavailable", 504: "gateway timeout"}
_TRANSIENT_STATUS = {408, 429, 500, 502, 503, 504}
_TOO_MANY = re.compile(r"too many (\d{3}) error responses")


@dataclass(frozen=True)
class Pages:
    """Page and batch sizes (MLflow's maxima: 1000 models, 200,000 versions, 50,000 runs;
    a ``run_id IN`` list of about 1,000 ids still parses, 5,000 does not)."""

    models: int = 1000
    versions: int = 10_000
    experiments: int = 1000
    run_batch: int = 500
    experiment_batch: int = 1000


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


class _RequestCounter:
    """Counts HTTP requests (``requests.Session.send``) during the read and refuses any request
    to a host other than the registry's (telemetry, update checks: nothing leaves but reads)."""

    def __init__(self, allowed_hosts: set[str] | None):
        self.count = 0
        self.allowed = allowed_hosts

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        import requests

        original = requests.Session.send
        counter = self

        def send(session: Any, request: Any, **kw: Any) -> Any:
            host = urlsplit(request.url).hostname or ""
            if counter.allowed is not None and host not in counter.allowed:
                raise requests.exceptions.ConnectionError(f"trackcheck refused a request to {host}")
            counter.count += 1
            return original(session, request, **kw)

        requests.Session.send = send  # type: ignore[method-assign]
        try:
            yield
        finally:
            requests.Session.send = original  # type: ignore[method-assign]


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


def _status_failure(status: int, detail: str = "") -> _Failure:
    text = _STATUS_TEXT.get(status, "error")
    hint = ""
    if status in (401, 403):
        hint = " (check MLFLOW_TRACKING_USERNAME/PASSWORD or MLFLOW_TRACKING_TOKEN)"
    return _Failure(f"HTTP {status} {text}{detail}{hint}", status in _TRANSIENT_STATUS)


def classify(e: BaseException) -> _Failure:
    """What went wrong, in a few words, from an exception raised by the MLflow client."""
    import requests
    from mlflow.exceptions import MlflowException, RestException

    chain = list(_chain(e))
    texts = " | ".join(str(x) for x in chain)
    for x in chain:
        if isinstance(x, requests.exceptions.Timeout) or "timeout exception" in str(x):
            return _Failure("timed out", False)
    m = _TOO_MANY.search(texts)
    if m:
        return _status_failure(int(m.group(1)))
    for x in chain:
        if isinstance(x, requests.exceptions.ConnectionError):
            low = str(x).lower()
            if "timed out" in low or "timeout" in low:  # urllib3 reports it via MaxRetryError
                return _Failure("timed out", False)
            if "refused a request to" in low:
                host = str(x).rsplit(" ", 1)[-1]
                return _Failure(f"MLflow tried to reach another host ({host}); trackcheck "
                                "refused it", False)
            if "refused" in low:
                return _Failure("unreachable (connection refused)", True)
            if "reset" in low or "aborted" in low or "remotedisconnected" in low:
                return _Failure("connection reset", True)
            if "name or service not known" in low or "nodename nor servname" in low:
                return _Failure("unreachable (unknown host)", False)
            return _Failure("unreachable", True)
        if isinstance(x, (json.JSONDecodeError, UnicodeDecodeError)):
            return _Failure("malformed response (not JSON)", False)
        if type(x).__name__ == "ParseError":  # protobuf json_format: JSON of the wrong shape
            return _Failure("malformed response", False)
    if "not in a valid JSON format" in texts:
        return _Failure("malformed response (not JSON)", False)
    if "out-of-date database schema" in texts:
        return _Failure("the store's schema is out of date for this MLflow "
                        "('mlflow db upgrade' is a write: not the audit's job)", False)
    if any(w in texts for w in ("readonly database", "no such table", "file is not a database")):
        return _Failure("not an MLflow store that can be read without writing to it (empty, "
                        "not MLflow's, or from another MLflow version)", False)
    for x in chain:
        if isinstance(x, MlflowException):
            code = getattr(x, "error_code", "") or ""
            status = int(x.get_http_status_code())
            if isinstance(x, RestException) and status not in (401, 403):
                # the server's own JSON error: its code and first line say what went wrong
                first = str(x).splitlines()[0][:160] if str(x) else code
                return _status_failure(status, f": {_clean(first)}")
            if isinstance(x, RestException) or code not in ("INTERNAL_ERROR", ""):
                return _status_failure(status)  # a text body (a proxy, a login page): not echoed
    if isinstance(e, MlflowException):
        return _Failure(_clean(str(e).splitlines()[0][:160]), False)
    return _Failure(f"{type(e).__name__}", False)


def _clean(text: str) -> str:
    """A server message, cut to one line, with anything URI-shaped masked."""
    from trackcheck.detect.redact import mask
    from trackcheck.detect.uris import credential_in_uri

    m = credential_in_uri(text)
    while m:
        text = text.replace(m.group(0), mask(m.group(0)))
        m = credential_in_uri(text)
    return re.sub(r"https?://\S+", lambda mm: masked_uri(mm.group(0)), text).strip()


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


# --- the source -------------------------------------------------------------------------
class MlflowSource:
    """Reads an MLflow tracking server or store. ``tracking_uri`` serves runs and experiments,
    ``registry_uri`` models and versions (the same URI unless MLFLOW_REGISTRY_URI says not)."""

    def __init__(self, tracking_uri: str, registry_uri: str | None = None, *,
                 timeout: float = 10.0, pages: Pages = Pages()):
        self.tracking_uri = tracking_uri
        self.registry_uri = registry_uri or tracking_uri
        self.registry = masked_uri(self.registry_uri)
        self.timeout = max(0.1, float(timeout))
        self.pages = pages
        self._store_calls = 0

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

    def _hosts(self) -> set[str] | None:
        hosts = set()
        for uri in (self.tracking_uri, self.registry_uri):
            try:
                parts = urlsplit(uri)
                parts.hostname  # noqa: B018 - parses the host part: '[::1' fails here
            except ValueError:  # an unclosed IPv6 bracket, a bad port: no registry to talk to
                raise SourceError(f"registry {self.registry}: not a valid URI") from None
            if parts.scheme not in ("http", "https"):
                return None  # databricks profiles, SQL stores: no host of ours to pin
            hosts.add(parts.hostname or "")
        return hosts

    def _call(self, what: str, fn: Callable[..., T], *args: Any, **kw: Any) -> T:
        """One request chain: at most ``timeout`` seconds, retried on transient failures."""
        deadline = time.monotonic() + self.timeout
        attempt = 0
        while True:
            remaining = deadline - time.monotonic()
            # MLflow reads these on every request; its own retries stay off (we retry here)
            seconds = str(max(1, round(remaining)))
            os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] = seconds
            os.environ["MLFLOW_DATABRICKS_ENDPOINT_HTTP_RETRY_TIMEOUT"] = seconds
            self._store_calls += 1
            try:
                return fn(*args, **kw)
            except Exception as e:  # noqa: BLE001 - every failure becomes one clear line
                failure = classify(e)
                attempt += 1
                pause = 0.25 * 2 ** (attempt - 1)
                if (not failure.transient or attempt > RETRIES
                        or time.monotonic() + pause >= deadline):
                    raise SourceError(f"registry {self.registry}: {failure.what} while "
                                      f"reading {what}") from None
                time.sleep(pause)

    def _paged(self, what: str, fn: Callable[..., Any], **kw: Any) -> Iterator[Any]:
        token = None
        while True:
            page = self._call(what, fn, page_token=token, **kw)
            yield from page
            token = getattr(page, "token", None)
            if not token:
                return

    # --- reading ------------------------------------------------------------------------
    def snapshot(self, progress: Progress | None = None) -> RegistrySnapshot:
        mlflow = import_mlflow()
        say = progress or (lambda _msg: None)
        env = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0", "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "0",
               "MLFLOW_HTTP_RESPECT_RETRY_AFTER_HEADER": "false",
               "MLFLOW_HTTP_REQUEST_TIMEOUT": str(max(1, int(self.timeout))),
               "MLFLOW_DATABRICKS_ENDPOINT_HTTP_RETRY_TIMEOUT": str(max(1, int(self.timeout)))}
        counter = _RequestCounter(self._hosts())
        with quiet(), _patched_env(env), counter.installed():
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
            snap = self._read(client, say)
        snap.requests = counter.count if counter.count else self._store_calls
        return snap

    def _read(self, client: Any, say: Progress) -> RegistrySnapshot:
        from mlflow.entities import ViewType

        snap = RegistrySnapshot(registry=self.registry)
        for m in self._paged("registered models", client.search_registered_models,
                             max_results=self.pages.models):
            snap.models[m.name] = model_record(m)
            if len(snap.models) % self.pages.models == 0:
                say(f"models {len(snap.models)}")
        say(f"models {len(snap.models)}, reading versions")
        by_alias = {name: _aliases_by_version(rec) for name, rec in snap.models.items()}
        if self.registry_uri.lower().startswith("databricks-uc"):
            # Unity Catalog requires a model name in every version search
            pages = (v for name in snap.models for v in self._paged(
                "model versions", client.search_model_versions, filter_string=f"name='{name}'",
                max_results=self.pages.versions))
        else:
            pages = self._paged("model versions", client.search_model_versions,
                                max_results=self.pages.versions)
        for v in pages:
            if v.name not in by_alias:  # a prompt, or a model created after the model walk
                continue
            snap.versions.append(version_record(v, by_alias[v.name]))
            if len(snap.versions) % self.pages.versions == 0:
                say(f"models {len(snap.models)}, versions {len(snap.versions)}")
        snap.versions.sort(key=lambda r: (r.model, r.version))
        snap.wanted_runs = {v.run_id for v in snap.versions if v.aliases and v.run_id}
        if snap.wanted_runs:
            say(f"models {len(snap.models)}, versions {len(snap.versions)}, reading runs")
            experiments = [e.experiment_id for e in self._paged(
                "experiments", client.search_experiments, view_type=ViewType.ALL,
                max_results=self.pages.experiments)]
            wanted = sorted(snap.wanted_runs)
            for i in range(0, len(wanted), self.pages.run_batch):
                batch = wanted[i:i + self.pages.run_batch]
                ids = ", ".join("'" + r.replace("'", "") + "'" for r in batch)
                step = self.pages.experiment_batch
                for j in range(0, len(experiments), step):
                    for run in self._paged("runs", client.search_runs,
                                           experiment_ids=experiments[j:j + step],
                                           filter_string=f"attributes.run_id IN ({ids})",
                                           run_view_type=ViewType.ALL,
                                           # one more than asked: no empty trailing page
                                           max_results=len(batch) + 1):
                        snap.runs[run.info.run_id] = run_record(run)
                say(f"models {len(snap.models)}, versions {len(snap.versions)}, "
                    f"runs {len(snap.runs)}/{len(wanted)}")
        return snap


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
                pages: Pages | None = None) -> MlflowSource:
    """The source for these URIs; checks the extra is installed before anything else."""
    if "mlflow" not in sys.modules:
        import_mlflow()
    return MlflowSource(tracking_uri, registry_uri, timeout=timeout, pages=pages or Pages())


__all__ = ["INSTALL_HINT", "MissingExtra", "MlflowSource", "Pages", "open_source"]
