"""The guard never runs half-configured: a bad policy or no SQL database for the ledger stops
the server with one line, not a traceback and not an unguarded registry."""

from __future__ import annotations

from pathlib import Path

import pytest

from trackcheck.guard.app import StartupError, ledger_uri


def test_the_ledger_goes_where_the_operator_says_or_in_the_sql_backend() -> None:
    store = {"_MLFLOW_SERVER_FILE_STORE": "postgresql://u@db/mlflow"}
    assert ledger_uri(store) == "postgresql://u@db/mlflow"
    assert ledger_uri({**store, "_MLFLOW_SERVER_REGISTRY_STORE": "sqlite:///r.db"}) == \
        "sqlite:///r.db"
    assert ledger_uri({"_MLFLOW_SERVER_FILE_STORE": "postgresql+psycopg2://u@db/m"}).startswith(
        "postgresql+psycopg2")
    assert ledger_uri({"_MLFLOW_SERVER_FILE_STORE": "./mlruns",
                       "TRACKCHECK_LEDGER_URI": "sqlite:///l.db"}) == "sqlite:///l.db"
    with pytest.raises(StartupError, match="TRACKCHECK_LEDGER_URI"):
        ledger_uri({"_MLFLOW_SERVER_FILE_STORE": "./mlruns"})


def test_a_bad_policy_stops_the_app_with_one_line(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    # what uvicorn's worker runs; it exits without printing more (checked by hand with
    # `mlflow server --app-name trackcheck`, which then stops)
    from trackcheck.guard.app import create_app

    monkeypatch.setenv("TRACKCHECK_POLICY", str(tmp_path / "missing.yaml"))
    with pytest.raises(SystemExit) as info:
        create_app()
    assert info.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("trackcheck guard: invalid guard policy:") and err.count("\n") == 1
    assert "policy file not found" in err


def test_a_file_store_without_a_ledger_uri_stops_the_app(monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    from trackcheck.guard.app import create_app

    monkeypatch.delenv("TRACKCHECK_POLICY", raising=False)
    monkeypatch.delenv("TRACKCHECK_LEDGER_URI", raising=False)
    monkeypatch.setenv("_MLFLOW_SERVER_FILE_STORE", "./mlruns")
    monkeypatch.delenv("_MLFLOW_SERVER_REGISTRY_STORE", raising=False)
    with pytest.raises(SystemExit):
        create_app()
    assert "set TRACKCHECK_LEDGER_URI" in capsys.readouterr().err
