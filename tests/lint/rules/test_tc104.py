"""TC104 env-default-leak: PASS/FAIL tables."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import assert_secret_hidden, codes, findings_for, lint_text

SECRET_RULES = ("TC101", "TC103", "TC104", "TC110", "TC111")
DAPI = "dapi" + "a4c123b1612dd272d1371c17149d4395"
HF = "hf_" + "2mZp0zVZomHFwUbbYrEqmSM9wCZ7Uw9xfo"

FAIL = [
    # endpoints
    "mlflow:\n  tracking_uri: ${oc.env:MLFLOW_TRACKING_URI,https://mlflow.internal.example.com}\n",
    "mlflow:\n  tracking_uri: ${oc.env:MLFLOW_TRACKING_URI,http://localhost:5000}\n",
    "mlflow:\n  registry_uri: ${oc.env:MLFLOW_REGISTRY_URI,databricks-uc}\n",
    "mlflow:\n  tracking_uri: ${oc.env:MLFLOW_TRACKING_URI,file:./mlruns}\n",
    "mlflow:\n  tracking_uri: ${oc.env:MLFLOW_TRACKING_URI,./mlruns}\n",  # a path where runs go
    "mlflow:\n  tracking_uri: ${oc.env:TRACKING,/mnt/shared/mlruns}\n",
    "data:\n  root: ${oc.env:DATA_ROOT,s3://team-bucket/data}\n",
    # credential URIs
    "db:\n  url: ${oc.env:DB_URL,postgresql://mlflow:hunter2@db/mlflow}\n",
    "db:\n  url: \"${oc.env:DB_URL,'postgresql://mlflow:hunter2@db/mlflow'}\"\n",
    # known tokens, whatever the variable is called
    f"databricks:\n  host_token: ${{oc.env:SOME_VAR,{DAPI}}}\n",
    # any literal default of a secret-like variable or under a secret-like key
    "databricks:\n  auth: ${oc.env:DATABRICKS_TOKEN,abc123}\n",
    "db:\n  password: ${oc.env:DB_PW,hunter2}\n",
    "MLFLOW_TRACKING_PASSWORD: ${oc.env:MLFLOW_TRACKING_PASSWORD,hunter2}\n",
    # nested lookups, text around the lookup, block scalars, lists, flow mappings
    "a: ${oc.env:PRIMARY,${oc.env:DATABRICKS_TOKEN,abc123}}\n",
    "header: Bearer ${oc.env:API_TOKEN,abc123}\n",
    "cmd: |\n  login --token ${oc.env:DATABRICKS_TOKEN,abc123}\n",
    f"hub:\n  - ${{oc.env:HUB,{HF}}}\n",
    "svc: {token: '${oc.env:SVC_TOKEN,abc123}'}\n",
    # written with escapes: the text never shows "oc.env", the value does
    'db:\n  password: "${\\x6fc.env:DB_PW,hunter2}"\n',
]
PASS = [
    "mlflow:\n  tracking_uri: ${oc.env:MLFLOW_TRACKING_URI}\n",
    "db:\n  password: ${oc.env:DB_PASSWORD}\n",
    "databricks:\n  token: ${oc.env:DATABRICKS_TOKEN,null}\n",
    "databricks:\n  token: \"${oc.env:DATABRICKS_TOKEN,''}\"\n",
    "databricks:\n  token: ${oc.env:DATABRICKS_TOKEN,???}\n",
    "databricks:\n  token: ${oc.env:DATABRICKS_TOKEN,${oc.env:DB_TOKEN}}\n",  # default is a lookup
    "databricks:\n  token: ${oc.env:DATABRICKS_TOKEN,<your-token>}\n",
    "trainer:\n  epochs: ${oc.env:EPOCHS,10}\n",
    "tags:\n  env: ${oc.env:ENV,dev}\n",
    "data:\n  dir: ${oc.env:DATA_DIR,./data}\n",  # a path, not where runs go
    "hub:\n  use_token: ${oc.env:USE_TOKEN,false}\n",
    "deploy:\n  model_uri: ${oc.env:MODEL_URI,models:/churn@prod}\n",
    "model:\n  max_tokens: ${oc.env:MAX_TOKENS,512}\n",
    "a: ${oc.select:b.token,abc123}\n",  # not an env lookup
    "gcp:\n  key_file: ${oc.env:GOOGLE_APPLICATION_CREDENTIALS,/run/secrets/sa.json}\n",
]


@pytest.mark.parametrize("text", FAIL)
def test_flags(text: str) -> None:
    (f,) = findings_for("TC104", text)
    assert f.line is not None and f.severity.value == "error"


@pytest.mark.parametrize("text", PASS)
def test_passes(text: str) -> None:
    assert findings_for("TC104", text) == []


@pytest.mark.parametrize(("text", "message"), [
    (f"databricks:\n  token: ${{oc.env:DATABRICKS_TOKEN,{DAPI}}}\n",
     "Databricks personal access token in the default of ${oc.env:DATABRICKS_TOKEN} in "
     "'databricks.token'"),
    ("db:\n  url: ${oc.env:DB_URL,postgresql://mlflow:hunter2@db:5432/mlflow}\n",
     "URI with credentials (postgresql://mlflow:****@db) in the default of ${oc.env:DB_URL} in "
     "'db.url'"),
    ("x: ${oc.env:DATABRICKS_TOKEN,abc123}\n",
     "literal secret in the default of ${oc.env:DATABRICKS_TOKEN} in 'x'"),
    ("mlflow:\n  tracking_uri: ${oc.env:MLFLOW_TRACKING_URI,https://mlflow.example.com}\n",
     "endpoint (tracking) in the default of ${oc.env:MLFLOW_TRACKING_URI} in "
     "'mlflow.tracking_uri'"),
])
def test_messages(text: str, message: str) -> None:
    (f,) = findings_for("TC104", text)
    assert f.message == message


def test_one_finding_per_default() -> None:
    text = "x: ${oc.env:A_TOKEN,abc123}-${oc.env:B_TOKEN,def456}-${oc.env:EPOCHS,10}\n"
    found = findings_for("TC104", text)
    assert len(found) == 2 and len({f.fingerprint for f in found}) == 2


@pytest.mark.parametrize("text", [
    f"databricks:\n  token: ${{oc.env:DATABRICKS_TOKEN,{DAPI}}}\n",  # not TC110, not TC111
    f"databricks:\n  api_key: ${{oc.env:KEY,{DAPI}}}\n",
    "mlflow:\n  tracking_uri: ${oc.env:MLFLOW_TRACKING_URI,https://u:s3cr3t@mlflow.example.com}\n",
    "db:\n  url: ${oc.env:DB_URL,postgresql://mlflow:hunter2@db/mlflow}\n",  # not TC103
    "db:\n  password: ${oc.env:DB_PASSWORD,hunter2}\n",  # not TC111
])
def test_tc104_owns_env_defaults(text: str) -> None:
    assert codes(text, select=SECRET_RULES) == ["TC104"]


def test_literal_text_next_to_a_default_is_still_checked() -> None:
    text = f"x: {DAPI}-${{oc.env:SUFFIX,abc}}\n"
    assert codes(text, select=SECRET_RULES) == ["TC110"]


def test_only_hydra_config() -> None:
    text = "jobs:\n  t:\n    env:\n      X: ${oc.env:DATABRICKS_TOKEN,abc123}\n"
    assert findings_for("TC104", text, ".github/workflows/ci.yml") == []


def test_broken_interpolation_is_tc002() -> None:
    text = "x: ${oc.env:DATABRICKS_TOKEN,abc123\n"
    assert codes(text, select=("TC002", *SECRET_RULES)) == ["TC002"]


def test_secret_never_printed() -> None:
    default = "Zp4-mWq8!rLs"
    text = f"db:\n  password: \"${{oc.env:DB_PASSWORD,'{default}'}}\"\n"
    report = lint_text(text, select=("TC104",))
    assert default in report.secrets  # the default text is the hashed and scrubbed value
    assert_secret_hidden(report, default)


def test_token_default_never_printed() -> None:
    report = lint_text(f"x: ${{oc.env:HUB,{HF}}}\n", select=("TC104",))
    assert HF in report.secrets
    assert_secret_hidden(report, HF)


def test_docs_example_and_use_instead() -> None:
    from trackcheck.lint.rules import RULES

    rule = next(r for r in RULES if r.code == "TC104")
    assert findings_for("TC104", rule.first_yaml_block("Example") or "")
    assert findings_for("TC104", rule.first_yaml_block("Use instead") or "") == []


_NAME = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,24}", fullmatch=True)
_KEY = st.one_of(st.sampled_from(["password", "token", "api_key", "tracking_uri", "secret", "url",
                                  "DATABRICKS_TOKEN", "MLFLOW_TRACKING_PASSWORD"]), _NAME)


@settings(max_examples=40, deadline=None)
@given(key=_KEY, var=_NAME)
def test_env_lookup_without_default_is_never_flagged(key: str, var: str) -> None:
    assert codes(f"block:\n  {key}: ${{oc.env:{var}}}\n", select=SECRET_RULES) == []


# URI keys and secret keys by the names real projects use; fill-ins are not leaks
NAMES_FAIL = [
    ("mlflow:\n  uri: ${oc.env:TRACKING,./mlruns}\n", "mlflow.uri"),  # uri in an mlflow block
    ("logger:\n  mlflow:\n    tracking_uri: ${oc.env:X,./logs/mlruns}\n",
     "logger.mlflow.tracking_uri"),
    ("paths:\n  mlflow_uri: ${oc.env:MLFLOW_DIR,/mnt/mlruns}\n", "paths.mlflow_uri"),
    ("x: ${oc.env:REMOTE_TRACKING_URI,./mlruns}\n", "x"),  # the variable's name decides too
    ("db:\n  pass: ${oc.env:DB_PASS,hunter2}\n", "db.pass"),
    ("db:\n  pwd: ${oc.env:PGPASSWORD,hunter2}\n", "db.pwd"),
]
NAMES_PASS = [
    "data:\n  uri: ${oc.env:DATA_URI,./data}\n",  # a path where data lives
    "mlflow:\n  artifact_uri: ${oc.env:ARTIFACTS,./artifacts}\n",
    "db:\n  password: ${oc.env:DB_PASSWORD,changeme}\n",
    "db:\n  password: ${oc.env:DB_PASSWORD,CHANGE_ME}\n",
    "db:\n  password: ${oc.env:DB_PASSWORD,your_password_here}\n",
    "api:\n  token: ${oc.env:API_TOKEN,string}\n",
    "api:\n  token: ${oc.env:API_TOKEN,REPLACE_ME}\n",
]


@pytest.mark.parametrize(("text", "key"), NAMES_FAIL)
def test_names_real_projects_use(text: str, key: str) -> None:
    (f,) = findings_for("TC104", text)
    assert f.key == key


@pytest.mark.parametrize("text", NAMES_PASS)
def test_fill_ins_and_other_uris_pass(text: str) -> None:
    assert findings_for("TC104", text) == []
