"""The reproducible progress bar and timer used by long notebook cells."""
import re

from nnlib import progress


def test_plain_bar_prints_one_deterministic_line(monkeypatch, capsys):
    monkeypatch.setenv("NNLIB_PROGRESS", "plain")
    bar = progress.progress(range(4), desc="train")
    items = []
    for i in bar:
        items.append(i)
        bar.set_postfix(loss=1 / (i + 3), epoch=i)
    assert items == [0, 1, 2, 3]
    assert capsys.readouterr().out == "train: 100%|████████████████████| 4/4 [loss=0.1667, epoch=3]\n"


def test_plain_bar_says_when_the_loop_stopped_early(monkeypatch, capsys):
    monkeypatch.setenv("NNLIB_PROGRESS", "plain")
    for i in progress.progress(range(30), desc="cascade"):
        if i == 11:  # the 12th item ends the loop, as early stopping does
            break
    assert capsys.readouterr().out == "cascade: stopped early at 12/30\n"


def test_timer_format_is_what_sanitize_masks(capsys):
    with progress.timer("fit"):
        pass
    line = capsys.readouterr().out
    assert re.fullmatch(r"\[time: \d+\.\d\d s\] fit\n", line)
