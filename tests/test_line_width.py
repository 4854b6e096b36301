"""Nothing in the HTML book scrolls sideways: code and printed output fit the content column.

At a 1280-px window the book's content column shows WIDTH characters of monospaced text. Every
line a reader can see in a code box must fit: code-cell sources (hidden-input cells too, since a
reader can expand them; `remove-input` cells never show), code blocks in markdown, and the stored
text outputs (stream text, and `text/plain` where no richer form is shown). Widths count characters
as the browser does, wide East Asian characters as two columns.
"""
import json
import re
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
WIDTH = 76  # monospaced columns of the content column at 1280 px (checked in headless Chromium)
RICHER = ("image/png", "image/svg+xml", "text/html", "text/latex", "text/markdown",
          "application/vnd.jupyter.widget-view+json")


def columns(line):
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


def markdown_code_lines(source):
    """Lines inside ``` / ~~~ code fences of a markdown cell, not those of directives ({exercise}, …)."""
    stack = []  # open fences, innermost last: (marker, is_directive)
    for line in source.splitlines():
        stripped = line.strip()
        fence = re.match(r"^(`{3,}|~{3,})(.*)$", stripped)
        if fence and stack and fence.group(1)[0] == stack[-1][0][0] \
                and len(fence.group(1)) >= len(stack[-1][0]) and not fence.group(2).strip():
            stack.pop()  # a closing fence
        elif fence and (not stack or stack[-1][1]):
            stack.append((fence.group(1), fence.group(2).strip().startswith("{")))
        elif stack and not stack[-1][1]:
            yield line


def visible_lines(cell):
    """(where, line) for every line of the cell a reader sees in a fixed-width box."""
    tags = cell.get("metadata", {}).get("tags", [])
    source = "".join(cell["source"])
    if cell["cell_type"] == "markdown":
        yield from (("markdown code", line) for line in markdown_code_lines(source))
        return
    if cell["cell_type"] != "code":
        return
    if "remove-input" not in tags and "remove-cell" not in tags:
        yield from (("code", line) for line in source.splitlines())
    if "remove-output" in tags or "remove-cell" in tags:
        return
    for output in cell.get("outputs", []):
        if output["output_type"] == "stream":
            text = "".join(output["text"])
        elif output["output_type"] in ("execute_result", "display_data"):
            data = output.get("data", {})
            if any(kind in data for kind in RICHER) or "text/plain" not in data:
                continue
            text = "".join(data["text/plain"])
        else:
            continue
        yield from (("output", line) for line in text.splitlines())


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_no_line_needs_a_horizontal_scroll_bar(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    wide = [f"cell {index} {where} ({columns(line)} columns): {line.strip()[:60]}"
            for index, cell in enumerate(nb["cells"])
            for where, line in visible_lines(cell) if columns(line.rstrip()) > WIDTH]
    assert not wide, (f"{path.name}: {len(wide)} lines wider than {WIDTH} columns scroll sideways at "
                      f"1280 px:\n" + "\n".join(wide[:40]))
