"""TC111 secret-literal: PASS/FAIL tables."""

import pytest

from tests.conftest import assert_secret_hidden, codes, findings_for, lint_text

SECRET_RULES = ("TC101", "TC103", "TC104", "TC110", "TC111")
SHA = "3f786850e387550fdab836ed7e6dc881de23001b"
DAPI = "dapi" + "a4c123b1612dd272d1371c17149d4395"

# (text, key of the finding)
FAIL = [
    ("db:\n  password: hunter2\n", "db.password"),
    ("db:\n  password: 12345\n", "db.password"),  # a number is a literal too
    ("MLFLOW_TRACKING_PASSWORD: hunter2\n", "MLFLOW_TRACKING_PASSWORD"),
    ("mlflow:\n  auth:\n    token: abc123\n", "mlflow.auth.token"),
    (f"api_key: {SHA}\n", "api_key"),  # the SHA shape under a secret-like key
    ("service:\n  apiKey: k-123456\n", "service.apiKey"),
    ("s3:\n  aws_secret_access_key: wJalrXUtnFEMIbPxRfiCYEXAMPLEKEY\n", "s3.aws_secret_access_key"),
    ("oauth:\n  client_secret: 'not-so-secret'\n", "oauth.client_secret"),
    ("db:\n  password: |\n    hunter2\n", "db.password"),  # block scalar
    ("users:\n  - name: a\n    password: hunter2\n", "users[0].password"),  # list of mappings
    ("secret:\n  - first-secret\n", "secret[0]"),  # list under a secret-like key
    ("svc: {token: hunter2hunter2}\n", "svc.token"),  # flow mapping
    ("cbs: [{name: x, api_key: abc123}]\n", "cbs[0].api_key"),
    ("db:\n  password: hunter2${oc.env:SUFFIX}\n", "db.password"),  # literal text + lookup
    ("db:\n  password: ${oc.env:DB_USER}:hunter2\n", "db.password"),
]
PASS = [
    "db:\n  password: ${oc.env:DB_PASSWORD}\n",
    "db:\n  password: ${oc.env:DB_PASSWORD,null}\n",
    "db:\n  password: null\n",
    "db:\n  password: ~\n",
    "db:\n  password:\n",
    "db:\n  password: ''\n",
    "db:\n  password: ???\n",
    "db:\n  password: ${secrets.db_password}\n",  # a reference to another key
    "db:\n  password: ${oc.env:DB_PASSWORD,hunter2}\n",  # a default: TC104's
    f"code_version: {SHA}\n",
    "model:\n  max_tokens: 512\n  tokenizer: bert-base-uncased\n  num_tokens: 3\n",
    "model:\n  pad_token: '[PAD]'\n  eos_token: '</s>'\n  mask_token: '[MASK]'\n",
    "hub:\n  use_token: true\n",  # a flag
    "db:\n  password_file: /run/secrets/db_password\n",
    "gcp:\n  credentials: /run/secrets/sa.json\n",  # where the secret lives, not the secret
    "k8s:\n  secret_name: mlflow-db\n",
    "auth:\n  token: Bearer ${oc.env:API_TOKEN}\n",
    "db:\n  password: '<your-password>'\n",
    "db:\n  password: '****'\n",
]


@pytest.mark.parametrize(("text", "key"), FAIL)
def test_flags(text: str, key: str) -> None:
    (f,) = findings_for("TC111", text)
    assert f.key == key and f.severity.value == "error"


@pytest.mark.parametrize("text", PASS)
def test_passes(text: str) -> None:
    assert findings_for("TC111", text) == []


def test_message_and_position() -> None:
    (f,) = findings_for("TC111", "project: x\ndb:\n  password: hunter2\n")
    assert f.message == ("secret-like key 'db.password' holds a literal value; read it from the "
                         "environment")
    assert (f.line, f.column) == (3, 13)


def test_sha_is_clean_under_code_version_but_flagged_under_api_key() -> None:
    text = f"code_version: {SHA}\napi_key: {SHA}\n"
    assert [f.key for f in findings_for("TC111", text)] == ["api_key"]
    assert codes(text, select=SECRET_RULES) == ["TC111"]


@pytest.mark.parametrize("rel", [".env.example", ".env"])
def test_env_file(rel: str) -> None:
    text = "MLFLOW_TRACKING_URI=${MLFLOW_TRACKING_URI}\nMLFLOW_TRACKING_USERNAME=mlflow\n" \
           "MLFLOW_TRACKING_PASSWORD=hunter2\n"
    (f,) = findings_for("TC111", text, rel)
    assert (f.key, f.line, f.column) == ("MLFLOW_TRACKING_PASSWORD", 3, 26)


@pytest.mark.parametrize("text", [
    "MLFLOW_TRACKING_PASSWORD=\n",
    "MLFLOW_TRACKING_PASSWORD=${MLFLOW_TRACKING_PASSWORD}\n",
    "MLFLOW_TRACKING_PASSWORD=<your-password>\n",
    "# MLFLOW_TRACKING_PASSWORD=hunter2\n",
    "HF_HUB_USE_TOKEN=true\n",
])
def test_env_template_placeholders(text: str) -> None:
    assert findings_for("TC111", text, ".env.example") == []


def test_databrickscfg_and_netrc() -> None:
    cfg = "[DEFAULT]\nhost = https://x.cloud.databricks.com\ntoken = abc123\n"
    (f,) = findings_for("TC111", cfg, ".databrickscfg")
    assert f.key == "DEFAULT.token"
    (f,) = findings_for("TC111", "machine api.example.com login me password hunter2\n", ".netrc")
    assert f.key == "password"


def test_ci_and_compose_references_are_clean() -> None:
    workflow = ("jobs:\n  t:\n    permissions:\n      id-token: write\n"
                "    env:\n      DATABRICKS_TOKEN: ${{ secrets.DATABRICKS_TOKEN }}\n"
                "      HF_TOKEN: $HF_TOKEN\n")
    assert not {"TC002", *SECRET_RULES} & set(codes(workflow, ".github/workflows/ci.yml"))
    compose = ("services:\n  db:\n    environment:\n"
               "      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?set}\n"
               "      OTHER_PASSWORD: ${OTHER_PASSWORD:-hunter2}\n")
    assert [f.key for f in findings_for("TC111", compose, "docker-compose.yml")] == [
        "services.db.environment.OTHER_PASSWORD"]


def test_known_token_is_left_to_tc110() -> None:
    assert codes(f"api_key: {DAPI}\n", select=SECRET_RULES) == ["TC110"]


def test_credential_uri_is_left_to_tc103() -> None:
    assert codes("db:\n  secret: postgresql://u:hunter2@db/m\n", select=SECRET_RULES) == ["TC103"]


def test_secret_never_printed() -> None:
    value = "Wv9#qLm2-Tx"
    report = lint_text(f"db:\n  password: '{value}'\n", select=("TC111",))
    assert value in report.secrets
    assert_secret_hidden(report, value)
    report = lint_text(f"MLFLOW_TRACKING_PASSWORD={value}\n", ".env.example", select=("TC111",))
    assert_secret_hidden(report, value)


def test_docs_example_and_use_instead() -> None:
    from trackcheck.lint.rules import RULES

    rule = next(r for r in RULES if r.code == "TC111")
    assert findings_for("TC111", rule.first_yaml_block("Example") or "")
    assert findings_for("TC111", rule.first_yaml_block("Use instead") or "") == []
