"""NER with a window classifier: word features on hand cases, index arrays against
nnlib.data.windows, the BIO-valid Viterbi decoder against brute force, the mean-of-window
model's gradients, save/load round trip, determinism, and the command line."""
import itertools
import subprocess
import sys

import numpy as np
import pytest

from nnlib import ner
from nnlib.data import read_conll, spans, windows
from nnlib.gradcheck import numerical_gradient, relative_error
from nnlib.models import WindowClassifier

TAGS = ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]


def test_shape_hand_cases():
    assert ner.shape("McDonald's") == "XxXx'x"
    assert ner.shape("U.S.") == "X.X."
    assert ner.shape("1984") == "0"
    assert ner.shape("iPhone") == "xXx"
    assert ner.shape("well-known") == "x-x"
    assert ner.shape("Paris") == "Xx" and ner.shape("PARIS") == "X" and ner.shape(",") == ","


def test_caps_hand_cases():
    cases = {"McDonald's": "mixed", "U.S.": "upper", "1984": "digit", "iPhone": "mixed", "Paris": "init",
             "paris": "lower", "UN": "upper", "A": "init", ",": "punct", "--": "punct", "F-16": "digit",
             "O'Neil": "mixed", "Jean-Luc": "mixed", "well-known": "lower"}
    assert {w: ner.caps(w) for w in cases} == cases
    assert set(cases.values()) <= set(ner.CAPS_CLASSES)


def test_digit_normalisation_and_suffix():
    assert ner.normalize("1984") == "0000"
    assert ner.normalize("Route66") == "route00"
    assert ner.normalize("3.5%") == "0.0%"
    assert ner.normalize("PARIS") == ner.normalize("Paris") == "paris"
    assert ner.suffix("Running") == "ing" and ner.suffix("Running", 2) == "ng"
    assert ner.suffix("Al") == "al" and ner.suffix("2001") == "000"


def test_featurizer_rows_match_data_windows():
    sents = [(["Ada", "met", "Bob"], ["B-PER", "O", "B-PER"]), (["Hi"], ["O"]), (["Oslo", "rocks"], ["B-LOC", "O"])]
    config = ner.Config(half=2, features=("caps", "shape"), min_freq=1, feature_min_freq=1)
    feat = ner.Featurizer.fit(sents, config)
    rows, win = feat.encode([s for s, _ in sents], half=2)
    assert win.shape == (6, 5) and rows.shape == (6 + 2 * 4, 3)
    words = feat.vocabs[0].tokens
    expected = [w for s, _ in sents for w in windows([ner.normalize(t) for t in s], size=2, pad="<pad>")]
    assert [[words[i] for i in row] for row in rows[win, 0]] == expected
    caps_vocab = feat.vocabs[1]
    assert caps_vocab.tokens[rows[win[0, 2], 1]] == "init" and rows[win[0, 0], 1] == 0  # pad row
    # an unseen word gets <unk> for the word but keeps informative features
    new_rows, new_win = feat.encode([["Zed"]], half=2)
    row = new_rows[new_win[0, 2]]
    assert row[0] == feat.vocabs[0].unk and caps_vocab.tokens[row[1]] == "init"
    assert feat.vocabs[2].tokens[row[2]] == "Xx"


def test_replace_rare_words_by_unk():
    rng = np.random.default_rng(0)
    rare = np.array([False, False, True, False, True])  # <pad>, <unk>, a rare word, a common one, a rare one
    words = rng.integers(0, 5, 20000)
    assert np.array_equal(ner.replace_rare(words, rare, 1, 0.0, rng), words)
    all_replaced = ner.replace_rare(words, rare, 1, 1.0, rng)
    assert np.array_equal(all_replaced, np.where(rare[words], 1, words))
    half = ner.replace_rare(words, rare, 1, 0.5, rng)
    assert np.array_equal(half[~rare[words]], words[~rare[words]])  # common words never change
    share = np.mean(half[rare[words]] == 1)
    assert abs(share - 0.5) < 4 * np.sqrt(0.25 / rare[words].sum())  # within 4 standard errors


def test_transitions():
    allowed, start = ner.transitions(TAGS)
    assert start.tolist() == [True, True, False, True, False]
    # I-LOC only after B-LOC or I-LOC; I-PER only after B-PER or I-PER; the rest anywhere
    assert allowed[:, 2].tolist() == [False, True, True, False, False]
    assert allowed[:, 4].tolist() == [False, False, False, True, True]
    assert allowed[:, [0, 1, 3]].all()
    assert ner.tag_set([(["a", "b"], ["B-PER", "O"]), (["c"], ["B-LOC"])]) == TAGS


def test_viterbi_fixes_invalid_sequence():
    # per-token arg-max is O, I-PER: invalid.  Valid candidates: B-PER I-PER = 0.3 · 0.7 = 0.21
    # beats O B-PER (0.6 · 0.2 = 0.12) and O O (0.06)
    probs = np.array([[0.6, 0.3, 0.1], [0.1, 0.2, 0.7]])
    tags = ["O", "B-PER", "I-PER"]
    assert [tags[i] for i in np.argmax(probs, axis=1)] == ["O", "I-PER"]
    allowed, start = ner.transitions(tags)
    assert [tags[i] for i in ner.viterbi(np.log(probs), allowed, start)] == ["B-PER", "I-PER"]
    # if I-PER is weak, the fix is O B-PER instead
    probs2 = np.array([[0.8, 0.15, 0.05], [0.1, 0.35, 0.55]])  # 0.8·0.35 = 0.28 > 0.15·0.55
    assert [tags[i] for i in ner.viterbi(np.log(probs2), allowed, start)] == ["O", "B-PER"]
    # I- at the start of a sentence is forbidden too
    assert ner.viterbi(np.log([[0.1, 0.2, 0.7]]), allowed, start).tolist() == [1]


def _valid(seq):
    return all(not TAGS[t].startswith("I-") or (i > 0 and TAGS[seq[i - 1]][2:] == TAGS[t][2:])
               for i, t in enumerate(seq))


def test_viterbi_equals_brute_force():
    rng = np.random.default_rng(0)
    allowed, start = ner.transitions(TAGS)
    all_seqs = list(itertools.product(range(len(TAGS)), repeat=5))
    valid = [s for s in all_seqs if _valid(s)]
    # the BIO rule in _valid is conlleval's: in a valid sequence every I- continues an entity
    assert all(len(spans([TAGS[t] for t in s])) == sum(TAGS[t].startswith("B-") for t in s) for s in valid)
    assert len(valid) < len(all_seqs)
    for _ in range(20):
        logp = np.log(rng.dirichlet(np.ones(len(TAGS)), size=5))
        brute = max(valid, key=lambda s: logp[np.arange(5), s].sum())
        path = ner.viterbi(logp, allowed, start)
        assert tuple(path) == brute


def test_viterbi_batch_equals_one_at_a_time():
    rng = np.random.default_rng(1)
    allowed, start = ner.transitions(TAGS)
    logps = [np.log(rng.dirichlet(np.ones(5), size=n)) for n in (7, 1, 3, 12, 2)]
    batch = ner.viterbi_batch(logps, allowed, start)
    assert [b.tolist() for b in batch] == [ner.viterbi(lp, allowed, start).tolist() for lp in logps]
    assert ner.viterbi_batch([], allowed, start) == []


def test_mean_of_window_gradients_and_order_invariance():
    rng = np.random.default_rng(2)
    m = WindowClassifier(vocab_size=9, num_tags=4, embed_dim=3, window=3, hidden=5, feature_sizes=(4, 6),
                         feature_dim=(2, 3), combine="mean", rng=rng)
    assert m.hidden.W.shape == (5, 3 + 2 + 3)
    words, caps, shape = rng.integers(0, 9, (6, 3)), rng.integers(0, 4, (6, 3)), rng.integers(0, 6, (6, 3))
    dout = rng.standard_normal((6, 4))
    m.zero_grad()
    m(words, caps, shape)
    m.backward(dout)
    for name, p in m.named_parameters():
        numeric = numerical_gradient(lambda _: m(words, caps, shape), p.data, dout=dout)
        assert relative_error(p.grad, numeric) < 1e-7, name
    rev = (words[:, ::-1], caps[:, ::-1], shape[:, ::-1])
    assert np.allclose(m(words, caps, shape), m(*rev))  # averaging forgets the order


NAMES = {"PER": ["Ada Lovelace", "Alan Turing", "Grace Hopper", "Turing", "Hopper", "Noether"],
         "LOC": ["Paris", "Oslo", "New York", "Lima", "Kyoto"],
         "ORG": ["Acme Corp", "UN", "Oslo University", "Kyoto Bank"]}
TEMPLATES = ["{PER} visited {LOC} on Monday .", "{ORG} hired {PER} in {LOC} .",
             "the weather in {LOC} was fine .", "{PER} said {ORG} grew .", "nothing happened ."]


def write_corpus(path, n_sentences, seed):
    rng = np.random.default_rng(seed)
    lines = []
    for _ in range(n_sentences):
        for word in TEMPLATES[rng.integers(len(TEMPLATES))].split():
            if word.startswith("{"):
                kind = word[1:-1]
                parts = NAMES[kind][rng.integers(len(NAMES[kind]))].split()
                lines += [f"{p} {'B' if i == 0 else 'I'}-{kind}" for i, p in enumerate(parts)]
            else:
                lines.append(f"{word} O")
        lines.append("")
    path.write_text("\n".join(lines) + "\n")
    return path


SMALL = ner.Config(embed_dim=8, feature_dim=3, hidden=16, epochs=3, batch_size=16, lr=5e-3)


def test_train_is_deterministic_and_save_load_round_trips(tmp_path):
    train = read_conll(write_corpus(tmp_path / "train.txt", 60, seed=0))
    dev = read_conll(write_corpus(tmp_path / "dev.txt", 20, seed=1))
    a, hist = ner.train(train, dev, SMALL, seed=3, show_progress=False)
    b, _ = ner.train(train, dev, SMALL, seed=3, show_progress=False)
    assert all(np.array_equal(p.data, q.data) for p, q in zip(a.models[0].parameters(), b.models[0].parameters()))
    assert len(hist[0]["loss"]) == 3 and hist[0]["loss"][-1] < hist[0]["loss"][0]
    path = tmp_path / "m.npz"
    ner.save(a, path)
    c = ner.load(path)
    sents = [toks for toks, _ in dev] + [["Zorro", "visited", "Quito", "."]]
    assert all(np.array_equal(p, q) for p, q in zip(a.token_probs(sents), c.token_probs(sents)))
    assert a.predict(sents) == c.predict(sents)
    tags = ner.tag(c, ["Alan", "Turing", "visited", "Kyoto", "."])
    assert len(tags) == 5 and set(tags) <= set(c.tags)
    assert c.config == a.config and c.featurizer.sizes == a.featurizer.sizes


def test_ensemble_averages_member_probabilities(tmp_path):
    train = read_conll(write_corpus(tmp_path / "train.txt", 40, seed=0))
    config = ner.Config(**{**SMALL.__dict__, "epochs": 1, "ensemble": 2})
    tagger, hist = ner.train(train, None, config, seed=5, show_progress=False)
    assert len(tagger.models) == 2 and len(hist) == 2
    sents = [toks for toks, _ in train[:5]]
    single = [ner.Tagger(config, tagger.featurizer, tagger.tags, [m]).token_probs(sents) for m in tagger.models]
    for avg, p0, p1 in zip(tagger.token_probs(sents), *single):
        assert np.allclose(avg, (p0 + p1) / 2) and np.allclose(avg.sum(axis=1), 1.0)


def test_parallel_ensemble_trains_the_same_models(tmp_path):
    train = read_conll(write_corpus(tmp_path / "train.txt", 40, seed=0))
    dev = read_conll(write_corpus(tmp_path / "dev.txt", 10, seed=1))
    config = ner.Config(**{**SMALL.__dict__, "epochs": 2, "ensemble": 3})
    (a, hist_a), (b, hist_b) = (ner.train(train, dev, config, seed=2, show_progress=False, jobs=jobs)
                                for jobs in (1, 2))
    assert hist_a == hist_b
    for model_a, model_b in zip(a.models, b.models, strict=True):
        assert all(np.array_equal(p.data, q.data) for p, q in zip(model_a.parameters(), model_b.parameters()))


def test_cli(tmp_path):
    for name, n, seed in [("train", 60, 0), ("dev", 15, 1), ("test", 15, 2)]:
        write_corpus(tmp_path / f"{name}.txt", n, seed)
    out = tmp_path / "model.npz"
    result = subprocess.run(
        [sys.executable, "-m", "nnlib.ner", "--train", str(tmp_path / "train.txt"), "--dev", str(tmp_path / "dev.txt"),
         "--test", str(tmp_path / "test.txt"), "--out", str(out), "--epochs", "2", "--seed", "1",
         "--hidden", "20", "--embed-dim", "10"],
        capture_output=True, text=True, timeout=60)  # inherits the test session's numeric environment
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:3] == ["type", "precision", "recall"])
    assert [line.split()[0] for line in lines[header + 1:header + 5]] == ["LOC", "ORG", "PER", "overall"]
    overall = float(lines[header + 4].split()[3])
    assert 0.0 <= overall <= 100.0
    assert "train: 100%" in result.stdout and out.exists()
    assert ner.load(out).tags == ["O", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-PER", "I-PER"]


@pytest.mark.parametrize("content, expected", [
    (None, "missing.txt: No such file or directory"),
    ("EU B-ORG\nrejects\n", "bad.txt:2: expected a token and a tag, got 'rejects'"),
    ("EU B-ORG\nrejects X-MISC\n", "bad.txt:2: tag 'X-MISC' is not O, B-TYPE or I-TYPE"),
    (b"EU B-ORG\n\xff\xfe O\n", "bad.txt: not UTF-8 text (invalid start byte at byte 9)"),
])
def test_cli_bad_file_prints_one_line_and_exits_2(tmp_path, content, expected):
    good = tmp_path / "good.txt"
    good.write_text("EU B-ORG\nrejects O\n")
    bad = tmp_path / ("missing.txt" if content is None else "bad.txt")
    if isinstance(content, bytes):
        bad.write_bytes(content)
    elif content is not None:
        bad.write_text(content)
    result = subprocess.run([sys.executable, "-m", "nnlib.ner", "--train", str(bad), "--dev", str(good),
                             "--out", str(tmp_path / "m.npz")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr == f"python -m nnlib.ner: {tmp_path / expected}\n"
