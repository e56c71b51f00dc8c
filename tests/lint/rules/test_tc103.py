"""TC103 credentials-in-uri: PASS/FAIL tables."""

import pytest

from tests.conftest import assert_secret_hidden, codes, findings_for, lint_text

SECRET_RULES = ("TC101", "TC103", "TC104", "TC110", "TC111")

FAIL = [
    "db:\n  url: postgresql://mlflow:hunter2@db.internal:5432/mlflow\n",
    "mlflow:\n  tracking_uri: https://alice:s3cr3t@mlflow.example.com\n",
    "store: mysql+pymysql://root:pa55word@10.0.0.7/mlflow\n",
    "cache: redis://:onlypassword@cache:6379/0\n",
    "note: 'mirror at https://bob:pw1234@host.example.com/simple if pip fails'\n",
    "url: postgresql://mlflow:hunter2@${db.host}:5432/mlflow\n",  # in an interpolation's text
    "url: postgresql://${oc.env:DB_USER}:hunter2@db/mlflow\n",
    "url: ${oc.select:db.url,'postgresql://mlflow:hunter2@db/mlflow'}\n",  # not an env default
    "run: |\n  pip install x\n  psql postgresql://admin:hunter2@db/mlflow\n",  # block scalar
    "urls:\n  - https://a.example.com\n  - https://u:pw-123@b.example.com\n",  # list
    "mirror: {url: 'https://u:pw-123@pypi.example.com/simple'}\n",  # flow mapping
]
PASS = [
    "db:\n  url: postgresql://mlflow@db.internal:5432/mlflow\n",
    "db:\n  url: postgresql://mlflow:${oc.env:MLFLOW_DB_PASSWORD}@db.internal:5432/mlflow\n",
    "db:\n  url: postgresql://${oc.env:DB_USER}:${oc.env:DB_PASSWORD}@db/mlflow\n",
    "db:\n  url: ${oc.env:DB_URL}\n",
    "db:\n  url: postgresql://mlflow:****@db:5432/mlflow\n",
    "db:\n  url: postgresql://mlflow:<password>@db:5432/mlflow\n",
    "mlflow:\n  tracking_uri: https://mlflow.example.com:5000/path?x=1\n",
    "repo: git@github.com:org/repo.git\n",
    "email: someone@example.com\n",
    "db:\n  url: ''\n",
]


@pytest.mark.parametrize("text", FAIL)
def test_flags(text: str) -> None:
    (f,) = findings_for("TC103", text)
    assert f.line is not None and f.severity.value == "error"
    assert "****@" in f.message  # the URI is shown with its password masked


@pytest.mark.parametrize("text", PASS)
def test_passes(text: str) -> None:
    assert findings_for("TC103", text) == []


def test_message_names_key_and_masked_uri() -> None:
    (f,) = findings_for("TC103", "project: x\ndb:\n  url: postgresql://mlflow:hunter2@db:5432/mlflow\n")
    assert (f.line, f.column, f.key) == (3, 8, "db.url")
    assert f.message == "credentials in URI in 'db.url' (postgresql://mlflow:****@db)"


def test_env_default_is_left_to_tc104() -> None:
    text = "db:\n  url: ${oc.env:DB_URL,postgresql://mlflow:hunter2@db/mlflow}\n"
    assert findings_for("TC103", text) == []
    assert codes(text, select=SECRET_RULES) == ["TC104"]


def test_known_token_as_password_is_left_to_tc110() -> None:
    text = "repo: https://oauth2:glpat-" + "jAIxNKu8iS2G8NPRVdD5@gitlab.com/org/x.git\n"
    assert codes(text, select=SECRET_RULES) == ["TC110"]


def test_tracking_uri_with_password_is_tc101_and_tc103() -> None:
    text = "mlflow:\n  tracking_uri: https://alice:s3cr3t@mlflow.example.com\n"
    assert sorted(codes(text, select=SECRET_RULES)) == ["TC101", "TC103"]


@pytest.mark.parametrize(("text", "rel"), [
    ("DATABASE_URL=postgresql://mlflow:hunter2@db:5432/mlflow\n", ".env.example"),
    ("export DATABASE_URL='postgresql://mlflow:hunter2@db/mlflow'\n", ".env"),
    ("[DEFAULT]\nhost = https://token:hunter2@x.cloud.databricks.com\n", ".databrickscfg"),
    ("jobs:\n  t:\n    steps:\n      - run: curl https://ci:hunter2@nexus.example.com/x\n",
     ".github/workflows/ci.yml"),
    ("services:\n  db:\n    environment:\n      URL: postgresql://u:hunter2@db/m\n",
     "docker-compose.yml"),
])
def test_every_file_kind(text: str, rel: str) -> None:
    assert len(findings_for("TC103", text, rel)) == 1


def test_workflow_secret_reference_is_clean() -> None:
    text = ("jobs:\n  t:\n    env:\n"
            "      DB_URL: postgresql://mlflow:${{ secrets.DB_PASSWORD }}@db/mlflow\n")
    assert not {"TC002", *SECRET_RULES} & set(codes(text, ".github/workflows/ci.yml"))


def test_secret_never_printed() -> None:
    value = "postgresql://mlflow:Qx7-vR2!kTz9@db.internal:5432/mlflow"
    report = lint_text(f"db:\n  url: {value}\n", select=("TC103",))
    assert value in report.secrets  # the whole string is the hashed and scrubbed value
    assert_secret_hidden(report, "Qx7-vR2!kTz9")
    assert_secret_hidden(report, value)


def test_docs_example_and_use_instead() -> None:
    from trackcheck.lint.rules import RULES

    rule = next(r for r in RULES if r.code == "TC103")
    assert findings_for("TC103", rule.first_yaml_block("Example") or "")
    assert findings_for("TC103", rule.first_yaml_block("Use instead") or "") == []


# --- Python and shell sources (SPEC, "Secrets in code"; more in tests/lint/test_code_secrets.py)
@pytest.mark.parametrize(("text", "rel", "key"), [
    ('DB_URL = "postgresql://app:Hunter2-Secret@db:5432/app"\n', "src/db.py", "DB_URL"),
    ('def broken(:\n    u = "postgresql://app:Hunter2-Secret@db/app"\n', "src/db.py", ""),
    ("psql postgresql://app:Hunter2-Secret@db/app\n", "scripts/db.sh", "psql"),
])
def test_code_sources(text: str, rel: str, key: str) -> None:
    (f,) = findings_for("TC103", text, rel)
    assert f.key == key and "Hunter2" not in f.message and "app:****@db" in f.message


def test_code_placeholders_are_not_passwords() -> None:
    src = ('URL = f"postgresql://{user}:{pw}@{host}/app"\n'
           'DOC = "e.g. postgresql://user:password@localhost/app"\n')
    assert findings_for("TC103", src, "src/db.py") == []


def test_tracking_uri_with_password_in_code_is_tc171_only() -> None:
    src = 'import mlflow\nmlflow.set_tracking_uri("https://app:Hunter2-Secret@m.example.com")\n'
    assert codes(src, "src/train.py") == ["TC171"]


# --- values read as OmegaConf joins them (as TC110 reads them) -------------------------------
@pytest.mark.parametrize(("text", "code"), [
    ("a: postgresql://mlflow:${oc.env:X,}Hunter2-Secret@db/x\n", "TC103"),  # empty default
    ("a: postgresql://mlflow:Hunter2${oc.env:X,}-Secret@db/x\n", "TC103"),  # splits the password
    ("a: \"postgresql://mlflow:Hunter2${oc.env:X,''}-Secret@db/x\"\n", "TC103"),
    ("a: ${oc.env:A,a}postgresql://mlflow:Hunter2-Secret@db/x\n", "TC103"),  # after a default
    ("a: postgresql://mlflow:Hunter2-Secret@db/x${oc.env:X,}\n", "TC103"),
    ("a: ${oc.env:DB,postgresql://mlflow:Hunter2-Secret@db/x}\n", "TC104"),  # the default itself
])
def test_env_lookups_are_joined_as_omegaconf_resolves_them(text: str, code: str) -> None:
    report = lint_text(text, "config/x.yaml")
    assert [(f.rule, f.key) for f in report.findings] == [(code, "a")]
    assert all("Hunter2" not in f.message for f in report.findings)


@pytest.mark.parametrize("text", [
    "a: postgresql://mlflow:${oc.env:DB_PASSWORD}@db/x\n",  # the password is the environment's
    "a: postgresql://mlflow:${oc.env:DB_PASSWORD,}@db/x\n",  # empty when unset: no password
])
def test_a_lookup_in_the_password_is_no_password(text: str) -> None:
    assert codes(text, "config/x.yaml") == []


def test_a_value_that_does_not_parse_is_read_whole() -> None:
    # TC104 cannot read the defaults of a value OmegaConf rejects: nothing may blank them
    text = "a: \"${oc.env:DB,postgresql://mlflow:Hunter2-Secret@db/x} ${\"\n"
    assert codes(text, "config/x.yaml") == ["TC002", "TC103"]
