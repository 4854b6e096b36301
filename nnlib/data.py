"""Reading and scoring tagged text: CoNLL files, vocabularies, context windows, entity
spans and entity-level F1 with conlleval's rules.  Chapter: "NER and window classification".
"""
import json
import re
from collections import Counter
from pathlib import Path

import numpy as np

_TAG = re.compile(r"^(O|[BI]-[^\s-][^\s]*)$")


def read_conll(path_or_lines):
    """Read a CoNLL-format file (or an iterable of its lines) into sentences.

    One token per line with the token in the first column and its tag in the last
    (columns split on whitespace); blank lines end sentences (runs of them are fine);
    ``-DOCSTART-`` lines are skipped.  Returns a list of ``(tokens, tags)`` pairs of lists.
    A line with one column or a tag that is not O / B-TYPE / I-TYPE raises a ValueError
    naming the file and the line number, as ``file:line: what is wrong``.
    """
    if isinstance(path_or_lines, (str, Path)):
        name = str(path_or_lines)
        with open(path_or_lines, encoding="utf-8") as f:
            return _parse(f, name)
    return _parse(path_or_lines, "<lines>")


def _parse(lines, name):
    sentences, tokens, tags = [], [], []
    for number, line in enumerate(lines, start=1):
        cols = line.split()
        if not cols or cols[0] == "-DOCSTART-":
            if tokens:
                sentences.append((tokens, tags))
                tokens, tags = [], []
            continue
        if len(cols) < 2:
            raise ValueError(f"{name}:{number}: expected a token and a tag, got {line.strip()!r}")
        if not _TAG.match(cols[-1]):
            raise ValueError(f"{name}:{number}: tag {cols[-1]!r} is not O, B-TYPE or I-TYPE")
        tokens.append(cols[0])
        tags.append(cols[-1])
    if tokens:
        sentences.append((tokens, tags))
    return sentences


class Vocab:
    """Token ↔ index map: specials first, then tokens seen at least ``min_freq`` times,
    most frequent first (ties alphabetical, so the order is reproducible).
    ``index``/``encode`` map unknown tokens to ``<unk>`` if it is one of the specials, and
    raise a KeyError otherwise.  ``Vocab.fixed(alphabet)`` keeps a given order instead (a
    character set that must not change when the text does).  A string passed as tokens
    counts as its characters.  Chapters: "NER and window classification", "Language models
    and embeddings".
    """

    def __init__(self, tokens=(), min_freq=1, specials=("<pad>", "<unk>")):
        self.counts = Counter(tokens)
        kept = sorted((t for t, c in self.counts.items() if c >= min_freq and t not in specials),
                      key=lambda t: (-self.counts[t], t))
        self._set_tokens(list(specials) + kept, specials)

    @classmethod
    def from_tokens(cls, tokens, specials=()):
        """A vocabulary of exactly ``tokens``, index i for tokens[i] (no counting, no sorting);
        ``specials`` names those of them that are special (``<unk>`` among them: unknown tokens
        map to it).  What ``save`` wrote, ``load`` rebuilds this way."""
        tokens = list(tokens)
        if len(set(tokens)) != len(tokens):
            raise ValueError("Vocab.from_tokens: the tokens have repeats")
        missing = [t for t in specials if t not in tokens]
        if missing:
            raise ValueError(f"Vocab.from_tokens: specials {missing} are not among the tokens")
        vocab = cls.__new__(cls)
        vocab.counts = Counter()
        vocab._set_tokens(tokens, specials)
        return vocab

    @classmethod
    def fixed(cls, alphabet):
        """A vocabulary whose indices are the positions in ``alphabet`` (a string or list)."""
        if len(set(alphabet)) != len(alphabet):
            raise ValueError("Vocab.fixed: the alphabet has repeated tokens")
        return cls.from_tokens(alphabet)

    def _set_tokens(self, tokens, specials):
        self.tokens, self.specials = list(tokens), tuple(specials)
        self.stoi = {t: i for i, t in enumerate(self.tokens)}
        self.unk = self.stoi.get("<unk>") if "<unk>" in self.specials else None

    def __len__(self):
        return len(self.tokens)

    def __contains__(self, token):
        return token in self.stoi

    def index(self, token):
        """Index of ``token``; unknown tokens get the index of ``<unk>``."""
        i = self.stoi.get(token, self.unk)
        if i is None:
            raise KeyError(f"{token!r} is not in the vocabulary and it has no <unk>")
        return i

    def indices(self, tokens):
        """A list of indices, one per token."""
        return [self.index(t) for t in tokens]

    def encode(self, tokens):
        """The indices of ``tokens`` as an int64 array (L,)."""
        return np.array(self.indices(tokens), dtype=np.int64)

    def decode(self, ids, sep=""):
        """Indices (any shape) → their tokens joined by ``sep`` ("" for characters)."""
        return sep.join(self.tokens[int(i)] for i in np.asarray(ids).ravel())

    def save(self, path):
        Path(path).write_text(json.dumps({"specials": self.specials, "tokens": self.tokens},
                                         ensure_ascii=False, indent=0), encoding="utf-8")

    @classmethod
    def load(cls, path):
        saved = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls.from_tokens(saved["tokens"], saved["specials"])


def windows(tokens, size=2, pad="<s>"):
    """One window of 2·size + 1 tokens per token, centred on it, padded at the edges:
    windows(["a", "b"], 1) == [["<s>", "a", "b"], ["a", "b", "<s>"]]."""
    padded = [pad] * size + list(tokens) + [pad] * size
    return [padded[i:i + 2 * size + 1] for i in range(len(tokens))]


def spans(tags):
    """Entity spans ``(type, start, end)`` (end exclusive) in a tag sequence, read as
    conlleval does: an entity starts at B-X, or at I-X after O or after another type
    (so IOB1 and BIO both work); B-X directly after X ends the previous entity."""
    found, start, kind = [], None, None
    for i, tag in enumerate(list(tags) + ["O"]):
        prefix, _, t = tag.partition("-")
        starts = prefix == "B" or (prefix == "I" and t != kind)
        if kind is not None and (prefix == "O" or starts):
            found.append((kind, start, i))
            kind = None
        if starts:
            start, kind = i, t
    return found


def _counts(gold_seqs, pred_seqs):
    """Per type: [correct, predicted, gold] entity counts over all sentences."""
    gold_seqs, pred_seqs = list(gold_seqs), list(pred_seqs)
    if len(gold_seqs) != len(pred_seqs):
        raise ValueError(f"f1: {len(gold_seqs)} gold sentences but {len(pred_seqs)} predicted")
    counts = {}
    for n, (gold, pred) in enumerate(zip(gold_seqs, pred_seqs)):
        if len(gold) != len(pred):
            raise ValueError(f"f1: sentence {n} has {len(gold)} gold tags but {len(pred)} predicted")
        g, p = set(spans(gold)), set(spans(pred))
        for kind, *_ in g | p:
            counts.setdefault(kind, [0, 0, 0])
        for s in g & p:
            counts[s[0]][0] += 1
        for s in p:
            counts[s[0]][1] += 1
        for s in g:
            counts[s[0]][2] += 1
    return counts


def _prf(correct, predicted, gold):
    precision = correct / predicted if predicted else 0.0
    recall = correct / gold if gold else 0.0
    f = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f


def f1(gold_tag_seqs, pred_tag_seqs):
    """Entity-level (precision, recall, F1), micro-averaged, as fractions in [0, 1]: a
    predicted entity counts only if its boundaries and its type both match a gold one."""
    totals = [sum(c[i] for c in _counts(gold_tag_seqs, pred_tag_seqs).values()) for i in range(3)]
    return _prf(*totals)


def f1_report(gold_tag_seqs, pred_tag_seqs):
    """Per entity type (sorted) and "overall": a dict of dicts with precision, recall, f1
    and support (the number of gold entities)."""
    counts = _counts(gold_tag_seqs, pred_tag_seqs)
    report = {}
    for kind in sorted(counts) + ["overall"]:
        c = counts[kind] if kind != "overall" else [sum(v[i] for v in counts.values()) for i in range(3)]
        p, r, f = _prf(*c)
        report[kind] = {"precision": p, "recall": r, "f1": f, "support": c[2]}
    return report


def format_report(report):
    """The dict from ``f1_report`` as a fixed-width text table (percentages)."""
    lines = [f"{'type':<8}{'precision':>10}{'recall':>8}{'F1':>8}{'support':>9}"]
    for kind, r in report.items():
        lines.append(f"{kind:<8}{100 * r['precision']:>10.2f}{100 * r['recall']:>8.2f}"
                     f"{100 * r['f1']:>8.2f}{r['support']:>9d}")
    return "\n".join(lines)
