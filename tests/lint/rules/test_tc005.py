"""TC005 unused-suppression, and the inline suppressions it polices (lint/suppress.py, runner)."""

import tempfile
from pathlib import Path

import pytest

from tests.conftest import findings_for, lines_executed, lint_text
from trackcheck.engine import Report
from trackcheck.lint.suppress import parse
from trackcheck.policy import Policy, load_policy
from trackcheck.reporters import REPORTERS

URI = "mlflow:\n  tracking_uri: http://mlflow.internal:5000"  # TC101 on line 2
ENV = "mlflow:\n  tracking_uri: ${oc.env:MLFLOW_TRACKING_URI}"  # clean


def load_policy_text(text: str) -> Policy:
    path = Path(tempfile.mkdtemp(prefix="tc-policy-")) / "trackcheck.yaml"
    path.write_text(text, "utf-8")
    return load_policy(path)[0]


def rules_of(text: str, **kw: object) -> tuple[list[str], list[str]]:
    """(reported codes, suppressed codes)."""
    r = lint_text(text, **kw)  # type: ignore[arg-type]
    return [f.rule for f in r.findings], [f.rule for f in r.suppressed]


# --- suppressions that work: the finding moves to `suppressed`, nothing else is reported ----
SUPPRESSED = [
    URI + "  # trackcheck: ignore[TC101]\n",
    URI + "  #trackcheck:ignore[TC101]\n",
    URI + "  # trackcheck: ignore[tc101]\n",  # codes are case-insensitive, as on the command line
    URI + "  # trackcheck: ignore [TC101]\n",
    URI + "  # trackcheck: ignore[ TC101 ]\n",
    URI + '  # trackcheck: ignore[TC101] reason="local debugging only"\n',
    URI + "  # trackcheck: ignore[TC101] reason='local debugging only'\n",
    "# trackcheck: ignore-file[TC101]\n" + URI + "\n",
    URI + "\n# trackcheck: ignore-file[TC101] reason=\"fixture\"\n",
]


@pytest.mark.parametrize("text", SUPPRESSED)
def test_suppresses(text: str) -> None:
    assert rules_of(text) == ([], ["TC101"])


# --- suppressions that cannot work: the finding stays and TC005 says why -------------------
BROKEN = [
    (URI + "  # trackcheck: ignore\n", "without codes"),
    (URI + "  # trackcheck: ignore[]\n", "without codes"),
    (URI + '  # trackcheck: ignore reason="x"\n', "without codes"),
    ("# trackcheck: ignore-file\n" + URI + "\n", "without codes"),
    (URI + "  # trackcheck: ignore[TC999]\n", "unknown code 'TC999'"),
    (URI + "  # trackcheck: ignore[E501]\n", "unknown code 'E501'"),
    (URI + "  # trackcheck: ignroe[TC101]\n", "malformed suppression"),
    (URI + "  # trackcheck: ignore(TC101)\n", "malformed suppression"),
    (URI + "  # trackcheck: ignore[TC101] because local\n", "malformed suppression"),
    (URI + "  # trackcheck: ignore-files[TC101]\n", "malformed suppression"),
    (URI + '  # trackcheck: ignore[TC101] reason="unclosed\n', "malformed suppression"),
]


@pytest.mark.parametrize(("text", "says"), BROKEN)
def test_broken_suppression_is_tc005_and_suppresses_nothing(text: str, says: str) -> None:
    assert sorted(rules_of(text)[0]) == ["TC005", "TC101"]
    (f,) = findings_for("TC005", text)
    assert says in f.message and f.severity.value == "warning"


# --- suppressions that hide nothing -------------------------------------------------------
UNUSED = [
    (ENV + "  # trackcheck: ignore[TC101]\n", "TC101 reports nothing on this line"),
    ("# trackcheck: ignore-file[TC101]\n" + ENV + "\n", "TC101 reports nothing on this file"),
    ("mlflow:  # trackcheck: ignore[TC101]\n  tracking_uri: http://mlflow:5000\n",
     "TC101 reports nothing on this line"),  # the line above the finding is another line
    (URI + "  # trackcheck: ignore[TC101,TC111]\n", "TC111 reports nothing on this line"),
    (ENV + "  # trackcheck: ignore[TC201]\n", "TC201 reports nothing"),  # an audit rule
]


@pytest.mark.parametrize(("text", "says"), UNUSED)
def test_unused(text: str, says: str) -> None:
    (f,) = findings_for("TC005", text)
    assert says in f.message


def test_position_is_the_comment() -> None:
    text = ENV + "  # trackcheck: ignore[TC101]\n"
    (f,) = findings_for("TC005", text)
    assert (f.line, f.column) == (2, text.splitlines()[1].index("#") + 1)
    assert f.key == "mlflow.tracking_uri"


def test_file_wide_suppression_has_no_key() -> None:
    (f,) = findings_for("TC005", "a: 1\n# trackcheck: ignore-file[TC101]\n")
    assert (f.line, f.key) == (2, "")


def test_fingerprint_survives_line_moves() -> None:
    text = ENV + "  # trackcheck: ignore[TC101]\n"
    (a,) = findings_for("TC005", text)
    (b,) = findings_for("TC005", "# a new header line\n\n" + text)
    (c,) = findings_for("TC005", text.replace("TC101", "TC103"))
    assert a.line != b.line and a.fingerprint == b.fingerprint != c.fingerprint
    (m1,) = findings_for("TC005", ENV + "  # trackcheck: ignore\n")
    (m2,) = findings_for("TC005", "\n" + ENV + "  # trackcheck: ignore\n")
    assert m1.fingerprint == m2.fingerprint


def test_malformed_comment_is_not_echoed() -> None:
    text = "db:\n  password: ${oc.env:DB_PASSWORD}  # trackcheck: old pw was Hunter2Hunter2\n"
    (f,) = findings_for("TC005", text)
    assert "Hunter2" not in f.message


def test_one_suppression_hides_only_its_codes_and_line() -> None:
    text = (URI + "  # trackcheck: ignore[TC111]\n  registry_uri: databricks-uc\n")
    reported, _ = rules_of(text)
    assert sorted(reported) == ["TC005", "TC101", "TC101"]


def test_rules_that_did_not_run_are_not_called_unused() -> None:
    text = URI + "  # trackcheck: ignore[TC101,TC111]\n"
    # --select: TC111 did not run, so nobody knows whether the suppression is needed
    assert rules_of(text, select=("TC101", "TC005")) == ([], ["TC101"])
    # disabled by the policy, or ignored for this path
    off = load_policy_text("rules:\n  TC111: {enabled: false}\n")
    assert rules_of(text, policy=off) == ([], ["TC101"])
    per_path = load_policy_text("per_path_ignores:\n  'config/*': [TC111]\n")
    assert rules_of(text, policy=per_path) == ([], ["TC101"])
    # ... while a run with TC111 says it is unused
    assert rules_of(text)[0] == ["TC005"]


def test_tc005_off_still_suppresses() -> None:
    off = load_policy_text("rules:\n  TC005: {enabled: false}\n")
    assert rules_of(URI + "  # trackcheck: ignore[TC101]\n", policy=off) == ([], ["TC101"])
    assert rules_of(URI + "  # trackcheck: ignore\n", policy=off) == (["TC101"], [])


def test_suppressions_in_env_files() -> None:
    text = "MLFLOW_TRACKING_URI=http://mlflow:5000  # trackcheck: ignore[TC101]\n"
    reported, suppressed = rules_of(text, rel=".env.example")
    assert "TC101" in suppressed and "TC101" not in reported


def test_show_suppressed_keeps_the_reason() -> None:
    report = lint_text(URI + '  # trackcheck: ignore[TC101] reason="local debugging only"\n')
    (s,) = report.suppressed
    assert s.suppressed == "inline: local debugging only"
    out = REPORTERS["text"](report, {}, True)
    assert "local debugging only" in out
    assert "local debugging only" not in REPORTERS["text"](report, {}, False)


@pytest.mark.parametrize(("line", "codes", "file_wide", "reason", "malformed"), [
    ("x: 1  # trackcheck: ignore[TC101]", ("TC101",), False, None, False),
    ("x: 1  # trackcheck: ignore[TC101,TC111 , tc103]", ("TC101", "TC111", "TC103"), False, None,
     False),
    ("x: 1  # trackcheck: ignore[TC101,TC101]", ("TC101",), False, None, False),
    ('# trackcheck: ignore-file[TC160] reason="fixture"', ("TC160",), True, "fixture", False),
    ("x: 1  # trackcheck: ignore", (), False, None, True),
    ("x: 1  # trackcheck: skip[TC101]", (), False, None, True),
    ("x: 1  # trackcheck is great", None, None, None, None),  # not a directive at all
    ("x: 1  # noqa: TC101", None, None, None, None),
])
def test_parse(line: str, codes: tuple[str, ...] | None, file_wide: bool | None, reason: str | None,
               malformed: bool | None) -> None:
    sups = parse(line + "\n")
    if codes is None:
        assert sups == []
        return
    (s,) = sups
    got = (s.codes, s.file_wide, s.reason, bool(s.malformed))
    assert got == (codes, file_wide, reason, malformed)


def test_suppressions_on_every_line_cost_linear_time() -> None:
    def lines(n: int) -> int:
        text = "".join(f"k{i}_password: Pw-{i}-x9Q  # trackcheck: ignore[TC111]\n"
                       for i in range(n))
        report: list[Report] = []
        count = lines_executed(lambda: report.append(lint_text(text)))
        assert len(report[0].suppressed) == n and report[0].findings == []
        return count

    # each finding was compared with each suppression, each suppression with each scalar: 16x
    assert lines(800) < 5 * lines(200)
