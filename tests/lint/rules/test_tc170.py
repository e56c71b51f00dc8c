"""TC170 tracking-uri-override: PASS/FAIL tables over scripts, Makefiles, Dockerfiles, CI files
and Hydra's saved overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import codes, findings_for, lint_text
from trackcheck.cli import FORMATS, main
from trackcheck.lint.rules.tc170_tracking_uri_override import RULE

# fake tokens in the providers' shapes, split so that no scanner mistakes this file for a leak
DAPI = "dapi" + "a4c123b1612dd272d1371c17149d4395"
HF = "hf_" + "2mZp0zVZomHFwUbbYrEqmSM9wCZ7Uw9xfo"
SH = "scripts/train.sh"

SHELL_FAIL = [
    ("python train.py mlflow.tracking_uri=https://mlflow.example.com\n", "mlflow.tracking_uri"),
    ("python train.py +mlflow.tracking_uri=http://10.0.0.5:5000\n", "mlflow.tracking_uri"),
    ("python train.py ++mlflow.registry_uri=databricks-uc\n", "mlflow.registry_uri"),
    ("python train.py tracking_uri=databricks\n", "tracking_uri"),
    ("python train.py logger.mlflow.tracking_uri='https://m.example.com'\n",
     "logger.mlflow.tracking_uri"),
    ('python train.py "mlflow.tracking_uri=\'https://m.example.com\'"\n', "mlflow.tracking_uri"),
    ("python train.py -m mlflow.tracking_uri=http://localhost:5000,https://m.example.com\n",
     "mlflow.tracking_uri"),  # a sweep: one choice is remote
    ("export MLFLOW_TRACKING_URI=https://mlflow.example.com\n", "MLFLOW_TRACKING_URI"),
    ("MLFLOW_TRACKING_URI=databricks python train.py\n", "MLFLOW_TRACKING_URI"),
    ("mlflow-tool --tracking-uri https://mlflow.example.com\n", "tracking-uri"),
    ("mlflow-tool --registry-uri=postgresql://db.example.com/reg\n", "registry-uri"),
    ("python train.py db.password=hunter2\n", "db.password"),
    ("python train.py \\\n    data=small \\\n    mlflow.tracking_uri=https://m.example.com\n",
     "mlflow.tracking_uri"),
    ("cd src && python train.py mlflow.tracking_uri=https://m.example.com; echo done\n",
     "mlflow.tracking_uri"),
    ("client --api-key sk-not-a-real-key-but-literal\n", "api-key"),
]
# tokens and credential URIs in a script are TC110's and TC103's (they read every string of a
# shell script), a secret-like variable set to a literal is TC111's: reported once, not by TC170
SHELL_ELSEWHERE = [
    (f"python train.py +auth.token={DAPI}\n", "TC110", "auth.token"),
    (f"python train.py +run.note={HF}\n", "TC110", "run.note"),
    ("python train.py db.url=postgresql://app:Hunter2-Secret@db:5432/app\n", "TC103", "db.url"),
    (f"databricks configure --host https://x.cloud.databricks.com --token {DAPI}\n", "TC110",
     "token"),
    (f'curl -H "Authorization: Bearer {DAPI[4:]}" https://api.example.com\n', "TC110", "curl"),
    (f"export HF_TOKEN=${{HF_TOKEN:-{HF}}}\n", "TC110", "HF_TOKEN"),
    (f"huggingface-cli login {HF}\n", "TC110", "huggingface-cli"),
    ("export DB_PASSWORD=Hunter2-Secret\n", "TC111", "DB_PASSWORD"),
]
SHELL_PASS = [
    "python train.py mlflow.tracking_uri=http://127.0.0.1:5000\n",
    "python train.py mlflow.tracking_uri=http://localhost:5000\n",
    "python train.py mlflow.tracking_uri=http://[::1]:5000\n",
    "python train.py mlflow.tracking_uri=file:./mlruns\n",
    "python train.py mlflow.tracking_uri=./mlruns\n",
    "python train.py mlflow.registry_uri=sqlite:///mlflow.db\n",
    "python train.py mlflow.tracking_uri=$MLFLOW_TRACKING_URI\n",
    'python train.py mlflow.tracking_uri="${MLFLOW_TRACKING_URI}"\n',
    "python train.py mlflow.tracking_uri='${oc.env:MLFLOW_TRACKING_URI}'\n",
    "python train.py mlflow.tracking_uri=null\n",
    "python train.py ~mlflow.tracking_uri\n",
    "python train.py db.password=$DB_PASSWORD auth.token=\"$(cat /run/secrets/token)\"\n",
    "python train.py db.password=??? db.password='<your-password>' api_key=****\n",
    "python train.py model.tokenizer=bert-base data.max_tokens=512 model.pad_token=[PAD]\n",
    "python train.py use_token=true\n",
    "# python train.py mlflow.tracking_uri=https://mlflow.example.com\n",  # a comment
    "python train.py experiment=prod_sweep trainer.max_epochs=10\n",
    "curl 'https://example.com/api?token=abc&password=x'\n",  # a URL's query, not an override
    "echo mlflow.tracking_uri is read from the environment\n",
    "mlflow server --backend-store-uri sqlite:///mlflow.db --host 127.0.0.1\n",
]


@pytest.mark.parametrize(("text", "key"), SHELL_FAIL)
def test_shell_flags(text: str, key: str) -> None:
    (f,) = findings_for("TC170", text, SH)
    assert f.key == key and f.line is not None and f.severity.value == "error"


@pytest.mark.parametrize("text", SHELL_PASS)
def test_shell_passes(text: str) -> None:
    assert findings_for("TC170", text, SH) == []


def test_position_is_the_override() -> None:
    text = "#!/bin/sh\nset -e\npython train.py \\\n  data=small  +mlflow.tracking_uri=https://m.example.com\n"
    (f,) = findings_for("TC170", text, SH)
    assert (f.path, f.line, f.column) == (SH, 4, 15)


MAKEFILE = """\
MLFLOW_TRACKING_URI ?= https://mlflow.example.com
TRAIN := python train.py

train:
\t$(TRAIN) mlflow.tracking_uri=$(MLFLOW_TRACKING_URI) db.password=$$DB_PASSWORD
\t@$(TRAIN) ++mlflow.registry_uri=databricks-uc

debug:
\t$(TRAIN) mlflow.tracking_uri=http://127.0.0.1:5000
"""
DOCKERFILE = f"""\
FROM python:3.11-slim
ENV MLFLOW_TRACKING_URI https://mlflow.example.com
ARG HF_TOKEN={HF}
ENV MLFLOW_REGISTRY_URI=$MLFLOW_TRACKING_URI PYTHONUNBUFFERED=1
RUN pip install -r requirements.txt && \\
    python -c "print('ok')"
CMD ["python", "train.py", "mlflow.tracking_uri=https://mlflow.example.com"]
"""


@pytest.mark.parametrize(("text", "code", "key"), SHELL_ELSEWHERE)
def test_shell_secrets_are_the_secret_rules(text: str, code: str, key: str) -> None:
    found = [(f.rule, f.key) for f in lint_text(text, SH).findings]
    assert found == [(code, key)]


def test_token_as_plain_argument_is_located_and_hidden() -> None:
    (f,) = findings_for("TC110", f"set -e\nENV=dev ./upload.sh -v {HF} out/\n", SH)
    assert (f.line, f.column, f.key) == (2, 24, "./upload.sh")
    assert HF not in f.message and findings_for("TC170", f"./upload.sh {HF}\n", SH) == []
    # in a Makefile, where TC110 does not read every word, TC170 still reports it
    (m,) = findings_for("TC170", f"upload:\n\t./upload.sh -v {HF} out/\n", "Makefile")
    assert m.message == "command line passes a Hugging Face token to './upload.sh'"


def test_makefile() -> None:
    found = findings_for("TC170", MAKEFILE, "Makefile")
    assert [(f.line, f.key) for f in found] == [
        (1, "MLFLOW_TRACKING_URI"), (6, "mlflow.registry_uri")]
    assert found[0].column == 24


def test_dockerfile() -> None:
    found = findings_for("TC170", DOCKERFILE, "docker/train.Dockerfile")
    assert [(f.line, f.key) for f in found] == [
        (2, "MLFLOW_TRACKING_URI"), (3, "HF_TOKEN"), (7, "mlflow.tracking_uri")]


WORKFLOW = """\
on: [push]
env:
  MLFLOW_TRACKING_URI: ${{ secrets.MLFLOW_TRACKING_URI }}
jobs:
  train:
    runs-on: ${{ matrix.os }}
    if: ${{ github.event_name == 'push' && !cancelled() }}
    steps:
      - run: python train.py +auth.token=${{ secrets.TOKEN }} mlflow.tracking_uri=http://localhost:5000
      - name: remote
        run: |
          echo "${{ github.sha }}"
          python train.py \\
            data=full mlflow.tracking_uri=https://mlflow.example.com
      - run: python train.py db.password=hunter2
"""


def test_ci_workflow() -> None:
    found = findings_for("TC170", WORKFLOW, ".github/workflows/train.yml")
    assert [(f.line, f.column, f.key) for f in found] == [
        (14, 23, "mlflow.tracking_uri"), (15, 30, "db.password")]


def test_github_expressions_are_never_interpolation_errors() -> None:
    """Regression: ``${{ ... }}`` is GitHub's syntax, not OmegaConf's (SPEC: which files are Hydra
    configs)."""
    found = codes(WORKFLOW, ".github/workflows/train.yml")
    assert "TC002" not in found and "TC001" not in found
    assert codes("steps:\n  - run: echo ${{ secrets.X }} ${{ github.sha }\n",
                 ".github/workflows/ci.yaml") == []


def test_gitlab_and_compose() -> None:
    gitlab = ("train:\n  script:\n    - pip install .\n"
              "    - python train.py mlflow.tracking_uri=https://mlflow.example.com\n"
              "  after_script:\n    - echo $CI_JOB_TOKEN\n")
    (f,) = findings_for("TC170", gitlab, ".gitlab-ci.yml")
    assert (f.line, f.column, f.key) == (4, 23, "mlflow.tracking_uri")
    compose = ("services:\n  train:\n    command: [python, train.py, db.password=hunter2]\n"
               "    environment:\n      - MLFLOW_TRACKING_URI=https://mlflow.example.com\n"
               "      - MLFLOW_TRACKING_PASSWORD=${MLFLOW_TRACKING_PASSWORD}\n")
    # an environment entry is no command line: how a deploy file provides the environment
    assert [(f.line, f.key) for f in findings_for("TC170", compose, "docker-compose.yml")] == [
        (3, "db.password")]


def test_yaml_leaves_tokens_to_tc110() -> None:
    """In YAML, TC110 already reports a known token in any string: one finding per concern."""
    found = codes(f"jobs:\n  t:\n    steps:\n      - run: python train.py +auth.token={DAPI}\n",
                  ".github/workflows/t.yml")
    assert found == ["TC110"]


def test_hydra_saved_overrides() -> None:
    text = ("- data=small\n- mlflow.tracking_uri=https://mlflow.example.com\n"
            "- +mlflow.registry_uri=http://127.0.0.1:5000\n- db.password=hunter2\n")
    rel = "outputs/2024-05-01/12-00-00/.hydra/overrides.yaml"
    found = [f for f in findings_for("TC170", text, rel)]
    assert [(f.line, f.column, f.key) for f in found] == [
        (2, 3, "mlflow.tracking_uri"), (4, 3, "db.password")]
    assert sorted(set(codes(text, rel))) == ["TC161", "TC170"]


def test_hydra_yaml_overrides_task() -> None:
    text = ("hydra:\n  overrides:\n    hydra:\n    - hydra.mode=RUN\n    task:\n"
            "    - mlflow.tracking_uri=https://mlflow.example.com\n")
    (f,) = findings_for("TC170", text, "multirun/2024-05-01/12-00-00/.hydra/hydra.yaml")
    assert (f.line, f.key) == (6, "mlflow.tracking_uri")


@pytest.mark.parametrize("fmt", FORMATS)
def test_secret_never_printed(fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    (tmp_path / "train.sh").write_text(
        f"python train.py +auth.token={DAPI} db.password=Hunter2-Secret-99 "
        "mlflow.tracking_uri=https://app:Pw-Secret-77@mlflow.example.com\n"
        f'curl -H "Authorization: Bearer {HF}" https://api.example.com\n', "utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["lint", "train.sh", "--format", fmt, "--select", "TC1"]) == 1
    out, err = capsys.readouterr()
    assert out.count("TC1") >= 4 or fmt != "text"
    for secret in (DAPI, DAPI[4:], "Hunter2-Secret-99", "Pw-Secret-77", HF, HF[3:]):
        assert secret not in out and secret not in err
    if fmt == "text":
        assert "'auth.token'" in out and "'db.password'" in out


def test_doc_examples() -> None:
    example, use_instead = RULE.first_yaml_block("Example"), RULE.first_yaml_block("Use instead")
    assert example and use_instead
    assert len(findings_for("TC170", example)) == 1
    assert findings_for("TC170", use_instead) == []
    assert len(findings_for("TC170", example, ".github/workflows/train.yml")) == 1
    assert codes(use_instead, ".github/workflows/train.yml") == []


def test_suppression_in_a_script() -> None:
    text = ("python train.py mlflow.tracking_uri=https://m.example.com"
            "  # trackcheck: ignore[TC170] reason=\"staging smoke test\"\n")
    assert codes(text, SH) == []


# URI keys by their words on a command line
@pytest.mark.parametrize(("text", "key"), [
    ("python train.py mlflow.uri=https://mlflow.example.com\n", "mlflow.uri"),
    ("python train.py +logger.mlflow.tracking_uri=https://m.example.com\n",
     "logger.mlflow.tracking_uri"),
    ("python train.py paths.mlflow_uri=https://m.example.com\n", "paths.mlflow_uri"),
    ("export REMOTE_SERVER_URI=https://mlflow.example.com\n", "REMOTE_SERVER_URI"),
    ("python train.py mlflow.tracking_uri@logger=https://m.example.com\n",
     "mlflow.tracking_uri@logger"),
])
def test_uri_keys_by_words(text: str, key: str) -> None:
    (f,) = findings_for("TC170", text, SH)
    assert f.key == key


@pytest.mark.parametrize("text", [
    "python train.py data.uri=s3://bucket/data model.artifact_uri=s3://b/x\n",
    "python serve.py deploy.model_uri=models:/churn@prod\n",
    "python train.py cache.redis_server_uri=redis://cache:6379\n",
])
def test_other_uri_keys_pass(text: str) -> None:
    assert findings_for("TC170", text, SH) == []


# deploy files: addresses inside the deployment are how it wires its services
DEPLOY_PASS = [
    ("docker-compose.yml", "services:\n  trainer:\n    image: t\n"
     "    command: python train.py mlflow.tracking_uri=http://mlflow:5000\n"),
    ("docker-compose.yml", "services:\n  mlflow:\n    image: m\n"
     "    command: mlflow server --host 0.0.0.0 --backend-store-uri postgresql://mlflow@db/m\n"
     "    environment:\n      - MLFLOW_TRACKING_URI=http://0.0.0.0:5000\n"),
    ("k8s/job.yaml", "apiVersion: batch/v1\nkind: Job\nspec:\n  template:\n    spec:\n"
     "      containers:\n        - name: t\n          args: [python, train.py,"
     " 'mlflow.tracking_uri=http://mlflow.mlflow.svc.cluster.local:5000']\n"),
    ("docker-compose.yml", "services:\n  trainer:\n    image: t\n    environment:\n"
     "      - MLFLOW_TRACKING_URI=https://mlflow.example.com\n"),  # the environment, provided
    (".github/workflows/t.yml", "on: push\njobs:\n  t:\n    container: python:3.11\n"
     "    services:\n      mlflow:\n        image: ghcr.io/mlflow/mlflow\n    steps:\n"
     "      - run: python train.py mlflow.tracking_uri=http://mlflow:5000\n"),  # a CI service
]
DEPLOY_FAIL = [
    ("docker-compose.yml", "services:\n  trainer:\n    image: t\n"
     "    command: python train.py mlflow.tracking_uri=https://mlflow.example.com\n",
     (4, "mlflow.tracking_uri")),
    (".github/workflows/t.yml", "on: push\njobs:\n  t:\n    steps:\n"
     "      - run: python train.py mlflow.tracking_uri=https://mlflow.example.com\n",
     (5, "mlflow.tracking_uri")),
]


@pytest.mark.parametrize(("rel", "text"), DEPLOY_PASS)
def test_deploy_files_wire_their_services(rel: str, text: str) -> None:
    assert findings_for("TC170", text, rel) == []


@pytest.mark.parametrize(("rel", "text", "where"), DEPLOY_FAIL)
def test_deploy_files_remote_overrides(rel: str, text: str, where: tuple[int, str]) -> None:
    (f,) = findings_for("TC170", text, rel)
    assert (f.line, f.key) == where


def test_secret_on_a_deploy_command_line_is_still_reported() -> None:
    text = ("services:\n  trainer:\n    image: t\n"
            "    command: python train.py db.password=hunter2\n")
    (f,) = findings_for("TC170", text, "docker-compose.yml")
    assert (f.line, f.key) == (4, "db.password")
