"""TC171 tracking-uri-in-code: PASS/FAIL tables of small Python sources, parsed, never imported."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from tests.conftest import codes, findings_for, lint_text
from trackcheck.cli import FORMATS, main
from trackcheck.lint.rules.tc171_tracking_uri_in_code import RULE

PY = "src/project/train.py"
DAPI = "dapi" + "a4c123b1612dd272d1371c17149d4395"  # split: no scanner takes this file for a leak

FAIL = [
    ('import mlflow\nmlflow.set_tracking_uri("https://mlflow.example.com")\n',
     "mlflow.set_tracking_uri"),
    ("from mlflow import set_tracking_uri\nset_tracking_uri('databricks')\n", "set_tracking_uri"),
    ('import mlflow\nmlflow.set_tracking_uri(uri="http://10.1.2.3:5000")\n',
     "mlflow.set_tracking_uri"),
    ('import mlflow\nmlflow.set_registry_uri("databricks-uc")\n', "mlflow.set_registry_uri"),
    ('from mlflow import MlflowClient\nc = MlflowClient("https://mlflow.example.com")\n',
     "MlflowClient"),
    ('from mlflow.tracking import MlflowClient\n'
     'c = MlflowClient(tracking_uri=uri, registry_uri="databricks-uc")\n', "MlflowClient"),
    ('import mlflow\nc = mlflow.MlflowClient(None, "https://reg.example.com")\n',
     "mlflow.MlflowClient"),
    ('import os\nos.environ["MLFLOW_TRACKING_URI"] = "https://mlflow.example.com"\n',
     "MLFLOW_TRACKING_URI"),
    ('import os\nos.environ.setdefault("MLFLOW_TRACKING_URI", "databricks")\n',
     "MLFLOW_TRACKING_URI"),
    ('import os\nos.environ.update({"MLFLOW_REGISTRY_URI": "databricks-uc"})\n',
     "MLFLOW_REGISTRY_URI"),
    ('import os\nos.environ.update(MLFLOW_TRACKING_URI="https://mlflow.example.com")\n',
     "MLFLOW_TRACKING_URI"),
    ('from os import environ\nenviron["MLFLOW_TRACKING_URI"] = "https://m.example.com"\n',
     "MLFLOW_TRACKING_URI"),
    ('import mlflow\nmlflow.set_tracking_uri(f"https://mlflow.example.com/{workspace}")\n',
     "mlflow.set_tracking_uri"),  # scheme and host written out
    ('import mlflow\nmlflow.set_tracking_uri("https://mlflow.example.com/" + path)\n',
     "mlflow.set_tracking_uri"),
    ('import os\nos.environ["MLFLOW_TRACKING_PASSWORD"] = "Hunter2-Secret-99"\n',
     "MLFLOW_TRACKING_PASSWORD"),
    ('def setup(cfg):\n    import mlflow\n    if cfg.remote:\n'
     '        mlflow.set_tracking_uri("https://mlflow.example.com")\n', "mlflow.set_tracking_uri"),
    # local stores and loopback servers: committed code pins no tracking URI at all
    ("import mlflow\nmlflow.set_tracking_uri('file:./mlruns')\n", "mlflow.set_tracking_uri"),
    ("import mlflow\nmlflow.set_tracking_uri('sqlite:///mlflow.db')\n", "mlflow.set_tracking_uri"),
    ("import mlflow\nmlflow.set_tracking_uri('http://127.0.0.1:5000')\n",
     "mlflow.set_tracking_uri"),
    ("import mlflow\nmlflow.set_tracking_uri('http://localhost:5000')\n",
     "mlflow.set_tracking_uri"),
    ("import mlflow\nmlflow.set_tracking_uri('mlruns')\n", "mlflow.set_tracking_uri"),
    ("import mlflow\nmlflow.set_tracking_uri('/tmp/tracking')\n", "mlflow.set_tracking_uri"),
    ("from mlflow import MlflowClient\nc = MlflowClient('file:///srv/mlruns')\n", "MlflowClient"),
    ("import os\nos.environ['MLFLOW_TRACKING_URI'] = 'file:./mlruns'\n", "MLFLOW_TRACKING_URI"),
    # literals built in code
    ("import os, mlflow\nmlflow.set_tracking_uri('file:/' + os.path.join(os.getcwd(), 'mlruns'))\n",
     "mlflow.set_tracking_uri"),
    ("import os, mlflow\nmlflow.set_tracking_uri(os.path.join(root, 'mlruns'))\n",
     "mlflow.set_tracking_uri"),
    ("import os, mlflow\nmlflow.set_tracking_uri(os.path.join(root, 'tracking'))\n",
     "mlflow.set_tracking_uri"),  # a path by construction
    ("import mlflow\nfrom pathlib import Path\nmlflow.set_tracking_uri(Path.cwd() / 'mlruns')\n",
     "mlflow.set_tracking_uri"),
    ("import mlflow\nfrom pathlib import Path\n"
     "mlflow.set_tracking_uri(Path(root, 'mlruns').resolve().as_uri())\n",
     "mlflow.set_tracking_uri"),
    ("import mlflow\nmlflow.set_tracking_uri(f'sqlite:///{root}/mlflow.db')\n",
     "mlflow.set_tracking_uri"),
    ("import mlflow\nmlflow.set_tracking_uri(f'file:{root}')\n", "mlflow.set_tracking_uri"),
    ("import mlflow\nmlflow.set_tracking_uri(f'http://{host}:5000')\n",
     "mlflow.set_tracking_uri"),  # the scheme and port are the code's
    ("import mlflow\nmlflow.set_tracking_uri('http://%s:5000' % host)\n",
     "mlflow.set_tracking_uri"),
    ("import mlflow\nmlflow.set_tracking_uri('http://{}:{}'.format(host, port))\n",
     "mlflow.set_tracking_uri"),
    ("import mlflow\nmlflow.set_tracking_uri(str(ROOT / 'mlruns'))\n", "mlflow.set_tracking_uri"),
    # module constants and names bound once
    ('import mlflow\nURI = "http://mlflow.example.com"\nmlflow.set_tracking_uri(URI)\n',
     "mlflow.set_tracking_uri"),
    ('import mlflow\nSTORE = "mlruns"\nURI = f"file:./{STORE}"\n\n\ndef main():\n'
     '    mlflow.set_tracking_uri(uri=URI)\n', "mlflow.set_tracking_uri"),
    ('import mlflow\n\n\ndef main():\n    uri = "file:./mlruns"\n'
     '    mlflow.set_tracking_uri(uri)\n', "mlflow.set_tracking_uri"),
    ('import os\nDEFAULT: str = "sqlite:///mlflow.db"\n'
     'os.environ.setdefault("MLFLOW_TRACKING_URI", DEFAULT)\n', "MLFLOW_TRACKING_URI"),
    # aliased imports
    ("from mlflow import set_tracking_uri as stu\nstu('file:./mlruns')\n", "stu"),
    ("import mlflow as mf\nmf.set_tracking_uri('http://127.0.0.1:5000')\n", "mf.set_tracking_uri"),
    ("from mlflow.tracking import MlflowClient as Client\nc = Client('http://m.example.com')\n",
     "Client"),
    ("from mlflow import MlflowClient\nc = MlflowClient(tracking_uri='file:./mlruns')\n",
     "MlflowClient"),
    # a fallback in code: the default pins a store wherever the variable is unset
    ('import os\nuri = os.environ.get("MLFLOW_TRACKING_URI", "file:./mlruns")\n',
     "MLFLOW_TRACKING_URI"),
    ('import os\nuri = os.getenv("MLFLOW_TRACKING_URI", "http://localhost:5000")\n',
     "MLFLOW_TRACKING_URI"),
    ('from os import getenv\nuri = getenv("MLFLOW_TRACKING_URI", default="sqlite:///m.db")\n',
     "MLFLOW_TRACKING_URI"),
    ('import os, mlflow\nmlflow.set_tracking_uri(os.getenv("MLFLOW_TRACKING_URI", "mlruns"))\n',
     "MLFLOW_TRACKING_URI"),  # once: the default, not the call around it
    ('import os\nuri = os.environ.get("MLFLOW_REGISTRY_URI", "databricks-uc")\n',
     "MLFLOW_REGISTRY_URI"),
    ('import os, mlflow\nmlflow.set_tracking_uri(os.getenv("MLFLOW_TRACKING_URI") or "mlruns")\n',
     "mlflow.set_tracking_uri"),
    ('import os\nBASE = os.getcwd()\n'
     'uri = os.environ.get("MLFLOW_TRACKING_URI", os.path.join(BASE, "mlruns"))\n',
     "MLFLOW_TRACKING_URI"),
]
PASS = [
    "import os, mlflow\nmlflow.set_tracking_uri(os.environ['MLFLOW_TRACKING_URI'])\n",
    "import os, mlflow\nmlflow.set_tracking_uri(os.getenv('MLFLOW_TRACKING_URI'))\n",
    "import mlflow\nmlflow.set_tracking_uri(cfg.mlflow.tracking_uri)\n",
    "import mlflow\nmlflow.set_tracking_uri(uri)\n",
    "import mlflow\nmlflow.set_tracking_uri(f'{uri}')\n",  # an f-string of names only
    "import mlflow\nmlflow.set_tracking_uri(f'{base}/api')\n",  # names no scheme, store, path
    "import mlflow\nmlflow.set_tracking_uri('%s' % uri)\n",
    "import mlflow\nmlflow.set_tracking_uri('')\n",
    "import mlflow\nmlflow.set_tracking_uri('<your-tracking-uri>')\n",
    "from mlflow import MlflowClient\nc = MlflowClient()\n",
    "import os\nos.environ['MLFLOW_TRACKING_URI'] = args.tracking_uri\n",
    "import os\nuri = os.environ['MLFLOW_TRACKING_URI']\n",
    "import os\nos.environ['MLFLOW_EXPERIMENT_NAME'] = 'churn'\n",
    "import os\nos.environ['MLFLOW_TRACKING_TOKEN'] = token\n",
    "import os\nos.environ['MLFLOW_TRACKING_TOKEN'] = ''\n",
    "import os\nos.environ['MLFLOW_TRACKING_TOKEN'] = '<your-token>'\n",
    'text = "mlflow.set_tracking_uri(\\"https://mlflow.example.com\\")"\n',  # text, not a call
    "# mlflow.set_tracking_uri('https://mlflow.example.com')\n",
    "client.set_tag('tracking_uri', 'https://mlflow.example.com')\n",
    # a parameter, or a name bound more than once, is not a constant
    "import mlflow\n\n\ndef main(uri='file:./mlruns'):\n    mlflow.set_tracking_uri(uri)\n",
    "import mlflow\nURI = 'file:./mlruns'\nURI = os.environ['MLFLOW_TRACKING_URI']\n"
    "mlflow.set_tracking_uri(URI)\n",
    "import mlflow\nif debug:\n    uri = 'file:./mlruns'\nelse:\n    uri = cfg.uri\n"
    "mlflow.set_tracking_uri(uri)\n",
    # env reads: no default, an empty one, a variable that is no URI, a default that names none
    "import os\nuri = os.environ.get('MLFLOW_TRACKING_URI')\n",
    "import os\nuri = os.environ.get('MLFLOW_TRACKING_URI', '')\n",
    "import os\nuri = os.getenv('MLFLOW_TRACKING_URI', None)\n",
    "import os\nuri = os.getenv('MLFLOW_TRACKING_URI', default_uri)\n",
    "import os\nprint(os.environ.get('MLFLOW_TRACKING_URI', 'not set'))\n",
    "import os\nenv = os.getenv('ENV', 'dev')\nexp = os.getenv('EXPERIMENT_URI_SUFFIX', 'x')\n",
    "import os\ndata = os.getenv('DATA_DIR', './data')\n",
]
@pytest.mark.parametrize(("source", "key"), FAIL)
def test_flags(source: str, key: str) -> None:
    (f,) = findings_for("TC171", source, PY)
    assert f.key == key and f.path == PY and f.line and f.column and f.severity.value == "error"
    assert "Hunter2" not in f.message and "dapi" not in f.message


@pytest.mark.parametrize("source", PASS)
def test_passes(source: str) -> None:
    assert findings_for("TC171", source, PY) == []


def test_positions() -> None:
    src = "import mlflow\n\n\nclient = mlflow.MlflowClient(\n    tracking_uri='databricks')\n"
    (f,) = findings_for("TC171", src, PY)
    assert (f.line, f.column) == (5, 18)
    src = "import mlflow\nif x:\n    mlflow.set_tracking_uri('databricks')\n"
    (f,) = findings_for("TC171", src, PY)
    assert (f.line, f.column) == (3, 5)


@pytest.mark.parametrize("source", [
    "def broken(:\n    mlflow.set_tracking_uri('https://mlflow.example.com')\n",
    "mlflow.set_tracking_uri('https://mlflow.example.com'\n",
    "x = '" + "\\xff" * 3 + "\nMlflowClient(\n",
    "(" * 5000 + "MlflowClient" + ")" * 5000 + "\n",
])
def test_code_that_does_not_parse_is_skipped(source: str) -> None:
    report = lint_text(source, PY)
    assert report.findings == []


def test_long_concatenation_does_not_recurse() -> None:
    def src(n: int) -> str:
        return ("import mlflow\nmlflow.set_tracking_uri('https://m.example.com/' + "
                + " + ".join(["a"] * n) + ")\n")

    # as deep as Python's own parser goes: reading the literal head must not recurse
    assert [f.rule for f in lint_text(src(990), PY).findings] == ["TC171"]
    assert lint_text(src(5000), PY).findings == []  # too deep for ast: skipped, no crash


def test_suppressions_are_real_comments_only() -> None:
    src = ("import mlflow\n"
           "mlflow.set_tracking_uri('databricks')  # trackcheck: ignore[TC171] reason=\"nb\"\n"
           "EXAMPLE = '# trackcheck: ignore[TC999]'\n"
           "DOC = '''\n# trackcheck: ignore\n'''\n")
    report = lint_text(src, PY)
    assert report.findings == []  # no TC005 for text inside strings
    assert [f.rule for f in report.suppressed] == ["TC171"]
    assert codes("x = 1  # trackcheck: ignore[TC171]\n", PY) == ["TC005"]


def test_only_python_files() -> None:
    assert findings_for("TC171", "cmd: mlflow.set_tracking_uri('databricks')\n") == []


def _python_block(section: str) -> str:
    m = re.search(r"```python\n(.*?)```", RULE.section(section), re.S)
    assert m, section
    return m.group(1)


def test_doc_examples() -> None:
    assert len(findings_for("TC171", _python_block("Example"), "train.py")) == 1
    assert codes(_python_block("Use instead"), "train.py") == []


def test_secret_in_code_is_never_printed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    (tmp_path / "train.py").write_text(
        f"import os\nos.environ['DATABRICKS_TOKEN'] = '{DAPI}'\n"
        "os.environ['MLFLOW_TRACKING_URI'] = 'https://app:Pw-Secret-77@mlflow.example.com'\n")
    monkeypatch.chdir(tmp_path)
    for fmt in FORMATS:
        assert main(["lint", "train.py", "--format", fmt]) == 1
        out, err = capsys.readouterr()
        assert "TC171" in out
        for secret in (DAPI, DAPI[4:], "Pw-Secret-77"):
            assert secret not in out and secret not in err, fmt


@pytest.mark.parametrize(("source", "message"), [
    ("import mlflow\nmlflow.set_tracking_uri('file:./mlruns')\n",
     "code pins the tracking URI in mlflow.set_tracking_uri(): a local file store; leave it to "
     "MLFLOW_TRACKING_URI"),
    ("import mlflow\nmlflow.set_registry_uri('sqlite:///r.db')\n",
     "code pins the registry URI in mlflow.set_registry_uri(): a local SQLite store; leave it to "
     "MLFLOW_REGISTRY_URI"),
    ("import mlflow\nmlflow.set_tracking_uri('http://127.0.0.1:5000')\n",
     "code pins the tracking URI in mlflow.set_tracking_uri(): a loopback server; leave it to "
     "MLFLOW_TRACKING_URI"),
    ("import mlflow\nmlflow.set_tracking_uri(f'http://{host}:5000')\n",
     "code builds the tracking URI in mlflow.set_tracking_uri(): a server URI built in code; "
     "leave it to MLFLOW_TRACKING_URI"),
    ("import os, mlflow\nmlflow.set_tracking_uri(os.path.join(root, 'mlruns'))\n",
     "code builds the tracking URI in mlflow.set_tracking_uri(): a local store; leave it to "
     "MLFLOW_TRACKING_URI"),
    ("import os\nu = os.environ.get('MLFLOW_TRACKING_URI', 'file:./mlruns')\n",
     "the default of os.environ.get('MLFLOW_TRACKING_URI') pins a local file store wherever the "
     "variable is unset; drop the default"),
    ("import os\nos.environ['MLFLOW_TRACKING_URI'] = 'mlruns'\n",
     "code sets 'MLFLOW_TRACKING_URI' in os.environ to a local store; leave it to the "
     "environment"),
])
def test_messages(source: str, message: str) -> None:
    (f,) = findings_for("TC171", source, PY)
    assert f.message == message


def test_env_default_position_is_the_default() -> None:
    src = "import os\nuri = os.getenv(\n    'MLFLOW_TRACKING_URI',\n    'file:./mlruns')\n"
    (f,) = findings_for("TC171", src, PY)
    assert (f.line, f.column, f.key) == (4, 5, "MLFLOW_TRACKING_URI")


def test_token_put_in_environ_is_left_to_tc110() -> None:
    src = f'import os\nos.environ["DATABRICKS_TOKEN"] = "{DAPI}"\n'
    assert findings_for("TC171", src, PY) == []
    assert codes(src, PY) == ["TC110"]


def test_uri_with_password_is_secret() -> None:
    src = "import mlflow\nmlflow.set_tracking_uri('https://app:Pw-Secret-77@m.example.com')\n"
    report = lint_text(src, PY)
    assert [f.rule for f in report.findings] == ["TC171"]
    assert any("Pw-Secret-77" in s for s in report.secrets)
    assert "Pw-Secret-77" not in report.findings[0].message


def test_a_policy_uri_key_is_read_in_code() -> None:
    from trackcheck.policy import load_policy

    policy = replace(load_policy("default")[0], uri_keys=["MY_STORE_URI"])
    src = "import os\nos.environ['MY_STORE_URI'] = 'file:./mlruns'\n" \
          "u = os.getenv('MLFLOW_TRACKING_URI', 'file:./x')\n"
    assert [f.key for f in findings_for("TC171", src, PY, policy=policy)] == ["MY_STORE_URI"]
