"""The guard's ledger, read through the tracking server's own endpoint with MLflow's credentials
(``MLFLOW_TRACKING_USERNAME``/``PASSWORD``/``TOKEN``), never the database: for ``trackcheck
history`` and the audit's ledger rules. Read-only; only ``GET /api/2.0/trackcheck/ledger``."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from trackcheck.audit.records import LedgerEntry
from trackcheck.audit.source import SourceError, masked_uri

ENDPOINT = "/api/2.0/trackcheck/ledger"
MAX_BYTES = 64_000_000  # one page of at most 1,000 entries is far smaller
PAGE = 1000
MAX_ENTRIES = 1_000_000  # a ledger past this is read with --since or a model name


class NoLedger(SourceError):
    """The server answers but serves no ledger: the guard is not running there."""


def read_ledger(tracking_uri: str, *, model: str | None = None, alias: str | None = None,
                since: float | None = None, timeout: float = 10.0,
                counter: list[int] | None = None) -> Iterator[dict[str, Any]]:
    """Every ledger entry that matches, oldest first; raises :class:`SourceError` (one line,
    the URI masked, no server text). ``counter[0]`` counts the pages read."""
    from trackcheck.audit.mlflow_source import quiet
    from trackcheck.audit.transport import Transport, origin_of

    shown = masked_uri(tracking_uri)
    origin = origin_of(tracking_uri) if tracking_uri.lower().startswith(("http://",
                                                                          "https://")) else None
    if origin is None:
        raise SourceError(f"registry {shown}: the ledger is served by a tracking server "
                          "(http or https) that runs the trackcheck guard")
    # the audit's own transport: this one read at this one server, bounded to its last byte
    # and in size, never redirected
    base = urlsplit(tracking_uri).path.rstrip("/")
    transport = Transport({origin}, frozenset({("GET", base + ENDPOINT)}), MAX_BYTES)
    with quiet(), transport.installed():
        try:
            from mlflow.utils.credentials import get_default_host_creds
            from mlflow.utils.rest_utils import http_request
        except ImportError:
            from trackcheck.audit.mlflow_source import INSTALL_HINT

            raise SourceError(INSTALL_HINT) from None

        creds = get_default_host_creds(tracking_uri)
        token, seen, pages = None, 0, 0
        while True:
            params: dict[str, Any] = {"max_results": PAGE}
            for k, v in (("model", model), ("alias", alias), ("since", since),
                         ("page_token", token)):
                if v is not None:
                    params[k] = v
            transport.deadline = time.monotonic() + timeout
            transport.late = f"timed out (no complete answer within {timeout:g} s)"
            try:
                resp = http_request(creds, ENDPOINT, "GET", params=params, max_retries=0,
                                    timeout=timeout, raise_on_status=False)
            except Exception as e:  # noqa: BLE001 - connection refused, timeout, bad URI
                raise SourceError(f"registry {shown}: {_why(e)} while reading the "
                                  "ledger") from None
            if resp.status_code == 404:
                raise NoLedger(f"registry {shown}: no ledger there (the server does not run "
                               "'mlflow server --app-name trackcheck')")
            if resp.status_code != 200:
                hint = " (check MLFLOW_TRACKING_USERNAME/PASSWORD or MLFLOW_TRACKING_TOKEN)" \
                    if resp.status_code in (401, 403) else ""
                raise SourceError(f"registry {shown}: HTTP {resp.status_code} while reading "
                                  f"the ledger{hint}")
            try:
                body = json.loads(resp.text)
                entries = body["entries"]
                token = body.get("next_page_token")
                if not isinstance(entries, list):
                    raise TypeError
            except (ValueError, KeyError, TypeError):
                if pages == 0:  # a 200 that is no ledger (a portal, a catch-all): no guard there
                    raise NoLedger(f"registry {shown}: no ledger there (the server does not "
                                   "run 'mlflow server --app-name trackcheck')") from None
                raise SourceError(f"registry {shown}: malformed ledger response") from None
            pages += 1
            if counter is not None:
                counter[0] = pages
            for e in entries:
                seen += 1
                if seen > MAX_ENTRIES:
                    raise SourceError(f"registry {shown}: more than {MAX_ENTRIES:,} ledger "
                                      "entries; narrow it with a model name or --since")
                yield e
            if not token or not entries and token is None:
                return



def ledger_entries(tracking_uri: str, timeout: float
                   ) -> tuple[tuple[LedgerEntry, ...] | None, int]:
    """The whole ledger as records for the audit's ledger rules, and the requests it took;
    None when the server keeps none (no guard there, or not an HTTP tracking server)."""
    if not tracking_uri.lower().startswith(("http://", "https://")):
        return None, 0
    out = []
    pages = [0]
    try:
        for e in read_ledger(tracking_uri, timeout=timeout, counter=pages):
            after = e.get("aliases_after")
            out.append(LedgerEntry(
                id=int(e["id"]), model=str(e["model"]), action=str(e["action"]),
                verdict=str(e.get("verdict")), outcome=e.get("outcome"), alias=e.get("alias"),
                to_version=_int(e.get("to_version")), from_version=_int(e.get("from_version")),
                new_name=e.get("new_name"), actor=e.get("actor"),
                time=float(e["time"]) if e.get("time") is not None else None,
                aliases_after={str(k): int(v) for k, v in after.items()}
                if isinstance(after, dict) else None))
    except NoLedger:
        return None, pages[0] + 1
    except (KeyError, TypeError, ValueError):
        raise SourceError(f"registry {masked_uri(tracking_uri)}: malformed ledger "
                          "entry") from None
    return tuple(out), pages[0]


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _why(e: BaseException) -> str:
    """What stopped the request, in trackcheck's words (the transport's), never the server's."""
    from trackcheck.audit.transport import TransportError

    seen: set[int] = set()
    cur: BaseException | None = e
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, TransportError):
            return cur.what
        cur = cur.__cause__ or cur.__context__
    return f"unreachable ({type(e).__name__})"
