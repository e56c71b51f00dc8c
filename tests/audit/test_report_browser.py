"""The HTML report of a real registry, opened in a real headless chromium: it renders without a
console error and fetches nothing, each planted violation shows on its version, the model and
rule filters work, and no secret and no markup from the registry reaches the DOM."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.audit.conftest import MlflowServer, Seeder
from tests.chromium import Chromium, Page
from trackcheck.cli import main

TOKEN = "ghp_" + "Zq9xT4pLaB3dE5fG7hI9jK1lM3nO5pQ7rS9u"  # made up, mixed, never printed
MARKUP = "<script>window.__pwned = 1</script><img src=x onerror=\"window.__pwned = 2\">"
DESCRIPTION = "<b>bold</b> & <i>claims</i>"


def _run(seed: Seeder, name: str, debug: bool = False) -> str:
    return seed.run(tags={"project": "demo", "env": "prod", "model_name": name, "data_name": "d",
                          "debug": str(debug).lower(), "mlflow.source.git.commit": "c" * 40},
                    dataset_digest="9d1e")


@pytest.fixture(scope="module")
def planted(mlflow_server: MlflowServer, mlflow_client: Any,
            tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A clean model and one with violations on known versions, audited into one HTML page."""
    seed = Seeder(mlflow_client, mlflow_server)
    clean = seed.model(seed.name("page-clean"))
    seed.version(clean, run_id=_run(seed, clean), aliases=["prod"])
    bad = seed.model(seed.name("page-bad"), tags={"note": MARKUP, "gh": TOKEN},
                     description=DESCRIPTION)
    v1 = seed.version(bad, run_id=_run(seed, bad), aliases=["prod", "archived"])  # TC201
    v2 = seed.version(bad, run_id=_run(seed, bad, debug=True), aliases=["staging"])  # TC206
    v3 = seed.version(bad, run_id=_run(seed, bad), tags={"note": MARKUP})  # clean, folded
    page = tmp_path_factory.mktemp("html") / "report.html"
    code = main(["audit", "--registry", "--tracking-uri", mlflow_server.uri, "--policy",
                 "default", "--format", "html", "--output", str(page)])
    assert code == 1 and page.is_file()
    return {"page": page, "clean": clean, "bad": bad, "v1": v1, "v2": v2, "v3": v3}


@pytest.fixture(scope="module")
def browser() -> Iterator[Chromium]:
    b = Chromium()
    try:
        yield b
    finally:
        b.close()


@pytest.fixture
def page(browser: Chromium, planted: dict[str, Any]) -> Iterator[Page]:
    p = browser.open(planted["page"].as_uri())
    try:
        yield p
    finally:
        p.close()


def _card(name: str) -> str:
    selector = json.dumps(json.dumps(name))  # the name as a CSS string, as a JS string
    return f"document.querySelector('article.card[data-name=' + {selector} + ']')"


VISIBLE_CARDS = ("[...document.querySelectorAll('.card[data-name]')]"
                 ".filter(c => !c.hidden).map(c => c.dataset.name)")


def test_it_renders_without_errors_and_fetches_nothing(page: Page,
                                                       planted: dict[str, Any]) -> None:
    assert page.eval("document.title") == "trackcheck registry audit"
    assert page.errors() == []  # no exception, no console error, no CSP violation
    assert page.requests() == [planted["page"].as_uri()]  # the page itself, nothing else
    assert page.eval("document.getElementById('verdict').textContent").startswith(
        tuple(f"{n} error(s)" for n in range(1, 10_000)))
    assert page.eval("document.scripts.length") == 1  # the report's own, allowed by its hash
    assert page.eval("document.getElementById('filter-count').textContent").endswith(" shown")


def test_each_planted_violation_shows_on_its_version(page: Page, planted: dict[str, Any]) -> None:
    card = _card(planted["bad"])
    rules = page.eval(f"""(() => {{
        const card = {card};
        const out = {{}};
        card.querySelectorAll('tr.version').forEach(tr => {{
            out[tr.dataset.version] = [...tr.querySelectorAll('li.finding')]
                .map(li => li.dataset.rule).sort();
        }});
        out.model = [...card.querySelectorAll('.model-findings li.finding')]
            .map(li => li.dataset.rule);
        return out;
    }})()""")
    v1, v2, v3 = (str(planted[k]) for k in ("v1", "v2", "v3"))
    assert rules == {v1: ["TC201"], v2: ["TC206"], v3: [], "model": ["TC208"]}
    marked = page.eval(f"[...{card}.querySelectorAll('tr.version.error')]"
                       ".map(tr => tr.dataset.version)")
    assert sorted(marked) == sorted([v1, v2])  # the red mark, on those two only
    strip = page.eval(f"Object.fromEntries([...{card}.querySelectorAll('.lifecycle li')]"
                      ".map(li => [li.dataset.alias, li.querySelector('.holder').textContent]))")
    assert strip == {"dev": "—", "staging": f"v{v2}", "prod": f"v{v1}", "archived": f"v{v1}"}
    href = page.eval(f"{card}.querySelector('tr.version.error a.rule').href")
    assert href.endswith(("docs/rules.md#tc201-conflicting-aliases",
                          "docs/rules.md#tc206-debug-run-promoted"))
    assert page.eval(f"{_card(planted['clean'])}.querySelectorAll('li.finding').length") == 0


def test_the_model_filter(page: Page, planted: dict[str, Any]) -> None:
    total = page.eval("document.querySelectorAll('.card[data-name]').length")
    assert total >= 2
    page.type("#filter-name", planted["bad"].upper())  # any case
    assert page.eval(VISIBLE_CARDS) == [planted["bad"]]
    assert page.eval("document.getElementById('filter-count').textContent") == f"1 of {total} shown"
    page.type("#filter-name", "page-")
    assert {planted["bad"], planted["clean"]} <= set(page.eval(VISIBLE_CARDS))
    page.type("#filter-name", "")
    assert len(page.eval(VISIBLE_CARDS)) == total
    assert page.errors() == []


def test_the_rule_filter(page: Page, planted: dict[str, Any]) -> None:
    page.choose("#filter-rule", "TC206")
    shown = page.eval(VISIBLE_CARDS)
    assert planted["bad"] in shown and planted["clean"] not in shown
    assert all(page.eval(f"{_card(n)}.dataset.rules.split(' ').includes('TC206')")
               for n in shown if n)
    card = _card(planted["bad"])
    rows = page.eval(f"[...{card}.querySelectorAll('tr.version')].filter(r => !r.hidden)"
                     ".map(r => r.dataset.version)")
    assert rows == [str(planted["v2"])]
    marks = page.eval(f"[...{card}.querySelectorAll('li.finding')].filter(li => "
                      "li.offsetParent !== null).map(li => li.dataset.rule)")
    assert marks == ["TC206"]
    page.choose("#filter-rule", "")
    assert planted["clean"] in page.eval(VISIBLE_CARDS)
    assert page.errors() == []


def test_no_secret_and_no_markup_reach_the_dom(page: Page, planted: dict[str, Any]) -> None:
    assert page.eval("typeof window.__pwned") == "undefined"  # nothing planted ran
    assert page.eval("document.images.length") == 0 and page.eval("document.scripts.length") == 1
    card = _card(planted["bad"])
    tags = page.eval(f"Object.fromEntries([...{card}.querySelectorAll(':scope > header .tags li')]"
                     ".map(li => [li.querySelector('.tag-key').textContent, "
                     "li.querySelector('.tag-value').textContent]))")
    assert tags == {"gh": "ghp_************", "note": MARKUP}  # markup as text, the token masked
    assert page.eval(f"{card}.querySelector('header .desc').textContent") == DESCRIPTION
    assert page.eval(f"{card}.querySelectorAll('b, i, img, script').length") == 0
    dom = page.eval("document.documentElement.outerHTML")
    assert TOKEN not in dom and TOKEN[4:] not in dom
    assert TOKEN not in planted["page"].read_text("utf-8")
    assert page.errors() == []
