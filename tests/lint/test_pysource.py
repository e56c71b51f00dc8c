"""Python sources read with ``ast``: the calls found, literal arguments, and the TC132/TC133
checks on code."""

from __future__ import annotations

import ast
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trackcheck.lint import pysource
from trackcheck.lint.context import LintContext
from trackcheck.lint.document import Document
from trackcheck.lint.suppress import parse as parse_suppressions
from trackcheck.policy import load_policy


def doc(text: str, path: str = "src/train.py") -> Document:
    return Document(path=path, kind="python", text=text)


def found(text: str) -> list[tuple[str, str, str | None]]:
    return [(c.kind, c.key, c.value) for c in pysource.calls(doc(text))]


@pytest.mark.parametrize(("text", "expected"), [
    ("mlflow.set_tracking_uri('x://h')", [("tracking_uri", "set_tracking_uri", "x://h")]),
    ("mlflow.set_registry_uri(uri=u)", [("registry_uri", "set_registry_uri", None)]),
    ("MlflowClient('a', 'b')", [("tracking_uri", "tracking_uri", "a"),
                                ("registry_uri", "registry_uri", "b")]),
    ("MlflowClient(registry_uri='b')", [("registry_uri", "registry_uri", "b")]),
    ("MlflowClient()", []),
    ("os.environ['K'] = 'v'", [("env", "K", "v")]),
    ("os.environ['K'] = os.environ['J']", [("env", "K", None)]),
    ("os.environ[k] = 'v'", []),
    ("x = os.environ['K']", []),
    ("os.environ.setdefault('K', 'v')", [("env", "K", "v")]),
    ("os.putenv('K', 'v')", [("env", "K", "v")]),
    ("os.environ.update({'K': 'v', **other}, J=w)", [("env", "K", "v"), ("env", "J", None)]),
    ("c.transition_model_version_stage('m', 1, 'Production')",
     [("stage", "transition_model_version_stage", "Production")]),
    ("c.transition_model_version_stage(name='m', version=1, stage=s)",
     [("stage", "transition_model_version_stage", None)]),
    ("c.get_latest_versions('m', stages=['Production'])",
     [("stage", "get_latest_versions", None)]),
    ("c.get_latest_versions('m')", []),
    ("c.set_registered_model_alias('m', 'prod', 3)",
     [("alias", "set_registered_model_alias", "prod")]),
    ("c.set_registered_model_alias(name='m', alias=a, version=3)",
     [("alias", "set_registered_model_alias", None)]),
    ("print('mlflow.set_tracking_uri(\"x://h\")')", []),
    ("os.environ.get('X_URI', 'v')", [("env_default", "X_URI", "v")]),
    ("os.getenv('X_URI', default='v')", [("env_default", "X_URI", "v")]),
    ("os.getenv('X_URI')", []),
    ("from mlflow import set_tracking_uri as stu\nstu('x://h')",
     [("tracking_uri", "set_tracking_uri", "x://h")]),
    ("from mlflow import MlflowClient as C\nC(registry_uri='b')",
     [("registry_uri", "registry_uri", "b")]),
    ("from other import set_tracking_uri as stu\nstu('x://h')", []),  # not mlflow's
    ("A = 'prod'\nc.set_registered_model_alias('m', A, 1)",
     [("alias", "set_registered_model_alias", "prod")]),
    ("K = 'MLFLOW_TRACKING_URI'\nos.environ[K] = 'x://h'",
     [("env", "MLFLOW_TRACKING_URI", "x://h")]),
    ("mlflow.set_tracking_uri(os.getenv('U') or 'file:x')",
     [("tracking_uri", "set_tracking_uri", "file:x")]),
    ("mlflow.set_tracking_uri(a if c else f'{b}')", [("tracking_uri", "set_tracking_uri", None)]),
])
def test_calls(text: str, expected: list[tuple[str, str, str | None]]) -> None:
    assert found(text + "\n") == expected


@pytest.mark.parametrize(("expr", "value"), [
    ("'https://h/x'", "https://h/x"),
    ("'https://h/' 'x'", "https://h/x"),
    ("'a' + 'b'", "ab"),
    ("f'https://mlflow.corp/{p}'", None),  # a part filled in at run time: not whole
    ("'https://%s' % host", None),
    ("f'{uri}'", None),
    ("uri", None),
    ("os.environ['X']", None),
    ("get()", None),
    ("1", None),
    ("b'https://h'", None),
    ("''", None),
])
def test_literal(expr: str, value: str | None) -> None:
    node = ast.parse(expr, mode="eval").body
    assert pysource.literal(node) == value


P = pysource.PLACEHOLDER


@pytest.mark.parametrize(("expr", "text", "whole", "path"), [
    ("'file:./mlruns'", "file:./mlruns", True, False),
    ("f'https://mlflow.corp/{p}'", f"https://mlflow.corp/{P}", False, False),
    ("'https://mlflow.corp:5000/' + p", f"https://mlflow.corp:5000/{P}", False, False),
    ("'file:/' + os.path.join(os.getcwd(), 'mlruns')", f"file:/{P}/mlruns", False, True),
    ("os.path.join('a', 'b', c)", f"a/b/{P}", False, True),
    ("Path(root) / 'mlruns' / 'x'", f"{P}/mlruns/x", False, True),
    ("Path('mlruns').resolve().as_uri()", "file://mlruns", True, True),
    ("root.joinpath('mlruns')", f"{P}/mlruns", False, True),
    ("str(root / 'mlflow.db')", f"{P}/mlflow.db", False, True),
    ("'http://%s:%d' % (h, p)", f"http://{P}:{P}", False, False),
    ("'http://{host}:{0}'.format(h, p)", f"http://{P}:{P}", False, False),
    ("'100%' + x", f"100%{P}", False, False),  # a lone '%' is text
    ("'{\"json\": 1}'", '{"json": 1}', True, False),  # braces that are no format field
    ("f'{uri}'", None, None, None),
    ("a + b", None, None, None),
    ("x / 2", None, None, None),
    ("os.path.join(a, b)", None, None, None),
    ("cfg.uri", None, None, None),
    ("''", None, None, None),
])
def test_render(expr: str, text: str | None, whole: bool | None, path: bool | None) -> None:
    r = pysource.render(ast.parse(expr, mode="eval").body)
    assert (r.text, r.whole, r.path) == (text, whole, path) if r else text is None


def test_render_reads_constants_once_bound() -> None:
    tree = ast.parse("A = 'mlruns'\nB = f'file:./{A}'\nC = B\nLOOP = LOOP2\nLOOP2 = LOOP\n"
                     "D = 'x'\nD = 'y'\n")
    consts = pysource._constants(tree)
    assert set(consts) == {"A", "B", "C", "LOOP", "LOOP2"}  # D is bound twice: a variable

    def read(expr: str) -> str | None:
        r = pysource.render(ast.parse(expr, mode="eval").body, consts)
        return r.text if r else None

    assert read("C") == "file:./mlruns"
    assert read("LOOP") is None  # names that refer to each other end, with nothing
    assert read("D") is None


def test_render_sources_are_the_literals_read() -> None:
    tree = ast.parse("URI = 'http://h'\nx = URI + '/api'\n")
    consts = pysource._constants(tree)
    value = tree.body[1].value  # type: ignore[attr-defined]
    r = pysource.render(value, consts)
    assert r is not None and r.sources == {(1, 6), (2, 10)}


def test_positions_and_order() -> None:
    text = "import os\nif x:\n    os.environ['A'] = 'v'\nMlflowClient(\n    'u')\n"
    assert [(c.line, c.column) for c in pysource.calls(doc(text))] == [(3, 5), (5, 5)]


@pytest.mark.parametrize("text", ["def f(:\n    MlflowClient('x')\n", "MlflowClient('x'\n",
                                  "MlflowClient('x')\x00\n"])
def test_unparsable_is_empty(text: str) -> None:
    assert pysource.calls(doc(text)) == []


def test_only_relevant_files_are_parsed() -> None:
    assert not pysource.relevant("import os\nx = os.environ.get('A')\nos.environ['B'] == 'c'\n")
    assert pysource.relevant("os.environ['B'] = 'c'\n")
    assert pysource.relevant("from mlflow import MlflowClient\n")
    assert pysource.relevant("from mlflow import set_tracking_uri as stu\nstu('x')\n")
    assert pysource.relevant("import os\nu = os.environ.get('MLFLOW_TRACKING_URI', 'x')\n")
    assert pysource.relevant("from os import getenv\nu = getenv('MLFLOW_REGISTRY_URI', 'x')\n")
    assert not pysource.relevant("import os\nu = os.getenv('EPOCHS', '10')\n")
    assert not pysource.relevant("# the URI comes from the environment\nimport os\n")
    assert pysource.calls(Document(path="x.sh", kind="shell", text="MlflowClient('x')")) == []


def test_real_comments() -> None:
    text = ("x = 1  # trackcheck: ignore[TC171]\n"
            "s = '# trackcheck: ignore[TC171]'\n"
            "t = '''\n# trackcheck: ignore[TC171]\n'''\n"
            "u = '# trackcheck: ignore[TC1]'  # trackcheck: ignore[TC171]\n")
    sups = parse_suppressions(text)
    assert [s.line for s in pysource.real_comments(text, sups)] == [1]
    broken = "x = '''\n# trackcheck: ignore[TC171]\n"  # does not tokenize: keep them all
    assert len(pysource.real_comments(broken, parse_suppressions(broken))) == 1


CODE = """\
from mlflow import MlflowClient

client = MlflowClient()
client.transition_model_version_stage("churn", 3, "Production")
client.set_registered_model_alias("churn", "prod", 3)
client.set_registered_model_alias("churn", "staging", 3)
client.set_registered_model_alias("churn", alias, 3)
"""


def test_stage_and_promotion_hits() -> None:
    ctx = LintContext(load_policy("default")[0])
    (stage,) = pysource.stage_hits(doc(CODE), ctx)
    assert (stage.line, stage.key, stage.value) == (4, "client.transition_model_version_stage",
                                                    "Production")
    (promo,) = pysource.promotion_hits(doc(CODE, "src/project/train.py"), ctx)
    assert (promo.line, promo.value) == (5, "prod") and "training may declare: dev, staging" in \
        promo.message
    assert list(pysource.promotion_hits(doc(CODE, "scripts/promote.py"), ctx)) == []
    assert list(pysource.promotion_hits(doc(CODE, "train.py"), ctx))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=120))
def test_never_raises(tail: str) -> None:
    d = doc("MlflowClient('x')\nos.environ['A'] = 'b'\n" + tail)
    pysource.calls(d)
    pysource.real_comments(d.text, parse_suppressions(d.text))


def test_recursion_limit_untouched() -> None:
    limit = sys.getrecursionlimit()
    pysource.calls(doc("MlflowClient(" + "(" * 3000 + "1" + ")" * 3000 + ")\n"))
    assert sys.getrecursionlimit() == limit


def test_code_findings_through_the_linter() -> None:
    """TC133 and TC132 read Python sources through the same parse as TC171."""
    from tests.conftest import codes

    assert codes(CODE, "src/project/train.py") == ["TC133", "TC132"]
    assert codes(CODE, "scripts/promote.py") == ["TC133"]  # promotion outside training is fine
    assert codes("client.set_registered_model_alias('m', 'staging', 1)\n", "train.py") == []
    # an alias outside the policy is TC130's concern in config; in code it is not reported
    assert codes("client.set_registered_model_alias('m', 'champion', 1)\n", "train.py") == []


def test_parse_warnings_stay_quiet() -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert found("import re\nMlflowClient('x')\nPAT = '\\d+'\n") == [
            ("tracking_uri", "tracking_uri", "x")]
