"""What a reader sees and clicks, in Chromium, on the site opened from disk."""

import json
import re


def open_page(watched, site, name):
    watched.page.goto((site / name).as_uri())
    return watched.page


def test_follow_a_wikilink(watched, site):
    page = open_page(watched, site, "mesa-optimization.html")
    page.locator(".page-body a.internal[data-slug='inner-alignment']").first.click()
    page.wait_for_url(re.compile(r"inner-alignment\.html$"))
    assert page.locator("h1").inner_text() == "Inner alignment"


def test_missing_link_is_visibly_missing(watched, site):
    page = open_page(watched, site, "inner-alignment.html")
    broken = page.locator(".page-body a.internal.broken")
    assert broken.inner_text() == "outer-alignment"
    assert broken.get_attribute("href") is None


def test_concept_map_draws_the_neighbourhood_and_navigates(watched, site):
    page = open_page(watched, site, "mesa-optimization.html")
    page.wait_for_function("window.kgwikiMap && window.kgwikiMap.network")
    expected = json.loads(page.locator("#map-data").text_content())
    drawn = page.evaluate("window.kgwikiMap.nodes.length")
    assert drawn == len(expected["nodes"]) and drawn > 3
    assert page.locator("#concept-map canvas").count() == 1
    # click the node of another page, where vis-network drew it
    target = next(n for n in expected["nodes"] if n["id"] == "inner-alignment")
    point = page.evaluate("""(id) => {
        const net = window.kgwikiMap.network;
        const pos = net.getPositions([id])[id];
        const dom = net.canvasToDOM(pos);
        const box = document.querySelector('#concept-map canvas').getBoundingClientRect();
        return {x: box.left + dom.x, y: box.top + dom.y};
    }""", target["id"])
    page.mouse.click(point["x"], point["y"])
    page.wait_for_url(re.compile(r"inner-alignment\.html$"))


def test_explorer_type_filter_hides_agendas(watched, site):
    page = open_page(watched, site, "graph.html")
    page.wait_for_function("window.kgwikiExplorer && window.kgwikiExplorer.network")
    visible_agendas = "window.kgwikiExplorer.nodes.get({filter: n => n.type === 'agenda' && !n.hidden}).length"
    total = page.evaluate("window.kgwikiExplorer.nodes.length")
    assert total == 6
    assert page.evaluate(visible_agendas) == 1
    page.locator("#filter-types input[value='agenda']").uncheck()
    page.wait_for_function(f"({visible_agendas}) === 0")
    assert page.evaluate("window.kgwikiExplorer.nodes.get({filter: n => !n.hidden}).length") == 5


def test_explorer_search_focuses_and_click_shows_summary(watched, site):
    page = open_page(watched, site, "graph.html")
    page.wait_for_function("window.kgwikiExplorer && window.kgwikiExplorer.network")
    page.fill("#explorer-search", "Deceptive alignment")
    page.press("#explorer-search", "Enter")
    page.wait_for_function("window.kgwikiExplorer.network.getSelectedNodes().includes('deceptive-alignment')")
    info = page.locator("#explorer-info")
    info.get_by_text("behaves well in training").wait_for()
    assert info.locator("a").first.get_attribute("href").endswith("deceptive-alignment.html")


def test_search_finds_a_page_by_alias_with_a_typo(watched, site):
    page = open_page(watched, site, "index.html")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "search-input"
    page.keyboard.type("deceptivly aligned")
    first = page.locator("#search-results a.search-result").first
    first.wait_for()
    assert "Deceptive alignment" in first.inner_text()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"deceptive-alignment\.html$"))


def test_search_ranks_title_before_body(watched, site):
    page = open_page(watched, site, "index.html")
    page.fill("#search-input", "inner alignment")
    page.locator("#search-results a.search-result").first.wait_for()
    titles = page.locator("#search-results .result-title").all_inner_texts()
    assert titles[0] == "Inner alignment"


def test_hover_preview(watched, site):
    page = open_page(watched, site, "mesa-optimization.html")
    page.locator(".page-body a.internal[data-slug='inner-alignment']").first.hover()
    preview = page.locator(".preview")
    preview.wait_for(state="visible")
    assert "Whether the objective a trained model pursues" in preview.inner_text()


def test_xss_payloads_stay_text(watched, xss_site):
    for name in ["payload.html", "other.html", "evil.html", "index.html", "graph.html", "health.html",
                 "bibliography.html", "img-src-x-onerror-alert-1.html"]:
        page = open_page(watched, xss_site, name)
        page.wait_for_timeout(300)
        if name == "payload.html":
            assert page.locator("h1#page-title").inner_text() == "<script>alert('title')</script>"
            page.locator(".page-body a.internal[data-slug='other']").first.hover()
            page.locator(".preview").wait_for(state="visible")
        if name == "graph.html":
            page.wait_for_function("window.kgwikiExplorer && window.kgwikiExplorer.network")
            page.fill("#explorer-search", "<script>alert('title')</script>")
            page.press("#explorer-search", "Enter")
            page.wait_for_timeout(300)
    page = open_page(watched, xss_site, "index.html")
    page.fill("#search-input", "script alert")
    page.locator("#search-results a.search-result").first.wait_for()
    page.wait_for_timeout(200)
    assert page.evaluate("document.querySelectorAll('#search-results script, #search-results img').length") == 0


def test_phone_width_has_no_horizontal_scroll(browser, site):
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    page.goto((site / "mesa-optimization.html").as_uri())
    page.wait_for_timeout(300)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    context.close()


def test_explorer_link_filter_hides_and_restores_edges(watched, site):
    page = open_page(watched, site, "graph.html")
    page.wait_for_function("window.kgwikiExplorer && window.kgwikiExplorer.network")
    visible = "window.kgwikiExplorer.edges.get({filter: e => !e.hidden}).length"
    before = page.evaluate(visible)
    page.locator("#filter-links input[value='related']").uncheck()
    page.wait_for_function(f"({visible}) < {before}")
    page.locator("#filter-links input[value='related']").check()
    page.wait_for_function(f"({visible}) === {before}")
