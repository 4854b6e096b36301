"""Window models for tagging words from their context (CS224N's window classifier and
its max-margin scorer).  Chapters: "NER and window classification", "Max-margin objective".
"""
import numpy as np

from .core import Module
from .layers import Dropout, Embedding, Linear, Tanh


class WindowScorer(Module):
    """The 3-layer scorer s = Uᵀ f(W x + b), f = tanh, where x ∈ R^{window·d} is the
    concatenation of the embeddings of a window of word indices.

    Shapes: idx (N, window) ints → s (N,); embed.W (vocab_size, d); hidden.W (H, window·d);
    U.W (1, H) (no bias, as in the notes).  backward(ds (N,)) fills every gradient,
    including the word vectors, and returns None (indices have no gradient).
    """

    def __init__(self, vocab_size, embed_dim=4, window=5, hidden=8, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        self.window = window
        self.embed = Embedding(vocab_size, embed_dim, rng=rng)
        self.hidden = Linear(window * embed_dim, hidden, rng=rng)
        self.act = Tanh()
        self.U = Linear(hidden, 1, bias=False, rng=rng)

    def forward(self, idx):
        idx = np.asarray(idx)
        if idx.ndim != 2 or idx.shape[1] != self.window:
            raise ValueError(f"WindowScorer expects indices of shape (N, {self.window}), got shape {idx.shape}")
        x = self.embed(idx).reshape(len(idx), -1)  # concatenate the window's vectors
        return self.U(self.act(self.hidden(x)))[:, 0]

    def backward(self, ds):
        dx = self.hidden.backward(self.act.backward(self.U.backward(np.asarray(ds, dtype=np.float64)[:, None])))
        self.embed.backward(dx.reshape(len(dx), self.window, -1))


class WindowClassifier(Module):
    """Softmax window classifier: for each position of the window, the word's embedding
    and one embedding per extra feature (capitalisation, shape, suffix …) are concatenated;
    the window's vectors are concatenated in order (so position is kept), then
    hidden = tanh(W x + b), dropout, scores = V hidden + c.

    forward(words, *features): each (N, window) int arrays → scores (N, num_tags).
    feature_sizes[k] is the number of values feature k takes; feature_dim is one size for
    every feature embedding or a sequence with one size per feature.  backward(dscores)
    fills the gradients of every layer and embedding and returns None.

    sparse=True makes the embedding tables record the rows each batch uses
    (``Embedding(sparse=True)``), for ``SparseAdam``.

    combine="mean" averages the window's vectors instead of concatenating them, so
    hidden.W is (hidden, d) rather than (hidden, window·d) and word order is lost — the
    baseline the chapter compares against.
    """

    def __init__(self, vocab_size, num_tags, embed_dim=50, window=5, hidden=100, feature_sizes=(),
                 feature_dim=5, dropout=0.0, combine="concat", rng=None, sparse=False):
        rng = np.random.default_rng() if rng is None else rng
        if combine not in ("concat", "mean"):
            raise ValueError(f"WindowClassifier: combine must be 'concat' or 'mean', got {combine!r}")
        feature_dims = ([feature_dim] * len(feature_sizes) if np.ndim(feature_dim) == 0
                        else list(feature_dim))
        if len(feature_dims) != len(feature_sizes):
            raise ValueError(f"WindowClassifier: {len(feature_sizes)} feature sizes but "
                             f"{len(feature_dims)} feature dims")
        self.window, self.combine = window, combine
        self.embeddings = [Embedding(vocab_size, embed_dim, rng=rng, sparse=sparse)]
        self.embeddings += [Embedding(size, dim, rng=rng, sparse=sparse)
                            for size, dim in zip(feature_sizes, feature_dims)]
        self.dims = [e.embedding_dim for e in self.embeddings]
        width = window if combine == "concat" else 1
        self.hidden = Linear(width * sum(self.dims), hidden, rng=rng)
        self.act = Tanh()
        self.drop = Dropout(dropout, rng=rng)
        self.out = Linear(hidden, num_tags, rng=rng)

    def forward(self, words, *features):
        inputs = [np.asarray(words)] + [np.asarray(f) for f in features]
        if len(inputs) != len(self.embeddings):
            raise ValueError(f"WindowClassifier expects words and {len(self.embeddings) - 1} feature arrays, "
                             f"got {len(inputs) - 1} feature arrays")
        for a in inputs:
            if a.shape != inputs[0].shape or a.ndim != 2 or a.shape[1] != self.window:
                raise ValueError(f"WindowClassifier expects index arrays of shape (N, {self.window}), "
                                 f"got shapes {[x.shape for x in inputs]}")
        x = np.concatenate([e(a) for e, a in zip(self.embeddings, inputs)], axis=-1)  # (N, window, d)
        x = x.reshape(len(x), -1) if self.combine == "concat" else x.mean(axis=1)
        return self.out(self.drop(self.act(self.hidden(x))))

    def backward(self, dscores):
        dx = self.hidden.backward(self.act.backward(self.drop.backward(self.out.backward(dscores))))
        if self.combine == "concat":
            dx = dx.reshape(len(dx), self.window, -1)
        else:  # the mean hands each of the window's vectors 1/window of the gradient
            dx = np.repeat(dx[:, None, :] / self.window, self.window, axis=1)
        for e, part in zip(self.embeddings, np.split(dx, np.cumsum(self.dims)[:-1], axis=-1)):
            e.backward(part)
