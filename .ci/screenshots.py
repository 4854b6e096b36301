"""Look at the built book as a reader does: every page of both editions in headless Chromium, 1280 px
wide, network off (`make screenshots`, after `make book`).

    python .ci/screenshots.py                       # every page of _build/html and _build/html/zh
    python .ci/screenshots.py zh/chapters/rnn.html  # only these (paths under _build/html)
    python .ci/screenshots.py --checks-only         # the checks below, no PNGs (about 1 min)

Writes _build/screenshots/<page>/NN.png, one per screenful (1280 x 1600, top to bottom), and prints per
page what a reader would notice without reading: the page scrolls sideways, a formula MathJax could not
typeset, a box wider than the text column, a line that starts with punctuation, an image that did not
load, a widget that did not render, a language switch that leads nowhere. Exits 1 if any page has one.

Chromium is driven over its DevTools pipe (--remote-debugging-pipe: JSON messages ending in a NUL byte
on file descriptors 3 and 4), so nothing beyond Debian's chromium is needed. The screenshots are for
looking at; CJK text needs a CJK font (Debian's fonts-noto-cjk, which `make screenshots` installs).
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"
OUT = ROOT / "_build" / "screenshots"
WIDTH, HEIGHT = 1280, 1600

# What the page looks like to a reader, measured in the page once MathJax has finished.
MEASURE = """(async () => {
  if (window.MathJax && MathJax.startup) await MathJax.startup.promise;
  await new Promise(r => setTimeout(r, 300));  // widgets render after the load event
  const root = document.documentElement;
  const images = [...document.images].filter(i => i.complete && i.naturalWidth === 0).map(i => i.src);
  // Boxes in the text column whose content is wider than the box: display maths that MathJax clips
  // or gives its own scroll bar, wide tables. The page itself does not scroll, so only this sees them.
  const column = document.querySelector("article") || document.body;
  const tex = el => {
    const items = window.MathJax && MathJax.startup && MathJax.startup.document
      ? MathJax.startup.document.getMathItemsWithin(el) : [];
    return el.tagName === "MJX-CONTAINER" && items.length ? items[0].math : el.textContent;
  };
  const overflows = [...column.querySelectorAll(
      "mjx-container[display], table, .pst-scrollable-table-container, figure, .cell_output")]
    .filter(el => el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1
                  || el.getBoundingClientRect().right > column.getBoundingClientRect().right + 1);
  const wide = overflows.filter(el => !overflows.some(other => other !== el && other.contains(el)))
    .map(el => `${el.tagName.toLowerCase()}: ${tex(el).replace(/\\s+/g, " ").trim().slice(0, 70)}`);
  // Lines that start with punctuation: after an inline element (", which" after a formula) or after
  // a space ("50 %").
  const marks = "[,.;:!?%)，。；：！？、）]";
  const punctuation = new RegExp(marks), afterSpace = new RegExp(`\\\\S[ \\u00a0]+(?=${marks})`, "g");
  const stray = [];
  const lineStart = (node, i, before) => {  // does node's character i start a line below `before`?
    const range = document.createRange();
    range.setStart(node, i);
    range.setEnd(node, i + 1);
    const here = range.getBoundingClientRect();
    return here.height > 0 && before && here.top >= before.bottom - 2;
  };
  const walker = document.createTreeWalker(column, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent, prev = node.previousSibling;
    if (prev && prev.nodeType === Node.ELEMENT_NODE && punctuation.test(text[0] || "")) {
      const rects = prev.getClientRects();
      if (rects.length && lineStart(node, 0, rects[rects.length - 1]))
        stray.push(`${tex(prev).replace(/\\s+/g, " ").trim().slice(-30)}${text.slice(0, 20)}`);
    }
    for (const m of text.matchAll(afterSpace)) {
      const range = document.createRange();
      range.setStart(node, m.index);
      range.setEnd(node, m.index + 1);
      if (lineStart(node, m.index + m[0].length, range.getBoundingClientRect()))
        stray.push(text.slice(Math.max(0, m.index - 30), m.index + m[0].length + 20));
    }
  }
  return JSON.stringify({
    height: root.scrollHeight,
    line_starts_with_punctuation: stray,
    sideways: root.scrollWidth - root.clientWidth,
    math_errors: document.querySelectorAll("mjx-merror").length,
    broken_images: images,
    too_wide: [...new Set(wide)],
    widgets_expected: document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]').length,
    widgets_shown: document.querySelectorAll(".jupyter-widgets").length,
    other_edition: (document.querySelector("a.language-switch") || {}).href || null,
  });
})()"""


class Chromium:
    """A headless Chromium and one tab, driven over the DevTools pipe."""

    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="chromium-")
        to_chrome, self._in = os.pipe()
        self._out, from_chrome = os.pipe()
        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--hide-scrollbars", f"--user-data-dir={self.profile}", "--remote-debugging-pipe"]
        command = ["chromium", *flags]
        if os.geteuid() == 0 and shutil.which("unshare"):
            command = ["unshare", "--net", *command]  # a network namespace with no interface up

        def pipes_at_3_and_4():  # in the child; dup first, as either end may already be 3 or 4
            reads, writes = os.dup(to_chrome), os.dup(from_chrome)
            os.dup2(reads, 3)  # dup2 makes them inheritable across exec
            os.dup2(writes, 4)

        self.process = subprocess.Popen(command, preexec_fn=pipes_at_3_and_4, close_fds=False,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_chrome)
        os.close(from_chrome)
        self._buffer, self._id, self.session, self.events = b"", 0, None, []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.call("Page.enable")
        self.call("Emulation.setDeviceMetricsOverride", width=WIDTH, height=HEIGHT, deviceScaleFactor=1,
                  mobile=False)

    def _receive(self):
        while b"\0" not in self._buffer:
            chunk = os.read(self._out, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed its DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method, **params):
        """Send one DevTools command and return its result (events that arrive meanwhile are kept)."""
        self._id += 1
        message = {"id": self._id, "method": method, "params": params}
        if self.session:
            message["sessionId"] = self.session
        os.write(self._in, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._receive()
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]
            self.events.append(reply.get("method"))

    def open(self, url, timeout=60):
        self.events.clear()
        self.call("Page.navigate", url=url)
        start = time.time()
        while "Page.loadEventFired" not in self.events:
            if time.time() - start > timeout:
                raise TimeoutError(url)
            self.events.append(self._receive().get("method"))
        result = self.call("Runtime.evaluate", expression=MEASURE, awaitPromise=True, returnByValue=True)
        return json.loads(result["result"]["value"])

    def screenshot(self, y):
        self.call("Runtime.evaluate", expression=f"window.scrollTo(0, {y})")
        time.sleep(0.1)
        return base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"])

    def close(self):
        self.process.kill()
        self.process.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


def reader_pages(html):
    """The pages a reader sees in a build folder: not the assets, the search and index pages, or
    Jupyter Book's one-line redirect index.html."""
    for page in sorted(html.rglob("*.html")):
        if "_static" in page.parts or "_sources" in page.parts or page.name in ("search.html", "genindex.html"):
            continue
        if not page.read_text(encoding="utf-8").startswith('<meta http-equiv="Refresh"'):
            yield page


def problems(facts, other_edition=True):
    """What a reader would notice on a page, from the facts MEASURE returns (other_edition=False:
    a build of one edition, whose language switch has nowhere to lead)."""
    found = []
    if facts["sideways"] > 0:
        found.append(f"scrolls sideways by {facts['sideways']} px")
    if facts["math_errors"]:
        found.append(f"{facts['math_errors']} formulas MathJax could not typeset")
    for box in facts["too_wide"]:
        found.append(f"wider than the text column: {box}")
    for line in facts["line_starts_with_punctuation"]:
        found.append(f"a line starts with punctuation: {line}")
    if facts["broken_images"]:
        found.append(f"images not loaded: {facts['broken_images']}")
    other = facts["other_edition"]
    leads_somewhere = other and Path(urllib.parse.unquote(urllib.parse.urlparse(other).path)).is_file()
    if other_edition and not leads_somewhere:
        found.append(f"the language switch leads nowhere: {other}")
    if facts["widgets_shown"] < facts["widgets_expected"]:
        found.append(f"{facts['widgets_shown']} of {facts['widgets_expected']} widgets rendered")
    return found


def main(selected, pictures=True):
    if not shutil.which("chromium"):
        sys.exit("chromium is not installed: `make screenshots` installs it (Debian's chromium)")
    everything = []
    browser = Chromium()
    try:
        for page in selected or [p.relative_to(HTML).as_posix() for p in reader_pages(HTML)]:
            facts = browser.open((HTML / page).as_uri())
            screens = range(0, facts["height"], HEIGHT)
            if pictures:
                folder = OUT / page.removesuffix(".html")
                shutil.rmtree(folder, ignore_errors=True)
                folder.mkdir(parents=True)
                for n, y in enumerate(screens):
                    (folder / f"{n:02d}.png").write_bytes(browser.screenshot(y))
            found = problems(facts)
            print(f"{page:40s} {len(screens):3d} screens  {'; '.join(found) or 'ok'}", flush=True)
            everything += [f"{page}: {p}" for p in found]
    finally:
        browser.close()
    print(f"screenshots in {OUT.relative_to(ROOT)}/")
    if everything:
        sys.exit("\n".join(everything))


if __name__ == "__main__":
    arguments = sys.argv[1:]
    main([a for a in arguments if a != "--checks-only"], pictures="--checks-only" not in arguments)
