"""TC003 duplicate-key: PASS/FAIL tables, checked against OmegaConf, which refuses such files."""

import pytest
from omegaconf import OmegaConf

from tests.conftest import findings_for

# (text, dotted keys reported, (line, column) of the first report)
FAIL = [
    ("a: 1\na: 2\n", ["a"], (2, 1)),
    ("mlflow:\n  experiment_name: x\n  run_name: y\n  experiment_name: z\n",
     ["mlflow.experiment_name"], (4, 3)),
    ("mlflow: {tags: {env: dev, env: prod}}\n", ["mlflow.tags.env"], (1, 27)),
    ("a: 1\na: 2\na: 3\n", ["a", "a"], (2, 1)),
    ("mlflow:\n  tags:\n    env: dev\n  tags:\n    env: prod\n", ["mlflow.tags"], (4, 3)),
    ("items:\n  - name: a\n    name: b\n", ["items[0].name"], (3, 5)),
]
PASS = [
    "a: 1\nb: 1\n",
    "mlflow:\n  tags: {env: dev}\nother:\n  tags: {env: dev}\n",
    "items:\n  - name: a\n  - name: a\n",
    "base: &base\n  env: dev\nmlflow:\n  <<: *base\n  env: prod\n",  # a merge key is overridden
    "A: 1\na: 1\n",  # keys are case-sensitive
]


@pytest.mark.parametrize(("text", "keys", "pos"), FAIL)
def test_flags(text: str, keys: list[str], pos: tuple[int, int]) -> None:
    with pytest.raises(Exception, match="(?i)duplicate"):
        OmegaConf.create(text)
    found = findings_for("TC003", text)
    assert [f.key for f in found] == keys
    assert (found[0].line, found[0].column) == pos
    assert "first given on line" in found[0].message


@pytest.mark.parametrize("text", PASS)
def test_passes(text: str) -> None:
    OmegaConf.create(text)
    assert findings_for("TC003", text) == []


def test_message_names_the_first_line_not_the_value() -> None:
    (f,) = findings_for("TC003", "db:\n  password: s3cret-one\n  password: s3cret-two\n")
    assert "line 2" in f.message and "s3cret" not in f.message


def test_non_hydra_yaml_too() -> None:
    text = "jobs:\n  test:\n    runs-on: a\n    runs-on: b\n"
    assert len(findings_for("TC003", text, ".github/workflows/ci.yaml")) == 1
