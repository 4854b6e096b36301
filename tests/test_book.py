"""The book builds with warnings as errors, every page in _toc.yml exists, no page shows an error,
and the HTML loads nothing from the network (MathJax, RequireJS and the widget renderer are local).

Builds from the stored outputs (execute_notebooks: off), into a temporary folder, in a few seconds
per chapter; nbval checks separately that those stored outputs are what the code produces.
"""
import json
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / ".ci"))
import glossary  # noqa: E402
import screenshots  # noqa: E402
import translations  # noqa: E402
ERROR_MARKERS = {
    "Traceback (most recent call last)": "a Python traceback",
    'class="output stderr': "a stderr output block",
    'class="output traceback': "an error output block",
}
REMOTE = re.compile(r"^\s*(https?:)?//", re.I)  # http://, https:// and protocol-relative //host


def toc_files(node):
    """Every `root:` and `file:` entry of a jb-book _toc.yml, in order, walking parts/chapters/sections."""
    if isinstance(node, dict):
        for key in ("root", "file"):
            if key in node:
                yield node[key]
        for value in node.values():
            if isinstance(value, (list, dict)):
                yield from toc_files(value)
    elif isinstance(node, list):
        for item in node:
            yield from toc_files(item)


class AssetCollector(HTMLParser):
    """URLs a browser fetches by itself when it opens the page (not links a reader may click)."""

    def __init__(self):
        super().__init__()
        self.urls, self.in_style, self.styles = [], False, []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script" and a.get("src"):
            self.urls.append(a["src"])
        elif tag == "link" and a.get("href"):
            rel = (a.get("rel") or "").lower().split()
            if {"stylesheet", "preload", "modulepreload", "icon", "prefetch"} & set(rel):
                self.urls.append(a["href"])
        elif tag in ("img", "iframe", "source", "video", "audio", "embed") and a.get("src"):
            self.urls.append(a["src"])
        self.in_style = tag == "style"

    def handle_endtag(self, tag):
        self.in_style = False

    def handle_data(self, data):
        if self.in_style:
            self.styles.append(data)


def css_remote_urls(text):
    """url(...) and @import targets in CSS that point off the machine."""
    targets = re.findall(r"url\(\s*['\"]?([^'\")]+)", text) + re.findall(r"@import\s+['\"]([^'\"]+)", text)
    return [t for t in targets if REMOTE.match(t)]


@pytest.fixture(scope="module", params=["en", "zh_CN"])
def build(request, tmp_path_factory):
    """Each edition in turn: English from _config.yml, Chinese through .ci/translations.py."""
    out = tmp_path_factory.mktemp(f"book-{request.param}")
    if request.param == "en":
        jb = Path(sys.executable).with_name("jupyter-book")
        cmd = [str(jb), "build", str(ROOT), "-W", "-n", "--keep-going", "--path-output", str(out)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    else:
        proc = translations.build_chinese(out)
    return proc, out / "_build" / "html"


def test_build_has_no_warnings(build):
    proc, _ = build
    log = re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout + proc.stderr)  # Sphinx colours even when piped
    problems = [line for line in log.splitlines() if re.search(r"\b(WARNING|ERROR)\b", line)]
    assert not problems, "jupyter-book build -W -n reported:\n" + "\n".join(problems)
    assert proc.returncode == 0, log[-3000:]


def test_every_toc_entry_has_a_page(build):
    _, html = build
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = list(toc_files(toc))
    assert files, "_toc.yml lists no files"
    missing = [f for f in files if not (html / Path(f).with_suffix(".html")).is_file()]
    assert not missing, f"no HTML page for: {missing}"


def test_no_page_shows_an_error(build):
    _, html = build
    found = [f"{page.relative_to(html)}: {what}"
             for page in sorted(html.rglob("*.html")) if "_static" not in page.parts
             for marker, what in ERROR_MARKERS.items() if marker in page.read_text(encoding="utf-8")]
    assert not found, "pages show errors:\n" + "\n".join(found)


def test_html_loads_nothing_from_the_network(build):
    _, html = build
    remote, pages_with_math, widget_pages = [], 0, 0
    for page in sorted(html.rglob("*.html")):
        if "_static" in page.parts:
            continue
        text = page.read_text(encoding="utf-8")
        parser = AssetCollector()
        parser.feed(text)
        rel = page.relative_to(html)
        remote += [f"{rel}: {url}" for url in parser.urls if REMOTE.match(url)]
        remote += [f"{rel}: <style> {url}" for s in parser.styles for url in css_remote_urls(s)]
        if any("mathjax/tex-mml-chtml.js" in url for url in parser.urls):
            pages_with_math += 1
        if "application/vnd.jupyter.widget-state+json" in text:
            widget_pages += 1
            local = [u for u in parser.urls if u.split("?")[0].endswith(("require.js", "html-manager/embed-amd.js"))]
            assert len(local) == 2, f"{rel} has widgets but not the local require.js + embed-amd.js: {parser.urls}"
    for css in sorted((html / "_static").rglob("*.css")):
        remote += [f"{css.relative_to(html)}: {url}" for url in css_remote_urls(css.read_text(encoding="utf-8"))]
    assert not remote, "assets fetched from the network:\n" + "\n".join(remote)
    assert pages_with_math, "no page loads the local MathJax (_static/mathjax/tex-mml-chtml.js)"
    for asset in ("mathjax/tex-mml-chtml.js", "mathjax/output/chtml/fonts/woff-v2/MathJax_Main-Regular.woff",
                  "require.js", "html-manager/embed-amd.js"):
        assert (html / "_static" / asset).is_file(), f"_static/{asset} missing: run `make setup`"


def test_every_page_links_to_the_other_edition(build):
    _, html = build
    assert (html / "_static" / "language-switch.js").is_file()
    pages = list(screenshots.reader_pages(html))
    without = [str(p.relative_to(html)) for p in pages if "language-switch.js" not in p.read_text(encoding="utf-8")]
    assert pages and not without, f"pages without the language switch: {without}"


def search_index(html):
    """Sphinx's search index of a build: {"docnames": [...], "terms": {word: doc number(s)}, …}."""
    text = (html / "searchindex.js").read_text(encoding="utf-8")
    return json.loads(text[text.index("(") + 1:text.rindex(")")])


def test_search_finds_a_term_in_the_language_of_the_edition(build, request):
    """The offline search index knows the book's terms: 反向传播 is one word of the Chinese index
    (jieba's own dictionary would cut it into 反向 + 传播), backpropagation one of the English."""
    _, html = build
    index = search_index(html)
    term = "反向传播" if request.node.callspec.params["build"] == "zh_CN" else "backpropag"  # stemmed
    pages = set()
    for where in ("terms", "titleterms"):  # a page whose title has the word is listed only in titleterms
        hits = index[where].get(term, [])
        pages |= {index["docnames"][i] for i in ([hits] if isinstance(hits, int) else hits)}
    assert "chapters/backprop" in pages, f"search for {term!r} finds {sorted(pages)}"


def test_part_captions_are_in_the_language_of_the_edition(build, request):
    """The sidebar's part captions ("Foundations", …) come from _toc.yml; the Chinese edition shows
    their translations from the root page's catalogue (.ci/chinese_edition.py)."""
    _, html = build
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    captions = [part["caption"] for part in toc["parts"]]
    if request.node.callspec.params["build"] == "zh_CN":
        catalog = translations.catalogues()[toc["root"]]
        captions = [catalog[caption].string for caption in captions]
    shown = re.findall(r'caption-text">([^<]+)<', (html / "chapters" / "backprop.html").read_text(encoding="utf-8"))
    assert shown[:len(captions)] == captions


def test_glossary_chapter_numbers_are_the_sidebars(build):
    """The glossary page links chapters by number (.ci/glossary.py counts them from _toc.yml);
    those numbers are the ones Sphinx gives the chapters in the sidebar."""
    _, html = build
    page = (html / "chapters" / "glossary.html").read_text(encoding="utf-8")
    sidebar = {stem: int(n) for stem, n in re.findall(r'href="(\w+)\.html">(\d+)\. ', page)}
    assert sidebar == glossary.chapter_numbers()


@pytest.mark.skipif(not shutil.which("chromium"), reason="needs Debian's chromium (`make screenshots` installs it)")
def test_every_page_fits_the_text_column_in_chromium(build, request):
    """At 1280 px, in headless Chromium: no page scrolls sideways, no display equation, table or output
    is wider than the text column (MathJax would clip it), every formula typesets, every image loads
    and every widget renders (.ci/screenshots.py's checks). English only: the Chinese pages show the
    same maths, tables and outputs."""
    if request.node.callspec.params["build"] != "en":
        pytest.skip("the Chinese pages show the same maths, tables and outputs")
    _, html = build
    browser = screenshots.Chromium()
    try:
        found = [f"{page.relative_to(html)}: {problem}" for page in screenshots.reader_pages(html)
                 for problem in screenshots.problems(browser.open(page.as_uri()), other_edition=False)]
    finally:
        browser.close()
    assert not found, "\n".join(found)
