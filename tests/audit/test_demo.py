"""The demo a newcomer runs first (``make demo``): it exits 0 and shows real findings."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_demo_lints_and_audits_a_throwaway_registry(tmp_path: Path) -> None:
    shutil.copytree(REPO / "config", tmp_path / "config")
    shutil.copytree(REPO / "policies", tmp_path / "policies")
    (tmp_path / ".demo").mkdir()
    (tmp_path / ".demo" / "stale.txt").write_text("from an earlier run")  # rebuilt every run
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    p = subprocess.run([sys.executable, "-m", "trackcheck.demo"], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=180)
    assert p.returncode == 0, p.stdout + p.stderr
    out = p.stdout
    assert "$ trackcheck lint config" in out
    assert "$ trackcheck audit --registry --tracking-uri sqlite:///.demo/mlflow.db" in out
    for code in ("TC201", "TC203", "TC206", "TC207"):
        assert f": {code} " in out, code
    assert "(exit 1)" in out and "on purpose" in out
    # the leaky copy shows lint findings with every secret masked
    for code in ("TC101", "TC103", "TC104", "TC131", "TC140"):
        assert f": {code} " in out, code
    assert "s3cr3t-pw" not in out + p.stderr
    assert "5f3a9c1e7b2d4068" not in out + p.stderr
    assert "Traceback" not in out + p.stderr
    assert not (tmp_path / ".demo" / "stale.txt").exists()
    assert (tmp_path / ".demo" / "mlflow.db").is_file()
    # the audit as a page, and a picture of it (make setup installs chromium)
    page = (tmp_path / ".demo" / "report.html").read_text("utf-8")
    assert 'data-name="churn-model"' in page and 'data-rule="TC201"' in page
    assert "The same audit as a page: .demo/report.html" in out
    assert "a picture of it: .demo/report.png" in out
    assert (tmp_path / ".demo" / "report.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert sorted(os.listdir(tmp_path)) == [".demo", "config", "policies"]  # nothing else written
