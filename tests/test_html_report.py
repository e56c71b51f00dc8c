"""``--format html`` without a browser: escaping, masking, the page's own CSP, findings on their
version, the alias-history hook, baselined findings, and the lint page (tests/audit/
test_report_browser.py opens the page in chromium)."""

from __future__ import annotations

import base64
import hashlib
import html
import re
from dataclasses import replace
from html.parser import HTMLParser

import pytest

from trackcheck import html_report
from trackcheck.audit.fixture import snapshot_from_yaml
from trackcheck.audit.runner import check
from trackcheck.cli import _all_rules
from trackcheck.detect.redact import scrub_report
from trackcheck.engine import Report, Selection
from trackcheck.policy import load_policy
from trackcheck.reporters import REPORTERS

POLICY = load_policy("default")[0]
GHP = "ghp_" + "aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5"
PASSWORD = "Hunter2-Zq9!xT4#pL"
MARKUP = "<script>alert(1)</script><img src=x onerror=alert(2)>"
REGISTRY = f"""
models:
  churn:
    aliases: {{prod: 3, archived: 3, staging: 4, dev: 4, Canary: 4}}
    tags: {{note: "{MARKUP}", token: {GHP}}}
    description: "<b>Churn</b> & co"
    versions:
      1: {{stage: Archived}}
      2: {{}}
      3: {{run: r3, tags: {{password: "{PASSWORD}"}}}}
      4: {{run: r4}}
  "<i>odd</i>": {{}}
runs:
  r3: {{tags: {{env: prod, debug: "true"}}}}
  r4: {{tags: {{project: p, env: prod, model_name: m, data_name: d, debug: "false",
               mlflow.source.git.commit: abc}}, datasets: [{{name: d, digest: x}}]}}
"""


def audited(select: tuple[str, ...] = ("TC",)) -> Report:
    return check(snapshot_from_yaml(REGISTRY), POLICY, Selection(select=select))


def page(report: Report, show_suppressed: bool = False, **kw: object) -> str:
    rules = _all_rules({f.rule for f in (*report.findings, *report.suppressed)})
    if kw:
        return html_report.render_report(  # type: ignore[arg-type]
            scrub_report(report), rules, show_suppressed, **kw)
    return REPORTERS["html"](scrub_report(report), rules, show_suppressed)


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text inside each element with an id."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _between(text: str, start: str, end: str) -> str:
    return text.split(start, 1)[1].split(end, 1)[0]


def _card(out: str, name: str) -> str:
    return _between(out, f'data-name="{name}"', "</article>")


def _row(card: str, version: int) -> str:
    return _between(card, f'data-version="{version}"', "</tr>")


@pytest.mark.parametrize("select", [("TC",), ("TC201",)])
def test_registry_text_is_escaped_and_secrets_masked(select: tuple[str, ...]) -> None:
    out = page(audited(select))
    tags = Elements(out).tags
    assert [t for t, _ in tags].count("script") == 1  # the page's own
    assert not [t for t, _ in tags if t in ("img", "b", "i", "iframe", "object")]
    assert not any(k.startswith("on") for _, attrs in tags for k in attrs)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;" in out
    assert "&lt;b&gt;Churn&lt;/b&gt; &amp; co" in out
    assert 'data-name="&lt;i&gt;odd&lt;/i&gt;"' in out
    assert GHP not in out and PASSWORD not in out
    assert "ghp_************" in out


def test_the_csp_allows_exactly_the_inline_style_and_script_and_no_request() -> None:
    out = page(audited())
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', out)
    assert csp is not None
    style = _between(out, "<style>", "</style>")
    script = _between(out, "<script>", "</script>")

    def sha(text: str) -> str:
        digest = hashlib.sha256(text.encode()).digest()
        return "'sha256-" + base64.b64encode(digest).decode() + "'"

    assert html.unescape(csp.group(1)) == (
        f"default-src 'none'; style-src {sha(style)}; script-src {sha(script)}; img-src data:; "
        "base-uri 'none'; form-action 'none'")
    # nothing that loads: no src, no stylesheet link, no CSS url() or @import
    tags = Elements(out).tags
    assert not [a for _, a in tags if "src" in a]
    assert [a.get("href") for t, a in tags if t == "link"] == ["data:,"]
    assert "url(" not in style and "@import" not in style
    hrefs = {a["href"] for t, a in tags if t == "a"}
    assert hrefs and all(str(h).startswith(html_report.RULES_DOC + "#tc") for h in hrefs)


def test_findings_sit_on_their_version_and_the_lifecycle_strip_says_who_holds_what() -> None:
    out = page(audited())
    card = _card(out, "churn")
    assert re.findall(r'data-rule="(TC\d+)"', _row(card, 1)) == ["TC203"]
    assert {"TC201", "TC206", "TC207", "TC208"} <= set(re.findall(r'data-rule="(TC\d+)"',
                                                                  _row(card, 3)))
    assert re.findall(r'data-rule="(TC\d+)"', _row(card, 4)) == []
    strip = dict(re.findall(r'data-alias="(\w+)"><span class="alias-name">\w+</span> '
                            r'<span class="holder">([^<]+)</span>', card))
    assert strip == {"dev": "v4", "staging": "v4", "prod": "v3", "archived": "v3",
                     "Canary": "v4"}
    assert '<li class="warning unknown" data-alias="Canary">' in card  # outside the policy
    assert '<li class="error" data-alias="prod">' in card  # v3 has errors
    # version 2 has no alias and no finding: folded away
    assert "1 more version(s) without an alias or a finding" in card
    # models with findings come first
    assert out.index('data-name="churn"') < out.index('data-name="&lt;i&gt;odd&lt;/i&gt;"')
    summary = _between(out, 'id="by-rule"', "</table>")
    assert "docs/rules.md#tc201-conflicting-aliases" in summary


def test_baselined_findings_leave_the_page_unless_shown_as_suppressed() -> None:
    report = audited()
    hidden = [f for f in report.findings if f.rule == "TC203"]
    report.findings = [f for f in report.findings if f.rule != "TC203"]
    report.suppressed = [replace(f, suppressed="baseline") for f in hidden]
    assert 'data-rule="TC203"' not in page(report)
    shown = _row(_card(page(report, True), "churn"), 1)
    assert 'class="finding suppressed" data-rule="TC203"' in shown
    assert "suppressed: baseline" in shown


def test_the_alias_history_hook_is_empty_until_the_ledger_fills_it() -> None:
    out = page(audited())
    assert out.count('<section class="alias-history" data-hook="alias-history" hidden>') == 2
    events = [html_report.AliasEvent("2026-11-01T10:00:00Z", "prod", 2, 3, "<ci-bot>")]
    filled = _card(page(audited(), alias_history={"churn": events}), "churn")
    timeline = _between(filled, 'data-hook="alias-history">', "</section>")
    assert "prod</span> v2 → v3" in timeline and "by &lt;ci-bot&gt;" in timeline


def test_the_lint_page_groups_findings_by_file() -> None:
    from tests.conftest import lint_text

    report = lint_text(f"mlflow:\n  tracking_uri: http://mlflow.example.com\n  token: {GHP}\n",
                       "config/mlflow/default.yaml")
    out = page(report)
    card = _card(out, "config/mlflow/default.yaml")
    assert re.findall(r'data-rule="(TC\d+)"', card)[:2] == ["TC101", "TC110"]
    assert '<td class="n">2:17</td>' in card and GHP not in out
    assert 'id="filter-name"' in out and "registry" not in _between(out, "<h1>", "</h1>")
