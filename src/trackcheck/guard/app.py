"""The ``mlflow.app`` entry points: ``mlflow server --app-name trackcheck`` (and
``trackcheck-basic-auth``, the guard behind MLflow's own basic-auth).

Configured by the environment of ``mlflow server``, as MLflow's own server is:

``TRACKCHECK_POLICY``
    the policy file (or built-in name) the guard judges by; default: the built-in ``default``.
``TRACKCHECK_LEDGER_URI``
    a SQLAlchemy URI for the ledger; default: the server's backend store when it is SQL.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import Any

from trackcheck.guard.ledger import Ledger, LedgerError

_log = logging.getLogger("trackcheck.guard")
LEDGER_ROUTES = ("/api/2.0/trackcheck/ledger", "/ajax-api/2.0/trackcheck/ledger")
MAX_PAGE = 1000
SQL_SCHEMES = ("sqlite", "postgresql", "mysql", "mssql")


class StartupError(Exception):
    """The guard cannot start: one line, no secret (the server must not run unguarded)."""


def ledger_uri(environ: dict[str, str] | os._Environ[str]) -> str:
    from mlflow.server.constants import BACKEND_STORE_URI_ENV_VAR, REGISTRY_STORE_URI_ENV_VAR

    uri = environ.get("TRACKCHECK_LEDGER_URI", "").strip()
    if uri:
        return uri
    store = (environ.get(REGISTRY_STORE_URI_ENV_VAR) or environ.get(BACKEND_STORE_URI_ENV_VAR)
             or "").strip()
    if store.split(":", 1)[0].split("+", 1)[0].lower() in SQL_SCHEMES:
        return store
    raise StartupError("the guard keeps its ledger in a SQL database: run the server with a SQL "
                       "--backend-store-uri (sqlite:///mlflow.db, postgresql://...), or set "
                       "TRACKCHECK_LEDGER_URI")


def _policy() -> Any:
    from trackcheck.policy import PolicyError, load_policy

    ref = os.environ.get("TRACKCHECK_POLICY", "").strip() or "default"
    try:
        return load_policy(ref)[0]
    except PolicyError as e:
        raise StartupError(f"invalid guard policy: {e}") from None


def _actor(basic_auth: bool, header: str | None) -> Any:
    def actor() -> str | None:
        from flask import g, has_request_context, request

        if not has_request_context():
            return None
        if basic_auth:
            return getattr(g, "mlflow_authenticated_user", None) or None
        if header:
            return (request.headers.get(header) or "").strip()[:256] or None
        return None

    return actor


def _build(basic_auth: bool) -> Any:
    from mlflow.server import app as flask_app
    from mlflow.server import handlers

    from trackcheck.guard.store import Guard, install

    policy = _policy()
    try:
        ledger = Ledger(ledger_uri(os.environ))
    except LedgerError as e:
        raise StartupError(str(e)) from None
    store = handlers._get_model_registry_store()
    guard = Guard(policy, ledger, store, handlers._get_tracking_store,
                  _actor(basic_auth, policy.guard.actor_header))
    install(store, guard)
    adopted = guard.adopt()
    if adopted is not None:
        _log.warning("trackcheck guard: adopted the registry's current aliases (%d)", adopted)
    _serve_ledger(flask_app, ledger, basic_auth)
    if basic_auth:
        try:
            from mlflow.server.auth import create_app as with_basic_auth
        except ImportError:
            raise StartupError("MLflow's basic-auth needs its extra: pip install "
                               "'mlflow[auth]'") from None
        from mlflow.server import auth

        # basic-auth refuses routes it has no validator for (fail-closed): the ledger is open to
        # every signed-in user, and its view shows each one only the models they may read
        for route in LEDGER_ROUTES:
            auth.BEFORE_REQUEST_VALIDATORS[(route, "GET")] = auth._allow_authenticated

        return with_basic_auth(flask_app)
    from mlflow.environment_variables import _MLFLOW_SGI_NAME

    if _MLFLOW_SGI_NAME.get() == "uvicorn":
        from mlflow.server.fastapi_app import create_fastapi_app

        return create_fastapi_app(flask_app)
    return flask_app


def _readable(basic_auth: bool) -> Any:
    """Which models the requesting user may read: all, unless basic-auth says otherwise."""
    if not basic_auth:
        return lambda name: True
    from mlflow.server import auth

    if auth.sender_is_admin():
        return lambda name: True

    def can_read(name: str) -> bool:
        try:
            return bool(auth._get_registered_model_permission(name).can_read)
        except Exception:  # noqa: BLE001 - a deleted model: its history is the admins'
            return False

    return can_read


def _serve_ledger(app: Any, ledger: Ledger, basic_auth: bool) -> None:
    """``GET /api/2.0/trackcheck/ledger``: the ledger, read-only, oldest first, paginated by
    ``page_token``; filters ``model``, ``alias``, ``since`` (epoch seconds), ``max_results``."""
    from flask import Response, request

    def error(status: int, code: str, message: str) -> Response:
        return Response(json.dumps({"error_code": code, "message": message}), status=status,
                        mimetype="application/json")

    def view() -> Response:
        args = request.args
        try:
            limit = min(MAX_PAGE, max(1, int(args.get("max_results", 100))))
            after = int(args.get("page_token") or 0)
            since = float(args["since"]) if args.get("since") else None
        except ValueError:
            return error(400, "INVALID_PARAMETER_VALUE",
                         "max_results and page_token are integers, since is epoch seconds")
        can_read = _readable(basic_auth)
        try:
            rows = ledger.read(model=args.get("model") or None, alias=args.get("alias") or None,
                               since=since, after_id=after, limit=limit)
        except LedgerError as e:
            return error(503, "TEMPORARILY_UNAVAILABLE", str(e))
        # a page may come back shorter than asked when it held models the user may not read
        out = [e.as_dict() for e in rows if e.model == "*" or can_read(e.model)]
        cursor = rows[-1].id if len(rows) == limit else 0
        body: dict[str, Any] = {"entries": out}
        if cursor:
            body["next_page_token"] = str(cursor)
        return Response(json.dumps(body), mimetype="application/json")

    for route in LEDGER_ROUTES:
        app.add_url_rule(route, endpoint=f"trackcheck_ledger_{route.split('/')[1]}",
                         view_func=view, methods=["GET"])


def create_app() -> Any:
    """``mlflow server --app-name trackcheck``."""
    return _started(basic_auth=False)


def create_app_with_basic_auth() -> Any:
    """``mlflow server --app-name trackcheck-basic-auth``: MLflow's basic-auth in front."""
    return _started(basic_auth=True)


def _started(basic_auth: bool) -> Any:
    try:
        return _build(basic_auth)
    except StartupError as e:
        sys.stderr.write(f"trackcheck guard: {e}\n")
        raise SystemExit(1) from None
