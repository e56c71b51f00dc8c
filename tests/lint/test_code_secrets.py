"""Secrets in code (SPEC, "Secrets in code"): TC110, TC103 and TC111 over Python and shell
sources, one finding per concern with TC171, and what the reading costs."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import assert_secret_hidden, codes, findings_for, lint_text
from trackcheck.lint import codestrings, pysource
from trackcheck.lint.context import LintContext
from trackcheck.lint.document import Document
from trackcheck.policy import load_policy

# fake tokens in the providers' shapes, split so that no scanner mistakes this file for a leak
DAPI = "dapi" + "a4c123b1612dd272d1371c17149d4395"
HF = "hf_" + "2mZp0zVZomHFwUbbYrEqmSM9wCZ7Uw9xfo"
GHP = "ghp_" + "gLKOmxgJTeKdNnFRIBXuDL7DxtpYlSXpfKtH"
PW = "S3cret-" + "Pw-77"  # a password no word list holds
PY = "src/project/db.py"
SH = "scripts/train.sh"

# --- TC110: known tokens anywhere in the text ------------------------------------------
TC110_FAIL = [  # (source, file, key)
    (f'DATABRICKS_TOKEN = "{DAPI}"\n', PY, "DATABRICKS_TOKEN"),
    (f'client = Client(token="{HF}")\n', PY, "token"),
    (f'headers = {{"Authorization": "Bearer {DAPI[4:]}"}}\n', PY, "Authorization"),
    (f'requests.get(url, auth=("me", "{GHP}"))\n', PY, "auth"),
    (f'login("{HF}")\n', PY, "login"),  # a bare literal: under the call
    (f'import os\nos.environ["DATABRICKS_TOKEN"] = "{DAPI}"\n', PY, "DATABRICKS_TOKEN"),
    (f'url = f"https://{{user}}:{GHP}@github.com/org/repo.git"\n', PY, "url"),
    (f"# old token: {DAPI}\nx = 1\n", PY, ""),  # in a comment
    (f'def broken(:\n    token = "{DAPI}"\n', PY, ""),  # a file that does not parse
    (f"export HF_TOKEN={HF}\n", SH, "HF_TOKEN"),
    (f'curl -H "Authorization: Bearer {DAPI[4:]}" https://api.example.com\n', SH, "curl"),
    (f"huggingface-cli login --token {HF}\n", SH, "token"),
    (f"# export HF_TOKEN={HF}\n", SH, ""),
]


@pytest.mark.parametrize(("source", "rel", "key"), TC110_FAIL)
def test_tc110_in_code(source: str, rel: str, key: str) -> None:
    (f,) = findings_for("TC110", source, rel)
    assert (f.path, f.key) == (rel, key) and f.line and f.column
    assert DAPI[4:] not in f.message and HF not in f.message and GHP not in f.message


def test_tc110_position_is_the_token() -> None:
    src = f'x = 1\nTOKEN = "{DAPI}"  # é\ny = "é {HF}"\n'
    found = [(f.line, f.column) for f in findings_for("TC110", src, PY)]
    assert found == [(2, 10), (3, 8)]  # character columns, not bytes


# --- TC103: URIs with a password ------------------------------------------------------
TC103_FAIL = [
    (f'DB_URL = "postgresql://app:{PW}@db.internal:5432/app"\n', PY, "DB_URL"),
    (f'engine = create_engine("mysql://root:{PW}@localhost/app")\n', PY, "create_engine"),
    (f'url = f"postgresql://app:{PW}@{{host}}/app"\n', PY, "url"),  # the host filled in later
    (f'url = "postgresql://app:{PW}@" + host + "/app"\n', PY, "url"),
    (f'"""Connect with postgresql://app:{PW}@db/app."""\n', PY, ""),
    (f'def broken(:\n    url = "postgresql://app:{PW}@db/app"\n', PY, ""),
    (f"psql postgresql://app:{PW}@db/app -c 'select 1'\n", SH, "psql"),
    (f'export DATABASE_URL="postgresql://app:{PW}@db/app"\n', SH, "DATABASE_URL"),
    (f"mlflow server --backend-store-uri postgresql://app:{PW}@db/mlflow\n", SH,
     "backend-store-uri"),
]
TC103_PASS = [
    ('url = f"postgresql://{user}:{password}@{host}/app"\n', PY),
    ('url = "postgresql://{user}:{password}@{host}/app".format(**cfg)\n', PY),
    ('url = "postgresql://%s:%s@%s/app" % (user, pw, host)\n', PY),
    ('url = "postgresql://app:" + os.environ["PW"] + "@db/app"\n', PY),
    ('"""Example: postgresql://user:password@localhost/db"""\n', PY),  # documentation's
    ("url = 'https://user@example.com/path'\n", PY),
    ("# postgresql://app:secret-in-a-comment@db/app\nx = 1\n", PY),  # comments: not literals
    ('psql "postgresql://app:$DB_PASSWORD@db/app"\n', SH),
    ("psql postgresql://app:${DB_PASSWORD}@db/app\n", SH),
]


@pytest.mark.parametrize(("source", "rel", "key"), TC103_FAIL)
def test_tc103_in_code(source: str, rel: str, key: str) -> None:
    (f,) = findings_for("TC103", source, rel)
    assert (f.path, f.key) == (rel, key) and f.line and f.column
    assert PW not in f.message and ":****@" in f.message


@pytest.mark.parametrize(("source", "rel"), TC103_PASS)
def test_tc103_in_code_passes(source: str, rel: str) -> None:
    assert findings_for("TC103", source, rel) == []


# --- TC111: values given to secret-like names -------------------------------------------
TC111_FAIL = [
    ('DB_PASSWORD = "hunter2"\n', PY, "DB_PASSWORD"),
    ('class Client:\n    def __init__(self):\n        self.api_key = "abc-123-xyz"\n', PY,
     "api_key"),
    ('CONFIG = {"host": "db", "password": "hunter2"}\n', PY, "password"),
    ('conn = psycopg2.connect(host="db", password="hunter2")\n', PY, "password"),
    ('def connect(host, password="hunter2"):\n    pass\n', PY, "password"),
    ('def connect(*, api_key: str = "abc-123-xyz"):\n    pass\n', PY, "api_key"),
    ('api_key: str = "abc-123-xyz"\n', PY, "api_key"),
    ('user, password = "admin", "hunter2"\n', PY, "password"),
    ('password = os.environ.get("DB_PASSWORD") or "hunter2"\n', PY, "password"),
    ('pw = os.getenv("DB_PASSWORD", "hunter2")\n', PY, "DB_PASSWORD"),  # a fallback
    ('auth_token = f"Bearer abc123def456{suffix}"\n', PY, "auth_token"),  # text of its own
    ('settings["secret_key"] = "hunter2"\n', PY, "secret_key"),
    ("export DB_PASSWORD=hunter2\n", SH, "DB_PASSWORD"),
    ("DB_PASSWORD='hunter2' python train.py\n", SH, "DB_PASSWORD"),
    ("env MLFLOW_TRACKING_PASSWORD=hunter2 mlflow runs list\n", SH, "MLFLOW_TRACKING_PASSWORD"),
    ("local api_key=abc-123-xyz\n", SH, "api_key"),
]
TC111_PASS = [
    ('DB_PASSWORD = ""\n', PY),
    ('TOKEN = "<your-token>"\n', PY),
    ('api_key = os.environ["API_KEY"]\n', PY),
    ('api_key = os.getenv("API_KEY")\n', PY),
    ('password = os.getenv("DB_PASSWORD", "")\n', PY),
    ('secret = f"{prefix}{value}"\n', PY),
    ('auth_token = f"Bearer {token}"\n', PY),  # only an auth scheme of its own
    ('password = "{}".format(pw)\n', PY),
    ('password_file = "/run/secrets/db_password"\n', PY),
    ('token = "/run/secrets/token"\n', PY),  # the file a secret lives in
    ('use_token = "true"\n', PY),
    ('pad_token = "[PAD]"\nmax_tokens = 512\ntokenizer = load("bert-base")\n', PY),
    ('password: str = "str"\n', PY),  # a type name
    ('parser.add_argument("--password", help="the database password")\n', PY),
    ('if password == "hunter2":\n    pass\n', PY),  # a comparison gives no value
    ('print("password", "hunter2")\n', PY),
    ("export DB_PASSWORD=$DB_PASSWORD\n", SH),
    ('export DB_PASSWORD="${DB_PASSWORD}"\n', SH),
    ("export DB_PASSWORD=$(cat /run/secrets/db)\n", SH),
    ("export DB_PASSWORD=\n", SH),
    ("python train.py db.password=hunter2\n", SH),  # an override: TC170's
    ("mysql --password hunter2\n", SH),  # an option: TC170's
    ("echo DB_PASSWORD=hunter2\n", SH),  # an argument, not a variable
    ('PASS = ["a = 1", "b = 2"]\nSECRET = ("db_password", "api_key")\n', PY),  # tables of words
    ('FORMATS = {"GitHub token": ("ghp_", "gho_")}\n', PY),  # a label, not a name
]


@pytest.mark.parametrize(("source", "rel", "key"), TC111_FAIL)
def test_tc111_in_code(source: str, rel: str, key: str) -> None:
    (f,) = findings_for("TC111", source, rel)
    assert (f.path, f.key) == (rel, key) and f.line and f.column
    assert "hunter2" not in f.message and "abc-123" not in f.message


@pytest.mark.parametrize(("source", "rel"), TC111_PASS)
def test_tc111_in_code_passes(source: str, rel: str) -> None:
    assert findings_for("TC111", source, rel) == []


def test_tc111_list_of_secrets() -> None:
    found = findings_for("TC111", 'API_KEYS = ["abc-123-xyz", "def-456-uvw"]\n', PY)
    assert [(f.key, f.column) for f in found] == [("API_KEYS", 13), ("API_KEYS", 28)]


def test_tc111_messages() -> None:
    (f,) = findings_for("TC111", 'pw = os.getenv("DB_PASSWORD", "hunter2")\n', PY)
    assert f.message == ("secret-like 'DB_PASSWORD' falls back to a literal value when the "
                         "variable is unset; drop the default")
    (f,) = findings_for("TC111", "export DB_PASSWORD=hunter2\n", SH)
    assert f.message.startswith("script sets secret-like 'DB_PASSWORD'")
    assert (f.line, f.column) == (1, 8)


# --- one finding per concern --------------------------------------------------------------
@pytest.mark.parametrize(("source", "expected"), [
    # a token is TC110 only: not TC171 in os.environ, not TC111 under a secret name, not TC103
    (f'import os\nos.environ["DATABRICKS_TOKEN"] = "{DAPI}"\n', ["TC110"]),
    (f'DATABRICKS_TOKEN = "{DAPI}"\n', ["TC110"]),
    (f'url = "https://me:{GHP}@github.com/org/repo.git"\n', ["TC110"]),
    # a value TC171 reports is not also TC103 or TC111
    (f'import os\nos.environ["MLFLOW_TRACKING_URI"] = "https://app:{PW}@mlflow.example.com"\n',
     ["TC171"]),
    ('import os\nos.environ["MLFLOW_TRACKING_PASSWORD"] = "hunter2"\n', ["TC171"]),
    ('import os\nos.environ.update(MLFLOW_TRACKING_PASSWORD="hunter2")\n', ["TC171"]),
    (f'import mlflow\nURI = "https://app:{PW}@mlflow.example.com"\nmlflow.set_tracking_uri(URI)\n',
     ["TC171"]),
    (f'import os\nuri = os.getenv("MLFLOW_TRACKING_URI", "https://app:{PW}@m.example.com")\n',
     ["TC171"]),
    # what TC171 does not report stays the secret rules'
    (f'import os\nos.environ["DATABASE_URL"] = "postgresql://app:{PW}@db/app"\n', ["TC103"]),
    ('import os\nos.environ.setdefault("DB_PASSWORD", "hunter2")\n', ["TC171"]),
])
def test_one_finding_per_concern(source: str, expected: list[str]) -> None:
    assert codes(source, PY) == expected


# --- secrets never reach output -------------------------------------------------------
@pytest.mark.parametrize(("source", "rel", "secret"), [
    (f'TOKEN = "{DAPI}"\n', PY, DAPI),
    (f'URL = "postgresql://app:{PW}@db/app"\n', PY, PW),
    ('DB_PASSWORD = "Hunter2-Secret-99"\n', PY, "Hunter2-Secret-99"),
    (f'def broken(:\n    url = "postgresql://app:{PW}@db/app"\n', PY, PW),
    ("export DB_PASSWORD=Hunter2-Secret-99\n", SH, "Hunter2-Secret-99"),
    (f"export HF_TOKEN={HF}\n", SH, HF),
])
def test_secret_never_printed(source: str, rel: str, secret: str) -> None:
    report = lint_text(source, rel, select=("TC103", "TC110", "TC111"))
    assert all(f.rule in ("TC103", "TC110", "TC111") for f in report.findings)
    assert_secret_hidden(report, secret)


def test_suppression_on_the_line() -> None:
    src = f'TOKEN = "{DAPI}"  # trackcheck: ignore[TC110] reason="revoked"\n'
    report = lint_text(src, PY)
    assert report.findings == [] and [f.rule for f in report.suppressed] == ["TC110"]


# --- cost: files without a candidate are never parsed -----------------------------------
@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    real = pysource.parse

    def counting(text: str):  # type: ignore[no-untyped-def]
        seen.append(text)
        return real(text)

    monkeypatch.setattr(pysource, "parse", counting)
    return seen


@pytest.mark.parametrize("source", [
    "import torch\n\n\nclass Net:\n    pass\n\n\ndef f(x, tokens):\n    return x @ y\n",
    "# see https://example.com/docs for details\nEMAIL = 'me@example.com'\n",
    "tokenizer = load('bert')\nmax_tokens = 512\nif password_ok(x):\n    pass\n",
    "import os\nepochs = int(os.getenv('EPOCHS', '10'))\n",
])
def test_no_candidate_no_parse(source: str, parses: list[str]) -> None:
    assert codes(source, PY) == []
    assert parses == []


@pytest.mark.parametrize("source", [
    f'TOKEN = "{DAPI}"\n',
    'DB_PASSWORD = "hunter2"\n',
    f'URL = "postgresql://app:{PW}@db/app"\n',
    'import mlflow\nmlflow.set_tracking_uri("file:./mlruns")\n',
    f'import mlflow, os\nos.environ["DB_PASSWORD"] = "x"\nURL = "postgresql://a:{PW}@db/a"\n'
    f'TOKEN = "{DAPI}"\nmlflow.set_tracking_uri("mlruns")\n',
])
def test_a_candidate_is_parsed_once(source: str, parses: list[str]) -> None:
    assert codes(source, PY)
    assert len(parses) == 1  # every rule reads the same tree


# --- the located values themselves ------------------------------------------------------
def values(text: str, kind: str = "python") -> list[tuple[str, str, str]]:
    found = codestrings.values(Document(path="x", kind=kind, text=text))
    assert found is not None
    return [(s.text, s.key, s.role) for s in found]


P = pysource.PLACEHOLDER


@pytest.mark.parametrize(("text", "expected"), [
    ("a = 'x'", [("x", "a", "name")]),
    ("a.b.c = 'x'", [("x", "c", "name")]),
    ("d['k'] = 'x'", [("k", "", ""), ("x", "k", "name")]),
    ("f('x', k='y', **{'z': 'w'})", [("x", "f", ""), ("y", "k", "name"), ("z", "f", ""),
                                     ("w", "z", "name")]),
    ("obj.m('x')", [("x", "obj.m", "")]),
    ("g()('x')", [("x", "?", "")]),
    ("a = f'p{q}r'", [(f"p{P}r", "a", "name")]),
    ("a = 'p' + q + 'r'", [(f"p{P}r", "a", "name")]),
    ("a = ['x', ('y',)]", [("x", "a", "item"), ("y", "a", "item")]),
    ("os.getenv('V', 'x')", [("V", "os.getenv", ""), ("x", "V", "default")]),
    ("os.environ.get('V', default='x')", [("V", "os.environ.get", ""), ("x", "V", "default")]),
    ("a = b or 'x'", [("x", "a", "name")]),
    ("a = 'x' if c else 'y'", [("x", "a", "name"), ("y", "a", "name")]),
    ("a = f('x')", [("x", "f", "")]),
    ("'''doc'''", [("doc", "", "")]),
    ("x: 'Annotation' = 1", []),  # a type, not a value
    ("a = ''", []),
    ("a = b'bytes'", []),
])
def test_python_values(text: str, expected: list[tuple[str, str, str]]) -> None:
    assert values(text + "\n") == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("export A=b C=d", [("export", "export", ""), ("b", "A", "env"), ("d", "C", "env")]),
    ("A=b cmd x=y", [("b", "A", "env"), ("cmd", "cmd", ""), ("y", "x", "")]),
    ("env -i A=b cmd C=d", [("env", "env", ""), ("-i", "env", ""), ("b", "A", "env"),
                            ("cmd", "cmd", ""), ("d", "C", "")]),
    ("cmd --opt v w", [("cmd", "cmd", ""), ("--opt", "cmd", ""), ("v", "opt", ""),
                       ("w", "cmd", "")]),
    ("cmd +a.b=c", [("cmd", "cmd", ""), ("c", "a.b", "")]),
])
def test_shell_values(text: str, expected: list[tuple[str, str, str]]) -> None:
    assert values(text + "\n", "shell") == expected


def test_unparsable_python_has_no_values() -> None:
    assert codestrings.values(Document(path="x.py", kind="python", text="def f(:\n")) is None


def test_nested_values_are_not_read_twice() -> None:
    # the literal inside an f-string field is its own value, once
    assert values("a = f'x{g(\"y\")}z'\n") == [(f"x{P}z", "a", "name"), ("y", "g", "")]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_never_raises(tail: str) -> None:
    ctx = LintContext(load_policy("default")[0])
    for kind in ("python", "shell"):
        doc = Document(path="x", kind=kind, text=f'TOKEN = "{DAPI}"\nDB_PASSWORD = "x"\n' + tail)
        codestrings.values(doc)
        found = list(codestrings.tokens(doc, ctx.policy))
        assert found and found[0].text == DAPI
        list(codestrings.credential_uris(doc))
        list(codestrings.bindings(doc, ctx))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["é", "x", " ", "\n", "'a'", "#", DAPI, "𝔘"]), max_size=40))
def test_token_positions_point_at_the_token(parts: list[str]) -> None:
    text = "".join(parts)
    lines = text.split("\n")
    for t in codestrings.tokens(Document(path="x", kind="shell", text=text),
                                load_policy("default")[0]):
        assert lines[t.line - 1][t.column - 1:].startswith(t.text)
