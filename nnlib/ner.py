"""Named-entity recognition with a softmax window classifier: word features, training with
early stopping on dev entity F1, BIO-valid Viterbi decoding, saving and loading, and a
command line.  Chapter: "NER and window classification".

    python -m nnlib.ner --train train.txt --dev dev.txt --test test.txt --out model.npz

Every token becomes one row of integer features (its normalised word and, by default, its
capitalisation class, its compressed shape and its last three letters); the model sees the
rows of the 2·half + 1 tokens centred on it (``nnlib.models.WindowClassifier``).

The matrices are small (a minibatch of 128 windows × 400 inputs), so extra BLAS threads gain
little; on a shared machine set OPENBLAS_NUM_THREADS=1, or their spinning slows training down.
"""
import argparse
import json
import os
import re
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, fields
from functools import partial
from multiprocessing import get_context

import numpy as np

from .core import Module
from .data import Vocab, f1_report, format_report, read_conll
from .functional import log_softmax
from .losses import softmax_cross_entropy
from .models import WindowClassifier
from .optim import Adam, SparseAdam
from .train import fit

# ------------------------------------------------------------------ word features

_DIGIT = re.compile(r"[0-9]")

CAPS_CLASSES = ("lower", "init", "upper", "mixed", "digit", "punct")


def normalize(word):
    """The word's vocabulary key: lower-cased, every digit 0-9 replaced by 0, so "1984" and
    "2001" share one vector ("0000") and "Paris" and "PARIS" another ("paris")."""
    return _DIGIT.sub("0", word.lower())


def caps(word):
    """Capitalisation class, one of ``CAPS_CLASSES``: "digit" if the word has a digit,
    "punct" if it has no letter, then by its letters: "lower" (all lower-case), "init"
    (first character upper-case, the other letters lower-case: "Paris", "A"), "upper"
    (two or more letters, all upper-case: "UN", "U.S."), else "mixed" ("iPhone", "McDonald's")."""
    if any(c.isdigit() for c in word):
        return "digit"
    letters = [c for c in word if c.isalpha()]
    if not letters:
        return "punct"
    if all(c.islower() for c in letters):
        return "lower"
    if word[0].isupper() and all(c.islower() for c in letters[1:]):
        return "init"
    if len(letters) > 1 and all(c.isupper() for c in letters):
        return "upper"
    return "mixed"


def shape(word):
    """Compressed word shape: upper-case letters → X, other letters → x, digits → 0, other
    characters kept, then every run of one symbol squeezed to a single symbol:
    "McDonald's" → "XxXx'x", "U.S." → "X.X.", "1984" → "0", "iPhone" → "xXx", "well-known" → "x-x"."""
    mapped = "".join("X" if c.isupper() else "x" if c.isalpha() else "0" if c.isdigit() else c
                     for c in word)
    return re.sub(r"(.)\1+", r"\1", mapped)


def suffix(word, n=3):
    """The last ``n`` characters of the normalised word (the whole word if shorter)."""
    return normalize(word)[-n:]


# name → function of the raw token; every feature is one more embedding per window position
FEATURES = {
    "caps": caps,
    "shape": shape,
    "suffix2": lambda w: suffix(w, 2),
    "suffix3": lambda w: suffix(w, 3),
    "prefix3": lambda w: normalize(w)[:3],
}


# ------------------------------------------------------------------ configuration

@dataclass
class Config:
    """Every choice of the tagger; the CLI exposes each field as --field-name.

    half: tokens on each side of the centre (window = 2·half + 1); features: names from
    ``FEATURES``; min_freq: a normalised word needs this many training occurrences to get its
    own vector (else <unk>); feature_min_freq: the same for feature values (suffixes, shapes);
    unk_prob / rare_freq: each epoch, every training token whose word occurs at most
    rare_freq times is replaced by <unk> with probability unk_prob, so <unk> learns what an
    unseen word in this context is likely to be; combine: "concat" or "mean" of the window's
    vectors; viterbi: BIO-valid decoding (else arg-max per token); ensemble: number of models
    (seeds seed, seed + 1, …) whose probabilities are averaged; patience: epochs without a
    better dev F1 before stopping; lr: Adam's learning rate for the dense layers; embed_lr: the
    lazy (SparseAdam) rate for the embedding tables, whose rows move only in the batches that use
    them (2 × lr gave the best dev F1 of 1, 2 and 4 × lr, 5-model ensembles over 6 seeds).
    """
    half: int = 2
    embed_dim: int = 50
    feature_dim: int = 10
    hidden: int = 100
    dropout: float = 0.5
    features: tuple = ("caps", "shape", "suffix3")
    min_freq: int = 2
    feature_min_freq: int = 2
    unk_prob: float = 0.5
    rare_freq: int = 2
    combine: str = "concat"
    lr: float = 5e-3
    embed_lr: float = 1e-2
    batch_size: int = 128
    epochs: int = 20
    patience: int = 4
    viterbi: bool = True
    ensemble: int = 1

    def __post_init__(self):
        self.features = tuple(self.features)
        unknown = [f for f in self.features if f not in FEATURES]
        if unknown:
            raise ValueError(f"unknown feature(s) {unknown}; choose from {sorted(FEATURES)}")

    @property
    def window(self):
        return 2 * self.half + 1


# ------------------------------------------------------------------ encoding sentences

class Featurizer:
    """Vocabularies of words and feature values built on the training sentences, and the
    encoding of any sentences into index arrays."""

    def __init__(self, vocabs, features):
        self.vocabs, self.features = vocabs, tuple(features)  # vocabs[0] is the word vocabulary

    @classmethod
    def fit(cls, sentences, config):
        counts = Counter(t for toks, _ in sentences for t in toks)

        def values(f):  # f(token) once per distinct token, repeated as often as the token occurs
            return [v for t, c in counts.items() for v in [f(t)] * c]
        vocabs = [Vocab(values(normalize), min_freq=config.min_freq)]
        for name in config.features:
            if name == "caps":  # a fixed set of classes: every one gets a vector
                vocabs.append(Vocab(CAPS_CLASSES))
            else:
                vocabs.append(Vocab(values(FEATURES[name]), min_freq=config.feature_min_freq))
        return cls(vocabs, config.features)

    @property
    def sizes(self):
        return [len(v) for v in self.vocabs]

    def token_rows(self, tokens):
        """(T, 1 + F) indices: the word and each feature of each token.  The features are
        computed once per distinct token string, then gathered."""
        types, inverse = np.unique(np.asarray(tokens, dtype=str), return_inverse=True)
        funcs = [normalize] + [FEATURES[name] for name in self.features]
        table = np.array([[v.index(f(t)) for v, f in zip(self.vocabs, funcs)] for t in types.tolist()],
                         dtype=np.int64).reshape(len(types), len(funcs))
        return table[inverse.ravel()]

    def encode(self, sentences, half):
        """Index arrays for all windows of ``sentences`` (lists of tokens), computed once.

        Returns (rows, win): rows (L, 1 + F) holds the sentences one after another with
        ``half`` padding rows (index 0, "<pad>") before, between and after them; win (T, 2·half + 1)
        holds, for each of the T tokens, the row numbers of its window, so ``rows[win]`` is
        (T, window, 1 + F) and a window never reaches into a neighbouring sentence.
        """
        lengths = np.array([len(s) for s in sentences], dtype=np.int64)
        total = int(lengths.sum())
        sentence_of = np.repeat(np.arange(len(sentences)), lengths)
        pos = np.arange(total) + half * (sentence_of + 1)  # each earlier sentence adds half pads
        rows = np.zeros((total + half * (len(sentences) + 1), 1 + len(self.features)), dtype=np.int64)
        if total:
            rows[pos] = self.token_rows([t for s in sentences for t in s])
        win = pos[:, None] + np.arange(-half, half + 1)
        return rows, win


# ------------------------------------------------------------------ BIO-valid decoding

def tag_set(sentences):
    """The tags as a list: "O", then B-X, I-X for each entity type X in sorted order."""
    kinds = sorted({t[2:] for _, tags in sentences for t in tags if t != "O"})
    return ["O"] + [f"{p}-{k}" for k in kinds for p in "BI"]


def transitions(tags):
    """BIO constraints as booleans: allowed (K, K), allowed[i, j] says tag j may follow tag i,
    and start (K,) says which tags may open a sentence.  I-X may only follow B-X or I-X;
    everything else is allowed."""
    K = len(tags)
    allowed, start = np.ones((K, K), dtype=bool), np.ones(K, dtype=bool)
    for j, tag in enumerate(tags):
        if tag.startswith("I-"):
            start[j] = False
            allowed[:, j] = [prev in ("B-" + tag[2:], tag) for prev in tags]
    return allowed, start


def viterbi(logp, allowed, start):
    """The tag sequence with the largest total log-probability among those the BIO
    constraints allow.

    logp (n, K): per-token log-probabilities (any scores work); allowed (K, K), start (K,)
    from ``transitions``.  Returns (n,) tag indices.  delta[j] is the best score of a valid
    prefix ending in tag j; each step adds one position (a loop over positions, vectorised
    over tags), back[t, j] remembers the best previous tag.
    """
    logp = np.asarray(logp, dtype=np.float64)
    n, K = logp.shape
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    trans = np.where(allowed, 0.0, -np.inf)  # (K, K): added to delta[i] when moving i → j
    delta = logp[0] + np.where(start, 0.0, -np.inf)
    back = np.zeros((n, K), dtype=np.int64)
    for t in range(1, n):
        cand = delta[:, None] + trans  # (K previous, K next)
        back[t] = np.argmax(cand, axis=0)
        delta = cand[back[t], np.arange(K)] + logp[t]
    path = np.zeros(n, dtype=np.int64)
    path[-1] = np.argmax(delta)
    for t in range(n - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    return path


def viterbi_batch(logps, allowed, start):
    """``viterbi`` for a list of (n_s, K) arrays at once: sentences are padded to the longest
    one and decoded together, one step per position.  Returns a list of (n_s,) arrays."""
    if not logps:
        return []
    K = logps[0].shape[1]
    lengths = np.array([len(lp) for lp in logps])
    S, n = len(logps), max(int(lengths.max()), 1)
    padded = np.zeros((S, n, K))
    mask = np.arange(n) < lengths[:, None]
    padded[mask] = np.concatenate(logps) if lengths.sum() else np.zeros((0, K))
    trans = np.where(allowed, 0.0, -np.inf)
    delta = padded[:, 0] + np.where(start, 0.0, -np.inf)
    back = np.broadcast_to(np.arange(K), (S, n, K)).copy()  # identity past a sentence's end
    for t in range(1, n):
        cand = delta[:, :, None] + trans  # (S, K previous, K next)
        best = np.argmax(cand, axis=1)
        live = mask[:, t]
        back[live, t] = best[live]
        delta[live] = np.take_along_axis(cand, best[:, None, :], axis=1)[live, 0] + padded[live, t]
    path = np.zeros((S, n), dtype=np.int64)
    path[:, -1] = np.argmax(delta, axis=1)
    for t in range(n - 1, 0, -1):
        path[:, t - 1] = np.take_along_axis(back[:, t], path[:, t:t + 1], axis=1)[:, 0]
    return [path[s, :lengths[s]] for s in range(S)]


def replace_rare(words, rare, unk, p, rng):
    """A copy of the word indices ``words`` in which every occurrence of a rare word
    (``rare[index]`` is True) is replaced by ``unk`` with probability ``p``, independently
    (one draw per occurrence; no draws at all when p = 0)."""
    words = np.array(words, copy=True)
    if p > 0:
        words[rare[words] & (rng.random(len(words)) < p)] = unk
    return words


# ------------------------------------------------------------------ the tagger

class Tagger:
    """A trained tagger: config, featurizer, tag list and one or more WindowClassifiers
    (an ensemble averages their probabilities)."""

    def __init__(self, config, featurizer, tags, models):
        self.config, self.featurizer, self.tags, self.models = config, featurizer, list(tags), list(models)
        self.allowed, self.start = transitions(self.tags)

    def token_probs(self, sentences, batch_size=4096):
        """Tag probabilities of every token, averaged over the ensemble: a list of (n_s, K)."""
        rows, win = self.featurizer.encode(sentences, self.config.half)
        probs = np.zeros((len(win), len(self.tags)))
        for model in self.models:
            model.eval()
            for s in range(0, len(win), batch_size):
                x = rows[win[s:s + batch_size]]
                probs[s:s + batch_size] += np.exp(log_softmax(model(*np.moveaxis(x, -1, 0)), axis=1))
        probs /= len(self.models)
        return np.split(probs, np.cumsum([len(s) for s in sentences])[:-1])

    def decode(self, probs, viterbi=None):
        """Tag indices from per-token probabilities (a list of (n_s, K))."""
        use_viterbi = self.config.viterbi if viterbi is None else viterbi
        if not use_viterbi:
            return [np.argmax(p, axis=1) for p in probs]
        with np.errstate(divide="ignore"):
            return viterbi_batch([np.log(p) for p in probs], self.allowed, self.start)

    def predict(self, sentences, viterbi=None):
        """Tags (lists of strings) for a list of token lists."""
        sentences = [list(s) for s in sentences]
        return [[self.tags[i] for i in path] for path in self.decode(self.token_probs(sentences), viterbi)]

    def evaluate(self, conll_sentences, viterbi=None):
        """f1_report of the predicted tags against the gold ones of (tokens, tags) pairs."""
        pred = self.predict([toks for toks, _ in conll_sentences], viterbi)
        return f1_report([tags for _, tags in conll_sentences], pred)


def tag(model, tokens):
    """Tags (a list of strings) for one sentence given as a list of tokens."""
    return model.predict([list(tokens)])[0]


def _build_model(config, featurizer, tags, rng):
    sizes = featurizer.sizes
    return WindowClassifier(sizes[0], len(tags), embed_dim=config.embed_dim, window=config.window,
                            hidden=config.hidden, feature_sizes=sizes[1:], feature_dim=config.feature_dim,
                            dropout=config.dropout, combine=config.combine, rng=rng, sparse=True)


class _WindowBatches(Module):
    """Feeds ``fit`` minibatches of window numbers: forward(batch) looks the batch's windows up
    in the current word column (rare words replaced anew each epoch) and the feature columns,
    and runs the window classifier on them."""

    def __init__(self, model, rows, win):
        self.model, self.rows, self.win = model, rows, win
        self.words = rows[:, 0]

    def forward(self, batch):
        w = self.win[batch]  # (B, window) row numbers
        return self.model(self.words[w], *np.moveaxis(self.rows[w, 1:], -1, 0))

    def backward(self, dscores):
        return self.model.backward(dscores)


def train(train_sents, dev_sents=None, config=None, seed=0, show_progress=True, jobs=1):
    """Train a Tagger on (tokens, tags) sentences, early-stopping on dev entity F1.

    For each ensemble member k (seed + k), ``nnlib.fit`` runs the epochs: replace rare words by
    <unk> (``Config.unk_prob``), shuffle the windows, take Adam steps on the softmax
    cross-entropy of minibatches (lazy SparseAdam steps on the embedding tables: only the rows
    a batch used); after each epoch tag ``dev_sents`` and keep the parameters of the epoch with
    the best entity F1 (without dev data: the last epoch).  jobs > 1 trains that many members
    at a time in worker processes (one BLAS thread each); each member depends only on its seed,
    so the models are the same for every ``jobs``.  Returns (tagger, history), history a list
    (one per model) of dicts with per-epoch "loss" and "dev_f1" and "best_epoch".
    """
    config = Config() if config is None else config
    featurizer = Featurizer.fit(train_sents, config)
    tags = tag_set(train_sents + (dev_sents or []))
    tag_index = {t: i for i, t in enumerate(tags)}
    rows, win = featurizer.encode([toks for toks, _ in train_sents], config.half)
    y = np.array([tag_index[t] for _, ts in train_sents for t in ts], dtype=np.int64)
    # rare words: counted in the normalised training text; <pad> and <unk> never count as rare
    counts = np.bincount(rows[win[:, config.half], 0], minlength=featurizer.sizes[0])
    rare = (counts <= config.rare_freq) & (np.arange(len(counts)) > 1)
    members = range(config.ensemble)
    jobs = min(jobs, len(members))
    member = partial(_train_member, config, featurizer, tags, (rows, win, y, rare), dev_sents, seed,
                     show_progress=show_progress and jobs <= 1)
    if jobs > 1:
        # fork: workers start without re-importing anything (and work from a notebook)
        with ProcessPoolExecutor(jobs, mp_context=get_context("fork"), initializer=_one_blas_thread) as pool:
            results = []
            for k, result in enumerate(pool.map(member, members)):
                results.append(result)
                if show_progress:
                    print(f"model {k + 1}/{len(members)} trained", file=sys.stderr, flush=True)
    else:
        results = [member(k) for k in members]
    tagger = Tagger(config, featurizer, tags, [model for model, _ in results])
    return tagger, [history for _, history in results]


def _one_blas_thread():
    """In a worker process: one BLAS thread, so parallel workers do not oversubscribe the cores."""
    from threadpoolctl import threadpool_limits
    _one_blas_thread.limit = threadpool_limits(1)  # kept alive for the worker's lifetime


def _train_member(config, featurizer, tags, data, dev_sents, seed, k, show_progress=True):
    """Ensemble member k of ``train`` (seed + k): (model, its history)."""
    rows, win, y, rare = data
    rng = np.random.default_rng(seed + k)
    model = _build_model(config, featurizer, tags, rng)
    alone = Tagger(config, featurizer, tags, [model])  # each member early-stops on its own dev F1
    batches = _WindowBatches(model, rows, win)
    unk = featurizer.vocabs[0].unk

    def new_unks(epoch):
        batches.words = replace_rare(rows[:, 0], rare, unk, config.unk_prob, rng)

    # lazy updates of the embedding tables (only the rows a batch used), dense Adam for the rest
    tables = [e.W for e in model.embeddings]
    dense = [p for p in model.parameters() if all(p is not t for t in tables)]
    optimizers = [SparseAdam(tables, lr=config.embed_lr), Adam(dense, lr=config.lr)]
    history = fit(batches, softmax_cross_entropy, optimizers, (np.arange(len(win)), y), config.epochs,
                  config.batch_size, rng=rng, early_stopping=config.patience if dev_sents else None,
                  score=(lambda m: alone.evaluate(dev_sents)["overall"]["f1"]) if dev_sents else None,
                  score_name="dev_f1", on_epoch_start=new_unks, show_progress=show_progress,
                  desc="train" if config.ensemble == 1 else f"train {k + 1}/{config.ensemble}")
    losses = history["train_loss"]
    best = history["best_epoch"]
    return model, {"loss": losses, "dev_f1": history.get("dev_f1", []),
                   "best_epoch": len(losses) - 1 if best is None else best}


# ------------------------------------------------------------------ saving and loading

def save(tagger, path):
    """Write the parameters of every model (np.savez, one array per parameter) and, as a
    JSON string in the array "meta", the config, tags and vocabularies."""
    meta = {"config": asdict(tagger.config), "tags": tagger.tags, "features": list(tagger.featurizer.features),
            "vocabs": [{"tokens": v.tokens, "specials": list(v.specials)} for v in tagger.featurizer.vocabs],
            "models": len(tagger.models)}
    arrays = {f"model{k}/{name}": p.data for k, m in enumerate(tagger.models) for name, p in m.named_parameters()}
    with open(path, "wb") as f:  # a file object, so np.savez does not append ".npz" to the name
        np.savez(f, meta=np.array(json.dumps(meta, ensure_ascii=False)), **arrays)


def load(path):
    """Restore a Tagger written by ``save``; ``tag(load(path), tokens)`` tags a sentence."""
    with np.load(path, allow_pickle=False) as saved:
        meta = json.loads(str(saved["meta"]))
        config = Config(**meta["config"])
        # files from before the specials were saved hold bare token lists, all with <pad> and <unk>
        vocabs = [Vocab.from_tokens(v, ("<pad>", "<unk>")) if isinstance(v, list)
                  else Vocab.from_tokens(v["tokens"], v["specials"]) for v in meta["vocabs"]]
        featurizer = Featurizer(vocabs, meta["features"])
        models = []
        for k in range(meta["models"]):
            model = _build_model(config, featurizer, meta["tags"], np.random.default_rng(0))
            for name, p in model.named_parameters():
                p.data[...] = saved[f"model{k}/{name}"]
            model.eval()
            models.append(model)
    return Tagger(config, featurizer, meta["tags"], models)


# ------------------------------------------------------------------ command line

def _parser():
    parser = argparse.ArgumentParser(prog="python -m nnlib.ner", description=(
        "Train a window-classifier NER tagger on CoNLL files (token ... tag per line, BIO tags), "
        "early-stopping on dev entity F1; print the test scores per entity type and save the model."))
    parser.add_argument("--train", required=True, help="training file (CoNLL format)")
    parser.add_argument("--dev", required=True, help="development file, for early stopping")
    parser.add_argument("--test", help="test file to score (default: none)")
    parser.add_argument("--out", default="ner_model.npz", help="where to save the model (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)),
                        help="ensemble members trained at a time, in worker processes "
                             "(default: the number of cores, %(default)s)")
    defaults = Config()
    for field in fields(Config):
        flag = "--" + field.name.replace("_", "-")
        value = getattr(defaults, field.name)
        if field.name == "features":
            parser.add_argument(flag, default=",".join(value),
                                help=f"comma-separated, from {','.join(FEATURES)}; '' for words only "
                                     "(default: %(default)s)")
        elif field.name == "viterbi":
            parser.add_argument("--viterbi", action=argparse.BooleanOptionalAction, default=value,
                                help="BIO-valid Viterbi decoding (default: on)")
        elif field.name == "combine":
            parser.add_argument(flag, choices=("concat", "mean"), default=value, help="(default: %(default)s)")
        else:
            parser.add_argument(flag, type=type(value), default=value, help="(default: %(default)s)")
    return parser


def _read(path):
    """read_conll, or one line on stderr (``file:line: what is wrong``) and exit status 2."""
    try:
        return read_conll(path)
    except UnicodeDecodeError as exc:  # before ValueError, its base class
        message = f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})"
    except ValueError as exc:  # read_conll's messages already start with file:line
        message = str(exc)
    except OSError as exc:
        message = f"{path}: {exc.strerror or exc}"
    print(f"python -m nnlib.ner: {message}", file=sys.stderr)
    sys.exit(2)


def main(argv=None):
    args = _parser().parse_args(argv)
    values = {f.name: getattr(args, f.name) for f in fields(Config)}
    values["features"] = tuple(f for f in args.features.split(",") if f)
    config = Config(**values)
    train_sents, dev_sents = _read(args.train), _read(args.dev)
    n_tokens = sum(len(t) for t, _ in train_sents)
    print(f"train: {len(train_sents)} sentences, {n_tokens} tokens; dev: {len(dev_sents)} sentences")
    print("config: " + ", ".join(f"{k}={v}" for k, v in asdict(config).items()))
    start = time.perf_counter()
    tagger, histories = train(train_sents, dev_sents, config, seed=args.seed,
                               show_progress=not args.quiet, jobs=args.jobs)
    print(f"vocabulary sizes (words, features): {tagger.featurizer.sizes}")
    for k, h in enumerate(histories):
        print(f"model {k}: best epoch {h['best_epoch'] + 1} of {len(h['loss'])}, "
              f"dev F1 {100 * max(h['dev_f1']):.2f}")
    print(f"training time: {time.perf_counter() - start:.1f} s")
    dev_report = tagger.evaluate(dev_sents)
    print(f"dev entity F1 (all models): {100 * dev_report['overall']['f1']:.2f}")
    if args.test:
        test_sents = _read(args.test)
        print(f"\ntest ({len(test_sents)} sentences), entity-level scores:")
        print(format_report(tagger.evaluate(test_sents)))
    save(tagger, args.out)
    print(f"\nmodel saved to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
