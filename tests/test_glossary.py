"""The book's glossary page (chapters/glossary.md) is generated from the chapters' glossaries by
.ci/glossary.py: it must be current, and every English term must have one Chinese translation."""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / ".ci"))
import glossary  # noqa: E402  (.ci/glossary.py)


def test_every_chapter_has_a_glossary():
    missing = [stem for stem in glossary.chapter_order()
               if stem not in ("preface", "notation", "references", "glossary") and not list(glossary.glossary_rows(stem))]
    assert not missing, f"chapters without a Glossary table: {missing}"


def test_one_translation_per_term():
    problems = glossary.conflicts()
    assert not problems, "terms with two Chinese translations:\n" + "\n".join(problems)


def test_one_spelling_per_term():
    problems = glossary.spellings()
    assert not problems, "terms the book spells in two ways (make them one):\n" + "\n".join(problems)


def test_glossary_page_is_current():
    assert glossary.PAGE.read_text(encoding="utf-8") == glossary.render(), \
        "chapters/glossary.md is out of date: run `python .ci/glossary.py` (make book does)"


def test_term_key_ignores_case_hyphens_and_parentheses():
    assert glossary.key("Fine-tuning") == glossary.key("fine tuning") == "fine tuning"
    assert glossary.key("Jacobian (matrix)") == "jacobian"
    assert glossary.split_row("| a $|x|$ | b | `c|d` |") == ["a $|x|$", "b", "`c|d`"]


def test_loose_key_joins_spellings_of_one_term():
    assert glossary.loose_key("mini-batch") == glossary.loose_key("minibatch")
    assert glossary.loose_key("vanishing gradients") == glossary.loose_key("vanishing gradient")
    assert glossary.loose_key("normal (Gaussian) distribution") == glossary.loose_key("Gaussian (normal) distribution")
    assert glossary.loose_key("centered difference") == glossary.loose_key("centred difference")
    assert glossary.loose_key("loss") != glossary.loose_key("lo")  # a double s is not a plural
    assert glossary.loose_key("bias") != glossary.loose_key("weight")
