"""The committed schematic SVGs are exactly what chapters/figures/draw.py
writes, and each is well-formed XML."""
import pathlib
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

FIG = pathlib.Path(__file__).resolve().parent.parent / "chapters" / "figures"
SVGS = sorted(FIG.glob("*.svg"))


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    out = tmp_path_factory.mktemp("figures")
    subprocess.run([sys.executable, str(FIG / "draw.py"), "--out", str(out)],
                   check=True)
    return out


def test_there_are_diagrams():
    assert SVGS, "no SVG in chapters/figures"


def test_draw_writes_every_committed_svg(regenerated):
    written = {p.name for p in regenerated.glob("*.svg")}
    committed = {p.name for p in SVGS}
    assert committed == written


@pytest.mark.parametrize("svg", SVGS, ids=lambda p: p.name)
def test_svg_is_reproducible(svg, regenerated):
    new = regenerated / svg.name
    assert new.exists(), f"draw.py no longer writes {svg.name}"
    assert new.read_bytes() == svg.read_bytes(), (
        f"{svg.name} differs from draw.py's output; rerun "
        "chapters/figures/draw.py")


@pytest.mark.parametrize("svg", SVGS, ids=lambda p: p.name)
def test_svg_is_well_formed(svg):
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg")
    assert b"<text" not in svg.read_bytes(), "text must be drawn as paths"


@pytest.mark.parametrize("svg", SVGS, ids=lambda p: p.name)
def test_every_diagram_is_used_by_a_chapter(svg):
    chapters = (FIG.parent).glob("*.*")
    users = [p.name for p in chapters if p.suffix in (".ipynb", ".md")
             and f"figures/{svg.name}" in p.read_text(encoding="utf-8")]
    assert users, f"{svg.name} is drawn but no chapter shows it: use it or delete it"
