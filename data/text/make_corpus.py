"""Rebuild corpus.txt from the prose of the book's chapters (see README.md in this folder).

    python data/text/make_corpus.py            # from the repository root

Takes the markdown cells of chapters/*.ipynb in file-name order, except the two chapters that
train on this corpus, and keeps their English prose: code blocks, display maths, tables,
citations and directive options are removed, inline maths is kept only when it is a single
symbol, and the text is lower-cased and reduced to a fixed set of 48 characters. Writes one
paragraph per line. The committed corpus.txt is a snapshot: re-running this script after the
chapters have changed gives a different file, and the chapters' stored outputs would change.
"""
import re
import sys
import unicodedata
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
EXCLUDE = {"language_models.ipynb", "attention.ipynb"}  # the chapters that read this corpus
CHARS = "\nabcdefghijklmnopqrstuvwxyz0123456789 !'(),-.:;?"  # the 48 characters kept
REPLACE = {"\u2014": " - ", "\u2013": "-", "\u2212": "-", "\u2018": "'", "\u2019": "'", '"': "'",
           "\u201c": "'", "\u201d": "'", "\u00d7": " x ", "\u2192": " - ", "\u2026": "...", "/": " ",
           "_": " ", "[": "(", "]": ")", "{": "(", "}": ")"}


def inline_math(match):
    """$x$ -> x, $\\delta$ -> delta; any longer formula is dropped."""
    body = match.group(1).strip()
    return body.lstrip("\\") if re.fullmatch(r"\\?[A-Za-z]+", body) else ""


def prose(markdown):
    """The English sentences of one markdown cell, as a list of paragraphs (raw case)."""
    out, fence = [], []  # fence: stack of (backticks, is_code) for the open fences
    for line in markdown.split("\n"):
        m = re.match(r"^\s*(`{3,}|~{3,})(.*)$", line)
        if m:
            ticks, info = m.group(1), m.group(2).strip()
            if not info and fence and fence[-1][0] == ticks:
                fence.pop()
            else:  # a directive ({exercise}, {solution}, ...) keeps its text; any other fence is code
                fence.append((ticks, not info.startswith("{")))
            out.append("")
            continue
        if any(is_code for _, is_code in fence):
            continue
        if re.match(r"^\s*(\||:[\w-]+:|<)", line):  # table rows, directive options, html
            out.append("")
            continue
        out.append(line)
    text = "\n".join(out)
    text = re.sub(r"\$\$.*?\$\$", "\n\n", text, flags=re.S)  # display maths
    text = re.sub(r"\\begin\{(\w+\*?)\}.*?\\end\{\1\}", " ", text, flags=re.S)
    text = re.sub(r"(?<!\\)\$(.+?)(?<!\\)\$", inline_math, text)  # inline maths
    text = re.sub(r"\{[\w:-]+\}`[^`]*`", "", text)  # {cite}`key`, {doc}`name`, ...
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # [text](url) -> text
    text = text.replace("`", "").replace("*", "")
    text = re.sub(r"^[ \t]*(#+|[-+]|\d+\.)[ \t]+", "", text, flags=re.M)  # headings, list markers
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]


def normalise(paragraph):
    """Lower-case ASCII over the 48 characters of CHARS, with tidy spacing and punctuation."""
    for a, b in REPLACE.items():
        paragraph = paragraph.replace(a, b)
    paragraph = unicodedata.normalize("NFKD", paragraph).encode("ascii", "ignore").decode().lower()
    paragraph = "".join(c if c in CHARS and c != "\n" else " " for c in paragraph)
    paragraph = re.sub(r"\(\s*[,;:.]*\s*\)", " ", paragraph)  # brackets emptied by dropped maths
    paragraph = re.sub(r"\s+", " ", paragraph)
    paragraph = re.sub(r"\s+([,.;:!?)])", r"\1", paragraph)
    paragraph = re.sub(r"\(\s+", "(", paragraph)
    paragraph = re.sub(r"([,;:])(?:\s*[,;:])+", r"\1", paragraph)  # ", ," left by dropped maths
    return paragraph.strip()


def main():
    paragraphs = []
    for path in sorted((ROOT / "chapters").glob("*.ipynb")):
        if path.name in EXCLUDE:
            continue
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type != "markdown" or re.match(r"#+\s*(Glossary|References)\b", cell.source):
                continue
            for p in prose(cell.source):
                p = normalise(p)
                if len(p.split()) >= 6:  # drop headings and fragments
                    paragraphs.append(p)
    text = "\n".join(paragraphs) + "\n"
    assert set(text) <= set(CHARS), sorted(set(text) - set(CHARS))
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("corpus.txt")
    out.write_text(text, encoding="ascii")
    print(f"{out}: {len(paragraphs)} paragraphs, {len(text)} characters, {len(text.split())} words")


if __name__ == "__main__":
    main()
