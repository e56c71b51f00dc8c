"""No registry write escapes the guard: MLflow's route table, its GraphQL mutations and its
registry store are enumerated here, so that a write MLflow adds in a new release fails a test
instead of slipping past the guard.

The guard judges writes in the one registry store instance the server holds, so a route needs
no listing of its own to be guarded. What could escape is (a) a store method the guard does not
wrap, (b) a second registry store built somewhere in the server, or (c) a route that writes
without the store. Each is checked against MLflow's own code.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import mlflow

from trackcheck.guard.store import NOT_JUDGED, WRITES, GuardedStore

SERVER = Path(mlflow.__file__).parent / "server"
READ = re.compile(r"^(get|search|list|supports)_|^(test_webhook)$")


def store_class(tmp_path: Path) -> type:
    from mlflow.server import handlers

    return type(handlers._model_registry_store_registry.get_store(
        f"sqlite:///{tmp_path / 'mlflow.db'}"))


def test_every_write_method_of_the_store_is_judged_or_listed_with_a_reason(
        tmp_path: Path) -> None:
    cls = store_class(tmp_path)
    public = {n for n, v in inspect.getmembers(cls, callable) if not n.startswith("_")}
    writes = {n for n in public if not READ.match(n)}
    unknown = sorted(writes - WRITES - set(NOT_JUDGED))
    assert not unknown, f"{cls.__name__} has write methods the guard does not know: {unknown}"
    assert WRITES <= public, sorted(WRITES - public)
    # every judged method is overridden by the guard itself, not inherited unjudged
    assert all(n in vars(GuardedStore) for n in WRITES)


def _calls(source: str) -> set[str]:
    return {n.func.attr if isinstance(n.func, ast.Attribute) else getattr(n.func, "id", "")
            for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Call)}


# places in MLflow's server that build a client or store of their own, each read and judged:
# none of them writes a registered model or a version outside the guarded store
OWN_CLIENTS = {
    ("handlers.py", "MlflowClient"): "genai evaluation job: create_run/set_tag/set_terminated",
    ("handlers.py", "get_store"): "_get_model_registry_store itself: builds THE store",
    ("auth/__init__.py", "SqlAlchemyStore"): "basic-auth's user store, not the registry",
}
BUILDERS = {"MlflowClient", "ModelRegistryClient", "get_store", "SqlAlchemyStore",
            "_get_registry_store"}


def test_no_second_registry_store_is_built_in_the_server() -> None:
    found = set()
    for path in SERVER.rglob("*.py"):
        rel = path.relative_to(SERVER).as_posix()
        calls = _calls(path.read_text("utf-8"))
        text = path.read_text("utf-8")
        for name in BUILDERS & calls:
            if name == "get_store" and "_model_registry" not in text:
                continue  # tracking or job stores
            found.add((rel, name))
    assert found == set(OWN_CLIENTS), sorted(found ^ set(OWN_CLIENTS))


def _write_methods_named(func: object) -> set[str]:
    try:
        source = inspect.getsource(inspect.unwrap(func))  # type: ignore[arg-type]
    except (OSError, TypeError):
        return set()
    return _calls(source.strip() if source.startswith(" ") else source) & (
        WRITES | set(NOT_JUDGED))


# every route that names a registry write: (route, method) -> the store method it reaches
REGISTRY_ROUTES = {
    "registered-models/create": "create_registered_model",
    "registered-models/rename": "rename_registered_model",
    "registered-models/update": "update_registered_model",
    "registered-models/delete": "delete_registered_model",
    "registered-models/set-tag": "set_registered_model_tag",
    "registered-models/delete-tag": "delete_registered_model_tag",
    "registered-models/alias": "set_registered_model_alias|delete_registered_model_alias",
    "model-versions/create": "create_model_version",
    "model-versions/update": "update_model_version",
    "model-versions/transition-stage": "transition_model_version_stage",
    "model-versions/delete": "delete_model_version",
    "model-versions/set-tag": "set_model_version_tag",
    "model-versions/delete-tag": "delete_model_version_tag",
}


def test_mlflows_route_table_holds_no_unknown_registry_write() -> None:
    from mlflow.server import app

    seen: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if not rule.methods - {"GET", "HEAD", "OPTIONS"}:
            continue
        named = _write_methods_named(app.view_functions[rule.endpoint]) & WRITES
        if named:
            tail = rule.rule.split("/mlflow/", 1)[-1]
            assert tail in REGISTRY_ROUTES, f"new registry write route {rule.rule}: {named}"
            assert named <= set(REGISTRY_ROUTES[tail].split("|")), (rule.rule, named)
            seen.setdefault(tail, set()).add(rule.rule.split("/")[1])
    # the REST API and the UI's ajax API both carry every registry write, and all are guarded
    assert set(seen) == set(REGISTRY_ROUTES)
    assert all(prefixes == {"api", "ajax-api"} for prefixes in seen.values()), seen


def test_the_fastapi_routes_write_no_registered_model() -> None:
    from mlflow.server import app
    from mlflow.server.fastapi_app import create_fastapi_app

    for route in create_fastapi_app(app).routes:
        if getattr(route, "methods", None) and route.methods - {"GET", "HEAD", "OPTIONS"}:
            assert not _write_methods_named(route.endpoint) & WRITES, route.path


def test_graphql_mutations_are_reads() -> None:
    from mlflow.server.graphql.graphql_schema_extensions import schema

    fields = set(schema.graphql_schema.mutation_type.fields)
    assert fields <= {"mlflowSearchDatasets", "mlflowSearchRuns", "testMutation"}, fields
