"""The Chinese edition: one gettext catalogue per page in locales/zh_CN/LC_MESSAGES/.

    python .ci/translations.py update   # re-extract the English messages, update the catalogues
    python .ci/translations.py update chapters/rnn.ipynb ...   # only these pages' catalogues
    python .ci/translations.py status   # per catalogue: messages, untranslated, fuzzy
    python .ci/translations.py build    # the Chinese edition, into _build/html/zh (`make book`)

`update` runs Sphinx's gettext builder through Jupyter Book (every markdown cell, heading,
caption, admonition and exercise of every page) and then `sphinx-intl update`: new messages
arrive untranslated, changed ones are marked fuzzy with the old translation kept as a draft.
"""
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LANGUAGE = "zh_CN"
CATALOGUES = ROOT / "locales" / LANGUAGE / "LC_MESSAGES"
GETTEXT = ROOT / "_build" / "gettext"  # Jupyter Book writes the .pot files to GETTEXT/_build/gettext
BIN = Path(sys.executable).parent


def extract(path_output=GETTEXT, strict=True):
    """Write one .pot file per page under path_output/_build/gettext; returns that folder.
    strict=False: warnings do not stop it (a page someone else is re-executing may lack glue values)."""
    warnings = ["-W", "-n", "--keep-going"] if strict else []
    subprocess.run([BIN / "jupyter-book", "build", ROOT, "--builder", "custom", "--custom-builder",
                    "gettext", "--path-output", path_output, *warnings, "--quiet"], check=True)
    return Path(path_output) / "_build" / "gettext"


def update(pages=()):
    """Re-extract and update every catalogue, or only those of `pages` ('chapters/rnn'): then the
    extraction goes to a private folder and no other page's catalogue is touched, so that people
    working on different chapters can update their own catalogues at the same time."""
    copies = {m.string for catalog in catalogues().values() for m in catalog if m.id and m.string == m.id}
    with tempfile.TemporaryDirectory(prefix="gettext-") as private:
        if pages:  # only these pages' templates, in a folder of their own
            extracted, pots = extract(Path(private) / "build", strict=False), Path(private) / "pots"
            for page in pages:
                (pots / page).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(extracted / f"{page}.pot", pots / f"{page}.pot")
        else:
            pots = extract()
        subprocess.run([BIN / "sphinx-intl", "update", "--pot-dir", pots, "--locale-dir", ROOT / "locales",
                        "--language", LANGUAGE, "--line-width", "-1", "--no-obsolete"], check=True)
    follow_copies(copies, pages)


def untranslatable(text):
    """A display equation (Sphinx extracts its TeX, starting with a newline) or nothing but markup
    (maths, code, roles such as a list of chapter links)."""
    return text.startswith("\n") or not re.search(r"[A-Za-z]", _MARKUP.sub("", text))


def follow_copies(copies, pages=()):
    """Messages the Chinese edition shows exactly as the English (display equations, lists of links)
    follow their English source: a changed one that sphinx-intl marked fuzzy, with an old copy as its
    draft, becomes a copy of the new English. Everything else stays fuzzy for a translator."""
    for page, catalog in catalogues().items():
        if pages and page not in pages:
            continue
        followed = [m for m in catalog if m.id and m.fuzzy and m.string in copies
                    and untranslatable(m.id) and untranslatable(m.string)]
        for message in followed:
            message.string = message.id
            message.flags.discard("fuzzy")
        if followed:
            save(page, catalog)
            print(f"{page}: {len(followed)} copied messages follow their changed English")


def catalogues():
    """{page: babel Catalog} for every .po file, page like 'chapters/backprop'."""
    result = {}
    for po in sorted(CATALOGUES.rglob("*.po")):
        with po.open("rb") as f:
            result[po.relative_to(CATALOGUES).with_suffix("").as_posix()] = read_po(f)
    return result


# What a translation must carry over unchanged: roles ({doc}, {numref}, {glue:text}, {eq}, {cite}, …;
# an explicit title may be translated, the target not), maths, inline code, links and HTML tags.
_MARKUP = re.compile(r"(\{[\w:.-]+\})`([^`]*)`|(\$\$.+?\$\$|\$[^$\n]+\$|``.+?``|`[^`\n]+`"
                     r"|\]\([^)\s]+\)|https?://[^\s)>]+|</?[A-Za-z][^>\n]*>)", re.S)


def markup(text):
    """The sorted markup pieces of a message, as they must reappear in its translation."""
    pieces = []
    for role, content, other in _MARKUP.findall(text):
        if role:
            target = re.search(r"<([^<>]+)>\s*$", content)
            pieces.append(role + (target.group(1) if target else content))
        else:
            pieces.append(other)
    return sorted(pieces)


def save(page, catalog):
    """Write one page's catalogue back as `sphinx-intl update` writes it (no line wrapping)."""
    with (CATALOGUES / f"{page}.po").open("wb") as f:
        write_po(f, catalog, width=-1)


def counts(catalog):
    """(messages, untranslated, fuzzy) of one catalogue (the header entry not counted)."""
    messages = [m for m in catalog if m.id]
    untranslated = sum(1 for m in messages if not m.string)
    fuzzy = sum(1 for m in messages if m.string and m.fuzzy)
    return len(messages), untranslated, fuzzy


def status():
    total = [0, 0, 0]
    for page, catalog in catalogues().items():
        row = counts(catalog)
        total = [a + b for a, b in zip(total, row)]
        print(f"{page:32s} {row[0]:5d} messages {row[1]:5d} untranslated {row[2]:4d} fuzzy")
    print(f"{'all':32s} {total[0]:5d} messages {total[1]:5d} untranslated {total[2]:4d} fuzzy")


def search_words():
    """The Chinese terms of the glossary page: its runs of two or more Han characters. Sphinx's Chinese
    search splits the text into words with jieba, whose own dictionary cuts 反向传播 into 反向 + 传播;
    given these words as a user dictionary it indexes the whole term as well, so searching for it
    finds the pages that use it."""
    text = (ROOT / "chapters" / "glossary.md").read_text(encoding="utf-8")
    rows = [line.split("|") for line in text.splitlines() if line.startswith("| ")][1:]  # no header
    return sorted({word for row in rows for word in re.findall(r"[\u4e00-\u9fff]{2,}", row[2])})


def config(search_dictionary):
    """The English _config.yml with Sphinx's language set to Chinese (as YAML text)."""
    settings = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    settings["title"] = "神经网络：可执行的讲义"
    settings["author"] = "nnlib 作者"
    sphinx = settings["sphinx"]
    sphinx["config"]["language"] = LANGUAGE
    sphinx["config"]["html_search_options"] = {"dict": str(search_dictionary)}
    sphinx["config"]["togglebutton_hint"] = "点击显示"  # sphinx-togglebutton: the solution dropdowns
    sphinx["config"]["togglebutton_hint_hide"] = "点击隐藏"
    # myst-nb's hide-input button ("Show code cell {type}"; the book hides only code sources)
    sphinx["config"]["nb_code_prompt_show"] = "显示代码"
    sphinx["config"]["nb_code_prompt_hide"] = "隐藏代码"
    # glued numbers in translated paragraphs, translated toc captions (.ci/chinese_edition.py says why)
    sphinx["local_extensions"] = {"chinese_edition": str(ROOT / ".ci")}
    return yaml.safe_dump(settings, allow_unicode=True, sort_keys=False)


def build_chinese(path_output):
    """Build the Chinese edition into path_output/_build/html with -W; returns the CompletedProcess
    (its output holds Sphinx's warnings)."""
    path_output = Path(path_output).resolve()
    path_output.mkdir(parents=True, exist_ok=True)
    dictionary = path_output / "search_words.txt"
    dictionary.write_text("\n".join(search_words()) + "\n", encoding="utf-8")
    settings = path_output / "_config.zh_CN.yml"
    settings.write_text(config(dictionary), encoding="utf-8")
    return subprocess.run([BIN / "jupyter-book", "build", ROOT, "--config", settings, "--path-output",
                           path_output, "-W", "-n", "--keep-going"], capture_output=True, text=True)


def build():
    """`make book`'s second half: the Chinese edition, copied to _build/html/zh."""
    proc = build_chinese(ROOT / "_build" / "zh_CN")
    sys.stdout.write(proc.stdout[-2000:])
    sys.stderr.write(proc.stderr)
    if proc.returncode:
        sys.exit(proc.returncode)
    target = ROOT / "_build" / "html" / "zh"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(ROOT / "_build" / "zh_CN" / "_build" / "html", target)
    print(f"Chinese edition: {target.relative_to(ROOT)}/index.html")


if __name__ == "__main__":
    commands = {"update": update, "status": status, "build": build}
    if len(sys.argv) < 2 or sys.argv[1] not in commands or len(sys.argv) > 2 and sys.argv[1] != "update":
        sys.exit(__doc__)
    if sys.argv[1] == "update":
        update([page.removesuffix(".ipynb").removesuffix(".md") for page in sys.argv[2:]])
    else:
        commands[sys.argv[1]]()
