"""Results quoted in a chapter's prose come from its code, through myst-nb's glue.

A decimal number or a percentage in a markdown cell, outside maths, code and roles ({glue:text},
{cite}, ...), is almost always a result someone typed, and typed results drift from the outputs that
nbval checks. Each one must either be glued (`glue("key", value, display=False)` in a code cell,
{glue:text}`key:.3f` in the prose) or be listed as a non-result (a hyperparameter, a constant, a
number from a cited paper) in the chapter's notebook metadata, with the reason:

    "metadata": {"prose_numbers": {"0.5": "dropout rate, a chosen hyperparameter", ...}, ...}

Exercise statements and solutions (directive fences) are prose too and are checked the same way.
"""
import json
import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from mdit_py_plugins.amsmath import amsmath_plugin
from mdit_py_plugins.colon_fence import colon_fence_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.myst_role import myst_role_plugin

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
# myst's own parser plugins, so maths ($…$, $$…$$, \begin{…}), roles and fences are recognised as in the book
MARKDOWN = (MarkdownIt("commonmark").use(dollarmath_plugin).use(amsmath_plugin).use(myst_role_plugin)
            .use(colon_fence_plugin).enable("table"))
# 0.25, .5, 1e-3, 2.5e-4, 71 %, 71%, 98.3 % -- not a version (2.13.0) or part of a name (x1.5)
NUMBER = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?\s?%|\d*\.\d+(?:[eE][-+]?\d+)?|\d+[eE][-+]?\d+)(?!\.?\w)")
DIRECTIVE_OPTION = re.compile(r"^\s*:[\w-]+:.*$", re.M)


def prose(source):
    """The plain-text runs of a markdown cell: no maths, code, roles, link targets or directive options."""
    for token in MARKDOWN.parse(source):
        if token.type in ("fence", "colon_fence"):
            if token.info.strip().startswith("{"):  # a directive ({exercise}, {solution}, {note}, ...)
                yield from prose(DIRECTIVE_OPTION.sub("", token.content))
        elif token.type == "inline":
            yield from (child.content for child in token.children if child.type == "text")


def prose_numbers(nb):
    """(cell index, number, context) for every number in the notebook's markdown."""
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "markdown":
            for text in prose("".join(cell["source"])):
                for m in NUMBER.finditer(text):
                    context = text[max(0, m.start() - 40):m.end() + 20].replace("\n", " ")
                    yield index, m.group(1), context


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_prose_numbers_are_glued_or_listed(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    allowed = nb["metadata"].get("prose_numbers", {})
    assert all(isinstance(reason, str) and reason.strip() for reason in allowed.values()), \
        f"{path.name}: every entry of metadata.prose_numbers needs a reason"
    found = list(prose_numbers(nb))
    typed = [f"  cell {i}: {number!r} in '…{context}…'" for i, number, context in found if number not in allowed]
    assert not typed, (f"{path.name}: numbers typed in prose; glue them, or list them with a reason in the "
                       f"notebook's metadata.prose_numbers:\n" + "\n".join(typed))
    stale = sorted(set(allowed) - {number for _, number, _ in found})
    assert not stale, f"{path.name}: metadata.prose_numbers lists numbers no longer in the prose: {stale}"


def test_the_scanner_skips_maths_code_and_roles():
    text = ("A rate $\\eta = 0.1$ and `lr=0.5` and {glue:text}`acc:.1%` and {cite}`x2019` and [a](b/1.5)"
            " and version 2.13.0; but 0.69 and 71 % and 1e-3 are results.\n\n$$\nx = 0.25\n$$\n\n"
            "```python\ny = 0.75\n```\n\n```{solution} ex-1\n:class: dropout 0.3\nIt gives 0.14.\n```\n")
    found = [m.group(1) for t in prose(text) for m in NUMBER.finditer(t)]
    assert found == ["0.69", "71 %", "1e-3", "0.14"]
