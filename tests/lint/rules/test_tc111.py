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


# --- the names and shapes real projects use ---------------------------------------------------
NAMES_FAIL = [
    ("db:\n  pass: hunter2\n", "db.pass"),
    ("db:\n  pw: hunter2\n", "db.pw"),
    ("db:\n  pwd: hunter2\n", "db.pwd"),
    ("db_pass: hunter2\n", "db_pass"),
    ("db:\n  passwd: hunter2\n", "db.passwd"),
    ("RABBITMQ_DEFAULT_PASS: guest-not-default\n", "RABBITMQ_DEFAULT_PASS"),
    ("db:\n  password: password\n", "db.password"),  # a weak password is still one
    ("auth:\n  secret: secret\n", "auth.secret"),
    ("db:\n  password: stringent-Pa55\n", "db.password"),
]
NAMES_PASS = [
    "db:\n  password: string\n",  # a type name, as a schema or an example writes it
    "db:\n  password: str\n",
    "db:\n  password: String\n",
    "db:\n  password: text\n",
    "db:\n  pin: int\n",
    "db:\n  password: '<your-password>'\n",
    "db:\n  password: changeme\n",
    "db:\n  password: change-me\n",
    "db:\n  password: CHANGEME\n",
    "db:\n  password: your_password_here\n",
    "db:\n  password: xxx\n",
    "db:\n  password: '***'\n",
    "db:\n  password: TODO\n",
    "db:\n  password: REPLACE_ME\n",
    "db:\n  password: '...'\n",
    "api:\n  token: YOUR_API_TOKEN\n",
    "model:\n  forward_pass: fused\n  first_pass: 2\n",  # vocabulary, not passwords
    "model:\n  maxTokens: 512\n  MAX_TOKENS: 512\n",
    # a JSON-schema/OpenAPI-ish shape describes a field and holds no value
    "properties:\n  password:\n    type: string\n    format: password\n"
    "  api_key:\n    type: string\n    description: the key\nrequired: [password, api_key]\n",
]


@pytest.mark.parametrize(("text", "key"), NAMES_FAIL)
def test_secret_names_real_projects_use(text: str, key: str) -> None:
    (f,) = findings_for("TC111", text)
    assert f.key == key


@pytest.mark.parametrize("text", NAMES_PASS)
def test_type_names_and_fill_ins_pass(text: str) -> None:
    assert findings_for("TC111", text) == []


# plurals: each list item is a secret; the plural's own scalar is a count or a keyword
PLURAL_FAIL = [
    ("api_keys: [abc123x, def456y]\n", ["api_keys[0]", "api_keys[1]"]),
    ("passwords:\n  - hunter2\n  - ${oc.env:PW}\n", ["passwords[0]"]),
    ("tokens:\n  - abc123x\n", ["tokens[0]"]),
    ("secrets: [first-secret]\n", ["secrets[0]"]),
    ("svc:\n  apiKeys: ['k-123456']\n", ["svc.apiKeys[0]"]),
    ("oauth:\n  client_secrets: [s1-abcdef]\n", ["oauth.client_secrets[0]"]),
    ("access_tokens:\n  - tok-abcdef\n", ["access_tokens[0]"]),
]
PLURAL_PASS = [
    "model:\n  tokens: 512\n",
    "jobs:\n  call:\n    uses: ./.github/workflows/x.yml\n    secrets: inherit\n",
    "generation:\n  stop_tokens: ['###', 'Human:']\n  special_tokens: ['<|im_end|>']\n",
    "api_keys: ['${oc.env:KEY_A}', '${oc.env:KEY_B}']\n",
    "passwords: []\n",
]


@pytest.mark.parametrize(("text", "keys"), PLURAL_FAIL)
def test_plural_items(text: str, keys: list[str]) -> None:
    assert [f.key for f in findings_for("TC111", text)] == keys


@pytest.mark.parametrize("text", PLURAL_PASS)
def test_plural_pass(text: str) -> None:
    rel = ".github/workflows/ci.yml" if "jobs" in text else "config/snippet.yaml"
    assert findings_for("TC111", text, rel) == []


def test_a_list_under_tokens_alone_is_a_list_of_secrets() -> None:
    # the decision for `tokens`: alone it names secrets (its list items are judged), qualified
    # it is vocabulary (`stop_tokens`), and its own number is a count (`tokens: 512`)
    text = "auth:\n  tokens: [abc123x]\n  stop_tokens: [xyz789q]\n  max_tokens: 10\n"
    assert [f.key for f in findings_for("TC111", text)] == ["auth.tokens[0]"]


# aliases: judged where they are used, reported there once (the anchor on a harmless key)
ALIAS_FAIL = [
    ("defaults: &pw hunter2\ndb:\n  password: *pw\n", [("db.password", 3, 13)]),
    ("_base: {note: &t abc123x}\nsvc: {token: *t}\n", [("svc.token", 2, 14)]),
    ("x: &k k-123456\napi_keys:\n  - *k\n  - *k\n", [("api_keys[0]", 3, 5), ("api_keys[1]", 4, 5)]),
    ("defaults: &pw hunter2\ndb:\n  password: *pw\ncache:\n  password: *pw\n",
     [("db.password", 3, 13), ("cache.password", 5, 13)]),
]


@pytest.mark.parametrize(("text", "found"), ALIAS_FAIL)
def test_alias_is_judged_where_used(text: str, found: list[tuple[str, int, int]]) -> None:
    assert [(f.key, f.line, f.column) for f in findings_for("TC111", text)] == found


@pytest.mark.parametrize("text", [
    "_env: &pw ${oc.env:DB_PASSWORD}\ndb:\n  password: *pw\n",
    "_none: &pw null\ndb:\n  password: *pw\n",
    "_ph: &pw changeme\ndb:\n  password: *pw\n",
    "_s: &pw hunter2\ndb:\n  user: *pw\n",  # not a secret-like key where it is used
    "base: &b {user: a}\ndb:\n  <<: *b\n  password: ${oc.env:PW}\n",
])
def test_alias_passes(text: str) -> None:
    assert findings_for("TC111", text) == []


def test_aliased_mapping_is_reported_where_defined_only() -> None:
    # the keys inside an aliased mapping keep their names: judged once, where they are written
    text = "base: &db\n  password: hunter2\nprod:\n  db: *db\n"
    assert [(f.key, f.line) for f in findings_for("TC111", text)] == [("base.password", 2)]


def test_alias_secret_never_printed() -> None:
    value = "Wv9#qLm2-Tx"
    report = lint_text(f"_x: &s '{value}'\ndb:\n  password: *s\n", select=("TC111",))
    assert_secret_hidden(report, value)


# environment entries: judged by the variable's name
ENV_FAIL = [
    ("docker-compose.yml",
     "services:\n  db:\n    image: postgres\n    environment:\n      - POSTGRES_PASSWORD=mlflow\n",
     [("services.db.environment.POSTGRES_PASSWORD", 5, 27)]),
    ("docker-compose.yml",  # a quoted item
     "services:\n  db:\n    image: postgres\n    environment:\n"
     "      - \"POSTGRES_PASSWORD=mlflow_pass\"\n",
     [("services.db.environment.POSTGRES_PASSWORD", 5, 28)]),
    ("docker-compose.yml",
     "services:\n  minio:\n    image: minio/minio\n    environment:\n"
     "      MINIO_ROOT_PASSWORD: minioadmin\n",
     [("services.minio.environment.MINIO_ROOT_PASSWORD", 5, 28)]),
    ("k8s/deploy.yaml",
     "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - name: t\n      env:\n"
     "        - name: MLFLOW_TRACKING_PASSWORD\n          value: hunter2\n",
     [("spec.containers[0].env.MLFLOW_TRACKING_PASSWORD", 8, 18)]),
    ("ecs/task.yaml",  # an ECS task definition: the same entries under `environment`
     "containerDefinitions:\n  - name: t\n    environment:\n"
     "      - {name: DB_PASS, value: hunter2}\n",
     [("containerDefinitions[0].environment.DB_PASS", 4, 32)]),
]
ENV_PASS = [
    ("docker-compose.yml", "services:\n  db:\n    image: postgres\n    environment:\n"
     "      - POSTGRES_PASSWORD=${POSTGRES_PASSWORD}\n      - POSTGRES_PASSWORD_FILE=/run/s/pw\n"
     "      - POSTGRES_PASSWORD\n      - POSTGRES_USER=mlflow\n      - PGPASSWORD=\n"),
    ("k8s/deploy.yaml", "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - name: t\n"
     "      env:\n        - name: DB_PASSWORD\n          valueFrom:\n"
     "            secretKeyRef: {name: db, key: password}\n"
     "        - name: DB_USER\n          value: mlflow\n"
     "        - name: API_TOKEN\n          value: $(API_TOKEN)\n"),
]


@pytest.mark.parametrize(("rel", "text", "found"), ENV_FAIL)
def test_environment_entries_by_variable_name(rel: str, text: str,
                                              found: list[tuple[str, int, int]]) -> None:
    assert [(f.key, f.line, f.column) for f in findings_for("TC111", text, rel)] == found
    assert "TC170" not in codes(text, rel)  # an environment entry is not a command line


@pytest.mark.parametrize(("rel", "text"), ENV_PASS)
def test_environment_entries_pass(rel: str, text: str) -> None:
    assert findings_for("TC111", text, rel) == []


# --- Python and shell sources (SPEC, "Secrets in code"; more in tests/lint/test_code_secrets.py)
@pytest.mark.parametrize(("text", "rel", "key"), [
    ('DB_PASSWORD = "hunter2"\n', "src/db.py", "DB_PASSWORD"),
    ('self.api_key = "abc-123-xyz"\n', "src/db.py", "api_key"),
    ('CONFIG = {"password": "hunter2"}\n', "src/db.py", "password"),
    ('connect(password="hunter2")\n', "src/db.py", "password"),
    ("export DB_PASSWORD=hunter2\n", "scripts/db.sh", "DB_PASSWORD"),
])
def test_code_sources(text: str, rel: str, key: str) -> None:
    (f,) = findings_for("TC111", text, rel)
    assert f.key == key and "hunter2" not in f.message


@pytest.mark.parametrize(("text", "rel"), [
    ('DB_PASSWORD = ""\nTOKEN = "<your-token>"\napi_key = os.environ["API_KEY"]\n', "src/db.py"),
    ("export DB_PASSWORD=$DB_PASSWORD\nexport TOKEN=${TOKEN}\n", "scripts/db.sh"),
])
def test_code_placeholders_pass(text: str, rel: str) -> None:
    assert findings_for("TC111", text, rel) == []


def test_secret_set_in_os_environ_is_tc171_only() -> None:
    src = 'import os\nos.environ["MLFLOW_TRACKING_PASSWORD"] = "hunter2"\n'
    assert codes(src, "src/train.py", select=SECRET_RULES + ("TC171",)) == ["TC171"]
