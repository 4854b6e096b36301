#!/usr/bin/env python3
"""Write chapters/glossary.md, the book's English–中文 glossary, from the chapters' own glossaries.

Every chapter ends with a "Glossary" section: a table `| English | 中文 | meaning |`. This script
reads those tables in the order of _toc.yml and writes one alphabetical table with, for each term,
its translation, the meaning given where it first appears, and links to every chapter that lists it
(by chapter number, as in the sidebar, so that the table fits the text column).
A term must have one translation across the book: `conflicts()` lists the terms that do not, and
`spellings()` the terms spelled in two ways (minibatch / mini-batch); `--check` fails on either.
`make book` runs it; tests/test_glossary.py checks that the committed page is current and that there
are neither.

    python .ci/glossary.py          # rewrite chapters/glossary.md
    python .ci/glossary.py --check  # exit 1 if it is out of date or a term has two translations
"""
import json
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "chapters" / "glossary.md"
HEADING = re.compile(r"^#+\s+Glossary\b", re.M)

INTRO = """\
# Glossary（术语表）

Every chapter ends with a glossary of the terms it introduces, in English and in Chinese (the
language of the lecture notes the book follows). This page gathers them in one place, with the
numbers of the chapters that use each term. It is generated from the chapters' own tables by `.ci/glossary.py`,
so it cannot disagree with them, and a test fails if one term is given two Chinese translations.
The Chinese edition uses these translations throughout.

| English | 中文 | meaning | chapters |
|---|---|---|---|
"""


def toc_parts():
    """[(numbered, [chapter stems])] for the parts of _toc.yml, the root first as an unnumbered part."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    return [(False, [Path(toc["root"]).name])] + [
        (bool(part.get("numbered")), [Path(entry["file"]).name for entry in part.get("chapters", [])])
        for part in toc.get("parts", [])]


def chapter_order():
    """Chapter stems in the order of _toc.yml (root first)."""
    return [stem for _, stems in toc_parts() for stem in stems]


def chapter_numbers():
    """{stem: number} for the chapters of the numbered parts, counted across parts as in the sidebar."""
    numbered = [stem for is_numbered, stems in toc_parts() if is_numbered for stem in stems]
    return {stem: n for n, stem in enumerate(numbered, start=1)}


def cells(stem):
    path = ROOT / "chapters" / f"{stem}.ipynb"
    if not path.exists():
        return []
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def split_row(line):
    """The cells of a markdown table row; a `|` inside $…$ or `…` does not split."""
    parts, buf, math, code = [], "", False, False
    for ch in line.strip().strip("|"):
        if ch == "$" and not code:
            math = not math
        elif ch == "`" and not math:
            code = not code
        if ch == "|" and not math and not code:
            parts.append(buf.strip())
            buf = ""
        else:
            buf += ch
    return parts + [buf.strip()]


def glossary_rows(stem):
    """(english, chinese, meaning) for each row of a chapter's glossary table."""
    for cell in cells(stem):
        source = "".join(cell["source"])
        if cell["cell_type"] != "markdown" or not HEADING.search(source):
            continue
        for line in source[HEADING.search(source).start():].splitlines():
            if not line.startswith("|"):
                continue
            row = split_row(line)
            if row[0] in ("English", "") or set(row[0]) <= set("-: "):
                continue  # header and separator rows
            yield row[0], row[1], row[2] if len(row) > 2 else ""


def key(term):
    """What makes two English terms the same term: case, hyphens and a (parenthesised) part do not."""
    term = re.sub(r"\$[^$]*\$|\([^)]*\)", "", term)
    return re.sub(r"[\s\-–]+", " ", term).strip().lower()


def loose_key(term):
    """What makes two spellings one term for a reader: also word order inside a parenthesis
    ("normal (Gaussian)"), a plural s, a hyphen dropped ("minibatch") and centred/centered."""
    term = re.sub(r"\$[^$]*\$", "", term.lower()).replace("(", " ").replace(")", " ")
    words = re.sub(r"[-–]", "", term).replace("centered", "centred").split()
    return tuple(sorted(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w
                        for w in words))


def spellings(found=None):
    """Lines naming the terms that the book spells in two ways (two glossary entries for one term)."""
    found = entries() if found is None else found
    groups = {}
    for entry in found.values():
        groups.setdefault(loose_key(entry["english"]), []).append(entry)
    return [" / ".join(f"{e['english']} ({', '.join(e['chapters'])})" for e in group)
            for group in groups.values() if len(group) > 1]


def entries():
    """{key: {"english", "chinese": {translation: [stems]}, "meaning", "chapters"}} in book order."""
    found = {}
    for stem in chapter_order():
        if stem == "glossary":
            continue
        for english, chinese, meaning in glossary_rows(stem):
            entry = found.setdefault(key(english), {"english": english, "chinese": {}, "meaning": meaning,
                                                    "chapters": []})
            entry["chinese"].setdefault(re.sub(r"\s+", " ", chinese).strip(), []).append(stem)
            if stem not in entry["chapters"]:
                entry["chapters"].append(stem)
    return found


def conflicts(found=None):
    """Lines naming each English term given more than one Chinese translation, and where."""
    found = entries() if found is None else found
    return [f"{e['english']}: " + "; ".join(f"{zh} ({', '.join(stems)})" for zh, stems in e["chinese"].items())
            for e in found.values() if len(e["chinese"]) > 1]


def render(found=None):
    found = entries() if found is None else found
    number = chapter_numbers()
    rows = []
    for k in sorted(found, key=lambda k: re.sub(r"[^a-z0-9 ]", "", k)):
        e = found[k]
        links = ", ".join(f"{{doc}}`{number[stem]} <{stem}>`" for stem in e["chapters"])
        rows.append(f"| {e['english']} | {next(iter(e['chinese']))} | {e['meaning']} | {links} |")
    return INTRO + "\n".join(rows) + "\n"


def main(argv):
    found = entries()
    problems = conflicts(found) + spellings(found)
    text = render(found)
    if "--check" in argv:
        if PAGE.read_text(encoding="utf-8") != text:
            problems.append(f"{PAGE.relative_to(ROOT)} is out of date: run python .ci/glossary.py")
    else:
        PAGE.write_text(text, encoding="utf-8")
    for line in problems:
        print(f"glossary: {line}", file=sys.stderr)
    # writing never fails (make book must build); --check (and tests/test_glossary.py) does
    return 1 if problems and "--check" in argv else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
