"""The Chinese edition keeps step with the English one.

Every message of every page is translated and none is fuzzy, and the catalogues hold exactly the
messages the English sources have today: a changed English paragraph is a new message, which
fails here until `make translations` has added it and someone has translated it.
"""
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / ".ci"))
import translations  # noqa: E402

CATALOGUES = translations.catalogues()


def test_every_page_has_a_catalogue():
    pages = {p.relative_to(ROOT).with_suffix("").as_posix()
             for p in (ROOT / "chapters").glob("*") if p.suffix in (".ipynb", ".md")}
    assert pages <= set(CATALOGUES), f"pages without a catalogue: {sorted(pages - set(CATALOGUES))}"


@pytest.mark.parametrize("page", sorted(CATALOGUES))
def test_every_message_is_translated(page):
    catalog = CATALOGUES[page]
    untranslated = [m.id for m in catalog if m.id and not m.string]
    fuzzy = [m.id for m in catalog if m.id and m.string and m.fuzzy]
    assert not untranslated and not fuzzy, (
        f"{page}.po: {len(untranslated)} untranslated, {len(fuzzy)} fuzzy messages, e.g. "
        f"{(untranslated + fuzzy)[0][:70]!r}")



@pytest.mark.parametrize("page", sorted(CATALOGUES))
def test_translations_keep_the_markup(page):
    """Maths, code, links and role targets reappear unchanged in the translation."""
    changed = [m.id for m in CATALOGUES[page]
               if m.id and m.string and translations.markup(m.id) != translations.markup(m.string)]
    assert not changed, f"{page}.po: {len(changed)} translations change markup, e.g. {changed[0][:70]!r}"


@pytest.mark.parametrize("page", sorted(CATALOGUES))
def test_display_equations_are_copied_unchanged(page):
    """Sphinx renders a display equation whose "translation" differs as a broken block (`\\[::\\]`),
    so its msgstr must be the English TeX itself; words belong in the prose around it."""
    changed = [m.id for m in CATALOGUES[page] if m.id.startswith("\n") and m.string and m.string != m.id]
    assert not changed, f"{page}.po: {len(changed)} translated display equations, e.g. {changed[0][:70]!r}"


def test_copied_messages_follow_their_english(tmp_path, monkeypatch):
    """After `make translations`, a changed display equation or list of links (shown as the English)
    is copied again; a changed paragraph stays fuzzy for a translator."""
    catalog = Catalog(locale="zh_CN")
    catalog.add("\nx = 1 + 2\n", "\nx = 3\n", flags=["fuzzy"])  # the old equation as its draft
    catalog.add("{doc}`2 <b>`", "{doc}`1 <a>`", flags=["fuzzy"])
    catalog.add("A new sentence.", "\nx = 3\n", flags=["fuzzy"])  # prose never becomes a copy
    monkeypatch.setattr(translations, "CATALOGUES", tmp_path)
    translations.save("page", catalog)
    translations.follow_copies({"\nx = 3\n", "{doc}`1 <a>`"})
    result = {m.id: (m.string, m.fuzzy) for m in translations.catalogues()["page"] if m.id}
    assert result == {"\nx = 1 + 2\n": ("\nx = 1 + 2\n", False), "{doc}`2 <b>`": ("{doc}`2 <b>`", False),
                      "A new sentence.": ("\nx = 3\n", True)}


@pytest.mark.slow
def test_catalogues_hold_the_current_english_messages(tmp_path):
    pots = translations.extract(tmp_path)
    for pot in sorted(pots.rglob("*.pot")):
        page = pot.relative_to(pots).with_suffix("").as_posix()
        with pot.open("rb") as f:
            english = {m.id for m in read_po(f) if m.id}
        catalog = {m.id for m in CATALOGUES.get(page, []) if m.id}
        assert english == catalog, (
            f"{page}: the English text changed; run `make translations` and translate "
            f"{len(english - catalog)} new message(s), e.g. {sorted(english - catalog)[:1]}")
