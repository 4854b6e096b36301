"""CoNLL reading, vocabularies, windows, spans and conlleval-style F1 on hand-made cases."""
import numpy as np
import pytest

from nnlib.data import Vocab, f1, f1_report, format_report, read_conll, spans, windows

SAMPLE = """-DOCSTART- -X- O

Ada NNP B-PER
Lovelace NNP I-PER
visited VBD O   
London NNP B-LOC
. . O



Nothing NN O
happened VBD O
"""


def test_read_conll_layout_edge_cases(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text(SAMPLE)
    sents = read_conll(path)
    assert sents == [(["Ada", "Lovelace", "visited", "London", "."], ["B-PER", "I-PER", "O", "B-LOC", "O"]),
                     (["Nothing", "happened"], ["O", "O"])]
    assert read_conll(SAMPLE.splitlines()) == sents  # lines work too
    assert read_conll(["x O"]) == [(["x"], ["O"])]  # no trailing blank line
    assert read_conll([]) == []


def test_read_conll_errors_name_file_and_line(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("a O\nb\n")
    with pytest.raises(ValueError, match=r"bad\.txt:2: expected a token and a tag"):
        read_conll(path)
    with pytest.raises(ValueError, match=r"<lines>:1: tag 'PER' is not O"):
        read_conll(["Ada PER"])


def test_read_conll_reads_a_conll2003_sized_file(tmp_path):
    # correctness at CoNLL-2003 size; its speed (well under 2 s) is measured, not asserted:
    # timed assertions fail on a loaded machine (see the closing notes / bench)
    path = tmp_path / "big.txt"
    sentence = "The O\nUniversity B-ORG\nof I-ORG\nOslo I-ORG\nsaid O\n. O\n\n"
    path.write_text(sentence * 34000)  # 204,000 tokens
    sents = read_conll(path)
    assert len(sents) == 34000 and sum(len(t) for t, _ in sents) == 204000
    assert sents[-1][1] == ["O", "B-ORG", "I-ORG", "I-ORG", "O", "O"]


def test_vocab(tmp_path):
    v = Vocab(["b", "a", "b", "c", "c", "c", "d"], min_freq=2)
    assert v.tokens == ["<pad>", "<unk>", "c", "b"]
    assert len(v) == 4 and v.index("c") == 2 and v.index("zzz") == 1 and "a" not in v
    assert v.indices(["b", "a"]) == [3, 1]
    v.save(tmp_path / "v.json")
    w = Vocab.load(tmp_path / "v.json")
    assert w.tokens == v.tokens and w.index("nope") == 1
    with pytest.raises(KeyError, match="no <unk>"):
        Vocab(["a"], specials=()).index("b")


def test_windows_at_sentence_edges():
    assert windows(["a", "b", "c"], size=2) == [
        ["<s>", "<s>", "a", "b", "c"], ["<s>", "a", "b", "c", "<s>"], ["a", "b", "c", "<s>", "<s>"]]
    assert windows(["x"], size=1, pad="#") == [["#", "x", "#"]]
    assert windows([], size=2) == []


def test_spans_bio_and_iob1():
    assert spans(["B-PER", "I-PER", "O", "B-LOC"]) == [("PER", 0, 2), ("LOC", 3, 4)]
    assert spans(["I-ORG", "I-ORG", "B-ORG", "O"]) == [("ORG", 0, 2), ("ORG", 2, 3)]  # IOB1
    assert spans(["B-PER", "I-LOC", "I-LOC"]) == [("PER", 0, 1), ("LOC", 1, 3)]  # type change
    assert spans(["O", "I-MISC"]) == [("MISC", 1, 2)]  # stray I- starts an entity
    assert spans(["B-PER", "B-PER"]) == [("PER", 0, 1), ("PER", 1, 2)]
    assert spans([]) == []


def test_f1_hand_computed():
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "I-ORG", "I-ORG", "O"]]
    pred = [["B-PER", "I-PER", "O", "B-ORG"],   # PER right, LOC predicted as ORG (type error)
            ["B-ORG", "I-ORG", "O", "O"]]        # boundary error
    # 3 gold, 3 predicted, 1 correct
    assert f1(gold, pred) == pytest.approx((1 / 3, 1 / 3, 1 / 3))
    assert f1(gold, gold) == (1.0, 1.0, 1.0)
    assert f1([["O"]], [["O"]]) == (0.0, 0.0, 0.0)
    # 2 correct of 2 predicted, 3 gold: P = 1, R = 2/3, F1 = 0.8
    assert f1(gold, [["B-PER", "I-PER", "O", "B-LOC"], ["O"] * 4]) == pytest.approx((1.0, 2 / 3, 0.8))
    assert f1(gold, [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "I-ORG", "I-ORG", "O"]])[2] == 1.0


def test_f1_report_per_type():
    gold = [["B-PER", "O", "B-LOC", "B-LOC"]]
    pred = [["B-PER", "O", "B-LOC", "O"]]
    r = f1_report(gold, pred)
    assert r["PER"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1}
    assert r["LOC"]["precision"] == 1.0 and r["LOC"]["recall"] == 0.5 and r["LOC"]["support"] == 2
    assert r["overall"]["f1"] == pytest.approx(f1(gold, pred)[2])
    assert list(r) == ["LOC", "PER", "overall"]
    assert "LOC" in format_report(r).splitlines()[1]


def test_f1_length_mismatch():
    with pytest.raises(ValueError, match="sentence 0 has 2 gold tags but 1 predicted"):
        f1([["O", "O"]], [["O"]])
    with pytest.raises(ValueError, match="1 gold sentences but 2 predicted"):
        f1([["O"]], [["O"], ["O"]])


def test_vocab_from_tokens_keeps_order_and_specials():
    from nnlib.data import Vocab

    v = Vocab.from_tokens(["<unk>", "b", "a"], specials=("<unk>",))
    assert v.tokens == ["<unk>", "b", "a"] and v.index("zzz") == 0 and v.encode("ab").tolist() == [2, 1]
    plain = Vocab.from_tokens("xyz")
    with pytest.raises(KeyError, match="has no <unk>"):
        plain.index("q")
    with pytest.raises(ValueError, match="repeats"):
        Vocab.from_tokens(["a", "a"])
    with pytest.raises(ValueError, match=r"specials \['<pad>'\] are not among the tokens"):
        Vocab.from_tokens(["a"], specials=("<pad>",))
