"""Text: batches for language models, an add-k n-gram model, skip-gram with
negative sampling, dot-product attention, a GRU encoder-decoder, scaled dot-product
self-attention and a Transformer block, and decoding (sampling, greedy, beam search).
Chapters: "Language models and embeddings", "Attention and decoding".

Sequences are sequence first, as in ``nnlib.rnn``: token ids (T, N), vectors (T, N, D).
"""
import math

import numpy as np

from .core import Module, Parameter, as_float_array, cached, check_last_dim, check_same_shape
from .functional import log_softmax, sigmoid, softmax
from .layers import Embedding, LayerNorm, Linear, ReLU
from .rnn import GRU


# ------------------------------------------------------------------ batches

def stream_batches(ids, batch_size):
    """Cut one long id sequence (L,) into ``batch_size`` contiguous streams, one per column:
    returns (L // batch_size, batch_size), dropping the remainder.  Column n holds the n-th
    piece of the text, so consecutive chunks of rows continue each stream (truncated BPTT can
    carry the hidden state from one chunk to the next).  As ``batchify`` in PyTorch's word
    language model example.  Chapter: "Language models and embeddings".
    """
    ids = np.asarray(ids)
    rows = len(ids) // batch_size
    return ids[:rows * batch_size].reshape(batch_size, rows).T.copy()


def bptt_chunks(streams, seq_len):
    """Yield (x, y) pairs of (T, N) id arrays, T ≤ seq_len, from ``streams`` (L, N): y is x
    shifted one step ahead in time (the next token to predict), chunks in order."""
    for start in range(0, len(streams) - 1, seq_len):
        t = min(seq_len, len(streams) - 1 - start)
        yield streams[start:start + t], streams[start + 1:start + 1 + t]


# ---------------------------------------------------------------------- n-gram model

class NGramLM:
    """An n-gram language model with add-k smoothing:

        P(w | c) = (count(c, w) + k) / (count(c) + k·V),   c = the n − 1 previous tokens,

    where count(c) counts the occurrences of c followed by some token, so each conditional
    distribution sums to one; a context never seen gets the uniform 1/V.  k = 1 is Laplace
    smoothing.  Counts live in a sorted array of n-gram codes (base-V numbers), so memory is
    O(distinct n-grams), not V^n.  Chapter: "Language models and embeddings".
    """

    def __init__(self, n, vocab_size, k=1.0):
        if n < 1 or vocab_size ** n >= 2 ** 62:
            raise ValueError(f"NGramLM: n = {n} with V = {vocab_size} does not fit the int64 codes")
        if k <= 0:
            raise ValueError(f"NGramLM: k must be positive (k = {k} gives zero probabilities)")
        self.n, self.V, self.k = n, vocab_size, k
        self.codes = None

    def _codes(self, ids, n):
        """Codes of all windows of n consecutive ids: (L − n + 1,), Σ_j ids[t + j]·V^(n−1−j)."""
        ids = np.asarray(ids, dtype=np.int64)
        L = len(ids) - n + 1
        code = np.zeros(max(L, 0), dtype=np.int64)
        for j in range(n):
            code = code * self.V + ids[j:j + L]
        return code

    def fit(self, ids):
        """Count the n-grams of ids (L,); returns self."""
        codes, counts = np.unique(self._codes(ids, self.n), return_counts=True)
        self.codes, self.counts = codes, counts
        # contexts: the n-grams without their last token, counted where the n-gram occurs
        ctx, inverse = np.unique(codes // self.V, return_inverse=True)
        self.ctx_codes = ctx
        self.ctx_counts = np.bincount(inverse, weights=counts).astype(np.int64)
        return self

    @staticmethod
    def _lookup(table, counts, keys):
        pos = np.clip(np.searchsorted(table, keys), 0, max(len(table) - 1, 0))
        return np.where(table[pos] == keys, counts[pos], 0) if len(table) else np.zeros(len(keys), np.int64)

    def log_prob(self, ids):
        """log P(ids[t] | ids[t−n+1 … t−1]) for t = n − 1 … L − 1: an array (L − n + 1,).
        (Pad the start, e.g. with newlines, to score the first n − 1 tokens too.)"""
        if self.codes is None:
            raise RuntimeError("NGramLM.log_prob called before fit")
        codes = self._codes(ids, self.n)
        c_ngram = self._lookup(self.codes, self.counts, codes)
        c_ctx = self._lookup(self.ctx_codes, self.ctx_counts, codes // self.V)
        return np.log(c_ngram + self.k) - np.log(c_ctx + self.k * self.V)

    def next_distribution(self, context):
        """P(· | context) as (V,) probabilities; context: the last n − 1 ids (more are cut)."""
        if len(context) < self.n - 1:
            raise ValueError(f"NGramLM.next_distribution: a {self.n}-gram model needs {self.n - 1} context ids, "
                             f"got {len(context)} (pad the start, e.g. with newlines)")
        context = np.asarray(context, dtype=np.int64)[len(context) - (self.n - 1):] if self.n > 1 else []
        c = 0
        for i in context:
            c = c * self.V + int(i)
        keys = c * self.V + np.arange(self.V)
        counts = self._lookup(self.codes, self.counts, keys)
        return (counts + self.k) / (counts.sum() + self.k * self.V)


# ------------------------------------------------------- skip-gram with negative sampling

def skipgram_pairs(ids, window):
    """All (center, context) pairs with the context at most ``window`` positions away:
    two int arrays (P,), ordered by offset (−window … −1, 1 … window), then by position."""
    ids = np.asarray(ids)
    centers, contexts = [], []
    for d in [*range(-window, 0), *range(1, window + 1)]:
        if d < 0:
            centers.append(ids[-d:]), contexts.append(ids[:d])
        else:
            centers.append(ids[:-d]), contexts.append(ids[d:])
    return np.concatenate(centers), np.concatenate(contexts)


def noise_distribution(counts, power=0.75):
    """Negative-sampling distribution P(w) ∝ count(w)^power, (V,): 0.75 (word2vec's choice)
    samples rare words more often than their frequency would."""
    p = np.asarray(counts, dtype=np.float64) ** power
    return p / p.sum()


def subsample_keep_prob(counts, t=1e-3):
    """word2vec's probability of keeping each occurrence of word w, (V,):
    min(1, sqrt(t / f(w)) + t / f(w)) with f the relative frequency; frequent words
    ("the", "of") are mostly dropped, words rarer than about t are always kept."""
    f = np.asarray(counts, dtype=np.float64) / np.sum(counts)
    return np.minimum(1.0, np.sqrt(t / f) + t / f)


class SkipGram(Module):
    """Skip-gram with negative sampling (SGNS, Mikolov et al. 2013): every word has a
    "center" vector v (a row of ``W_in``) and a "context" vector u (a row of ``W_out``); for a
    pair (center c, context o) and K sampled noise words n_1 … n_K the loss is

        J = −log σ(u_o · v_c) − Σ_k log σ(−u_{n_k} · v_c).

    Shapes: W_in, W_out (vocab_size, dim); forward(center (B,), context (B,), negatives
    (B, K)) → per-pair losses (B,).  backward(dout=None) with dout (B,), by default 1/B each
    (the gradient of the batch mean), adds the gradients into W_in.grad and W_out.grad with
    scatter-adds (a word used twice gets both contributions) and returns None.
    Initialised as word2vec: W_in uniform in ±0.5/dim, W_out zeros.
    Chapter: "Language models and embeddings".
    """

    def __init__(self, vocab_size, dim, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        self.vocab_size, self.dim = vocab_size, dim
        self.W_in = Parameter(rng.uniform(-0.5 / dim, 0.5 / dim, (vocab_size, dim)))
        self.W_out = Parameter(np.zeros((vocab_size, dim)))
        self.cache = None

    def extra_repr(self):
        return f"{self.vocab_size}, {self.dim}"

    def forward(self, center, context, negatives):
        center, context, negatives = (np.asarray(a) for a in (center, context, negatives))
        B = center.shape[0]
        if center.shape != (B,) or context.shape != (B,) or negatives.ndim != 2 or len(negatives) != B:
            raise ValueError(f"SkipGram expects center (B,), context (B,), negatives (B, K); got "
                             f"{center.shape}, {context.shape}, {negatives.shape}")
        v = self.W_in.data[center]                                   # (B, d)
        u = self.W_out.data[np.concatenate([context[:, None], negatives], axis=1)]  # (B, 1+K, d)
        s = np.einsum("bkd,bd->bk", u, v)                            # (B, 1+K) scores
        sign = np.ones_like(s)
        sign[:, 1:] = -1.0                                           # the true pair +, noise −
        # −log σ(x) = log(1 + e^{−x}), written with logaddexp so that it never overflows
        loss = np.logaddexp(0.0, -sign * s).sum(axis=1)
        self.cache = (center, context, negatives, v, u, s, sign)
        return loss

    def backward(self, dout=None):
        if self.cache is None:
            raise RuntimeError("SkipGram.backward called before forward")
        center, context, negatives, v, u, s, sign = self.cache
        B = len(center)
        dout = np.full(B, 1.0 / B) if dout is None else np.asarray(dout, dtype=np.float64)
        check_same_shape(dout, (B,), "SkipGram")
        # d/ds of log(1 + e^{−sign·s}) = −sign·σ(−sign·s): σ(s) − 1 for the true pair, σ(s) for noise
        ds = -sign * sigmoid(-sign * s) * dout[:, None]              # (B, 1+K)
        dv = np.einsum("bk,bkd->bd", ds, u)                          # (B, d)
        du = ds[:, :, None] * v[:, None, :]                          # (B, 1+K, d)
        np.add.at(self.W_in.grad, center, dv)
        words = np.concatenate([context[:, None], negatives], axis=1)
        np.add.at(self.W_out.grad, words.ravel(), du.reshape(-1, self.dim))
        return None


def nearest_neighbours(E, query, k=5, exclude=()):
    """The k rows of E (V, d) with the highest cosine similarity to ``query`` (d,), skipping
    the ids in ``exclude``: (ids (k,), similarities (k,)), most similar first."""
    E = np.asarray(E, dtype=np.float64)
    sims = (E @ query) / (np.linalg.norm(E, axis=1) * np.linalg.norm(query) + 1e-12)
    sims[list(exclude)] = -np.inf
    ids = np.argsort(-sims, kind="stable")[:k]
    return ids, sims[ids]


# ------------------------------------------------------------------------- attention

def dot_attention(query, keys):
    """Dot-product attention of every query over the keys, which are also the values.

        e_{t,i} = q_t · k_i,   α_{t,·} = softmax_i(e_{t,·}),   c_t = Σ_i α_{t,i} k_i

    Shapes: query (T, N, H) (T decoder steps), keys (S, N, H) (S encoder states) →
    context (T, N, H), alpha (T, N, S) (each alpha[t, n] sums to one over the S positions).
    Chapter: "Attention and decoding".
    """
    q = np.asarray(query, dtype=np.float64).transpose(1, 0, 2)       # (N, T, H): batched matmuls
    k = np.asarray(keys, dtype=np.float64).transpose(1, 0, 2)        # (N, S, H)
    alpha = softmax(q @ k.transpose(0, 2, 1), axis=-1)               # (N, T, S)
    context = alpha @ k                                              # (N, T, H)
    return context.transpose(1, 0, 2), alpha.transpose(1, 0, 2)


def dot_attention_backward(dcontext, query, keys, alpha):
    """Gradients of ``dot_attention``: dcontext (T, N, H), with the forward's query, keys and
    alpha → (dquery (T, N, H), dkeys (S, N, H)).

        dα_{t,i} = dc_t · k_i,   de_{t,i} = α_{t,i} (dα_{t,i} − Σ_j α_{t,j} dα_{t,j}),
        dq_t = Σ_i de_{t,i} k_i,   dk_i = Σ_t (α_{t,i} dc_t + de_{t,i} q_t)

    (the keys get two terms: they are the values, and they are scored).
    """
    dc = np.asarray(dcontext, dtype=np.float64).transpose(1, 0, 2)  # (N, T, H)
    q = np.asarray(query, dtype=np.float64).transpose(1, 0, 2)       # (N, T, H)
    k = np.asarray(keys, dtype=np.float64).transpose(1, 0, 2)        # (N, S, H)
    a = np.asarray(alpha, dtype=np.float64).transpose(1, 0, 2)       # (N, T, S)
    da = dc @ k.transpose(0, 2, 1)                                   # (N, T, S)
    de = a * (da - np.sum(a * da, axis=-1, keepdims=True))           # softmax backward
    dq = de @ k
    dk = a.transpose(0, 2, 1) @ dc + de.transpose(0, 2, 1) @ q       # (N, S, H)
    return dq.transpose(1, 0, 2), dk.transpose(1, 0, 2)


class Seq2Seq(Module):
    """A GRU encoder-decoder, with or without dot-product attention.

    Encoder: h_1 … h_S = GRU(Embedding(src)).  Decoder, fed the previous target token
    (teacher forcing) and started from h_S: s_1 … s_T = GRU(Embedding(tgt_in), h0 = h_S).
    Output: without attention, logits_t = Linear(s_t); with attention, the context
    c_t = Σ_i α_{t,i} h_i of ``dot_attention(s, h)`` joins the state, logits_t =
    Linear([s_t; c_t]) (Luong et al.'s "dot" score, without their extra tanh layer).

    Shapes: src (S, N) ids < src_vocab, tgt_in (T, N) ids < tgt_vocab → logits (T, N, tgt_vocab);
    ``alpha`` (T, N, S) is kept after forward.  backward(dlogits) adds every gradient and returns
    None.  ``decode_step`` runs one decoder step for greedy or beam search; it overwrites what
    forward cached.  Chapter: "Attention and decoding".
    """

    def __init__(self, src_vocab, tgt_vocab, embed_dim, hidden_size, attention=True, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        self.attention, self.hidden_size = attention, hidden_size
        self.src_emb = Embedding(src_vocab, embed_dim, rng=rng)
        self.encoder = GRU(embed_dim, hidden_size, rng=rng)
        self.tgt_emb = Embedding(tgt_vocab, embed_dim, rng=rng)
        self.decoder = GRU(embed_dim, hidden_size, rng=rng)
        self.out = Linear(2 * hidden_size if attention else hidden_size, tgt_vocab, rng=rng)
        self.alpha = None

    def extra_repr(self):
        return f"attention={self.attention}"

    def encode(self, src):
        """src (S, N) → memory (S, N, H) = h_1 … h_S, and h_S (N, H)."""
        return self.encoder(self.src_emb(src))

    def forward(self, src, tgt_in):
        memory, h_S = self.encode(src)
        s, _ = self.decoder(self.tgt_emb(tgt_in), h_S)               # (T, N, H)
        if self.attention:
            context, self.alpha = dot_attention(s, memory)
            self.cache = (s, memory, self.alpha)
            s = np.concatenate([s, context], axis=-1)                # (T, N, 2H)
        return self.out(s)

    def backward(self, dlogits):
        H = self.hidden_size
        ds = self.out.backward(dlogits)
        dmemory = None
        if self.attention:
            s, memory, alpha = cached(self)
            dq, dmemory = dot_attention_backward(ds[..., H:], s, memory, alpha)
            ds = ds[..., :H] + dq                                    # s_t is the query as well
        self.tgt_emb.backward(self.decoder.backward(ds))
        # h_S feeds the decoder's initial state as well as the attention memory
        self.src_emb.backward(self.encoder.backward(dmemory, self.decoder.dh0))
        return None

    def decode_step(self, tokens, h, memory):
        """One decoder step for B hypotheses: tokens (B,), h (B, H), memory (S, M, H) with
        M = B, or M = 1 (one source sentence shared by all hypotheses, as in beam search)
        → (log-probabilities (B, V), new h (B, H), alpha (B, S) or None)."""
        s, h = self.decoder(self.tgt_emb(np.asarray(tokens)[None]), h)  # s (1, B, H)
        alpha = None
        if self.attention:
            memory = np.broadcast_to(memory, (memory.shape[0], s.shape[1], memory.shape[2]))
            context, alpha = dot_attention(s, memory)
            s = np.concatenate([s, context], axis=-1)
            alpha = alpha[0]
        return log_softmax(self.out(s)[0], axis=-1), h, alpha


# ------------------------------------------------- self-attention and the Transformer block

def scaled_dot_product_attention(query, key, value, causal=False):
    """Scaled dot-product attention (Vaswani et al. 2017), with separate keys and values:

        e_{t,i} = q_t · k_i / sqrt(d),   α_{t,·} = softmax_i(e_{t,·}),   out_t = Σ_i α_{t,i} v_i

    Shapes (sequence first, as ``dot_attention``): query (T, N, d), key (S, N, d), value
    (S, N, d_v) → out (T, N, d_v), alpha (T, N, S).  With ``causal`` step t sees only the
    positions i ≤ t (the other scores are −∞ before the softmax; top-left aligned when T ≠ S,
    as torch).  ``dot_attention(q, k)`` is the special case ``(q · sqrt(d), k, k)``.  The same
    numbers as ``torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=causal)``
    on the batch-first layout (N, T, d).  Chapter: "Attention and decoding".
    """
    q = np.asarray(query, dtype=np.float64).transpose(1, 0, 2)       # (N, T, d)
    k = np.asarray(key, dtype=np.float64).transpose(1, 0, 2)         # (N, S, d)
    v = np.asarray(value, dtype=np.float64).transpose(1, 0, 2)       # (N, S, d_v)
    if q.shape[2] != k.shape[2] or k.shape[:2] != v.shape[:2] or q.shape[0] != k.shape[0]:
        raise ValueError(f"scaled_dot_product_attention expects query (T, N, d), key (S, N, d), "
                         f"value (S, N, d_v); got {np.shape(query)}, {np.shape(key)}, {np.shape(value)}")
    e = q @ k.transpose(0, 2, 1) / math.sqrt(q.shape[2])             # (N, T, S)
    if causal:
        e = np.where(np.tri(e.shape[1], e.shape[2], dtype=bool), e, -np.inf)
    alpha = softmax(e, axis=-1)                                      # masked entries: exactly 0
    out = alpha @ v                                                  # (N, T, d_v)
    return out.transpose(1, 0, 2), alpha.transpose(1, 0, 2)


def scaled_dot_product_attention_backward(dout, query, key, value, alpha):
    """Gradients of ``scaled_dot_product_attention``: dout (T, N, d_v), with the forward's
    inputs and alpha → (dquery (T, N, d), dkey (S, N, d), dvalue (S, N, d_v)).

        dv_i = Σ_t α_{t,i} dout_t,   dα_{t,i} = dout_t · v_i,
        de_{t,i} = α_{t,i} (dα_{t,i} − Σ_j α_{t,j} dα_{t,j}),
        dq_t = Σ_i de_{t,i} k_i / sqrt(d),   dk_i = Σ_t de_{t,i} q_t / sqrt(d)

    (masked positions have α = 0, hence de = 0: they get no gradient).
    """
    do = np.asarray(dout, dtype=np.float64).transpose(1, 0, 2)       # (N, T, d_v)
    q = np.asarray(query, dtype=np.float64).transpose(1, 0, 2)       # (N, T, d)
    k = np.asarray(key, dtype=np.float64).transpose(1, 0, 2)         # (N, S, d)
    v = np.asarray(value, dtype=np.float64).transpose(1, 0, 2)       # (N, S, d_v)
    a = np.asarray(alpha, dtype=np.float64).transpose(1, 0, 2)       # (N, T, S)
    dv = a.transpose(0, 2, 1) @ do                                   # (N, S, d_v)
    da = do @ v.transpose(0, 2, 1)                                   # (N, T, S)
    de = a * (da - np.sum(a * da, axis=-1, keepdims=True)) / math.sqrt(q.shape[2])
    dq = de @ k                                                      # (N, T, d)
    dk = de.transpose(0, 2, 1) @ q                                   # (N, S, d)
    return dq.transpose(1, 0, 2), dk.transpose(1, 0, 2), dv.transpose(1, 0, 2)


class SelfAttention(Module):
    """Multi-head self-attention: queries, keys and values are three linear maps of the same
    sequence, Q = x W_q^T + b_q, K = x W_k^T + b_k, V = x W_v^T + b_v (``q_proj``, ``k_proj``,
    ``v_proj``, each Linear(E, E)).  The E features are split into ``num_heads`` heads of
    d = E / num_heads; each head runs ``scaled_dot_product_attention`` on its slice, and
    ``out_proj`` (Linear(E, E)) mixes the concatenated results.

    Shapes: x (T, N, E) → (T, N, E); after forward ``alpha`` (T, N, num_heads, T) holds the
    weights (alpha[t, n, h] sums to one over the T positions).  ``causal``: position t attends
    to positions ≤ t only, as in a decoder.  The same numbers as
    ``torch.nn.MultiheadAttention(E, num_heads)(x, x, x)`` with in_proj_weight = [W_q; W_k; W_v]
    (initialised here as nnlib.Linear, not as torch's Xavier).  The key bias b_k has no effect
    and a zero gradient: it adds q_t · b_k to a whole row of scores, which the softmax ignores.
    Chapter: "Attention and decoding".
    """

    def __init__(self, embed_dim, num_heads=1, causal=False, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        if embed_dim % num_heads:
            raise ValueError(f"SelfAttention: embed_dim {embed_dim} is not divisible by num_heads {num_heads}")
        self.embed_dim, self.num_heads, self.causal = embed_dim, num_heads, causal
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (Linear(embed_dim, embed_dim, rng=rng)
                                                                for _ in range(4))
        self.alpha = None

    def extra_repr(self):
        return f"{self.embed_dim}, num_heads={self.num_heads}, causal={self.causal}"

    def _heads(self, a):
        """(T, N, E) → (T, N·heads, d): each head becomes a sequence of its own (as torch)."""
        T, N, _ = a.shape
        return a.reshape(T, N * self.num_heads, self.embed_dim // self.num_heads)

    def forward(self, x):
        x = as_float_array(x, self._name())
        if x.ndim != 3 or x.shape[2] != self.embed_dim:
            raise ValueError(f"{self._name()} expects x of shape (T, N, {self.embed_dim}), got {x.shape}")
        T, N, E = x.shape
        q, k, v = (self._heads(p(x)) for p in (self.q_proj, self.k_proj, self.v_proj))
        out, alpha = scaled_dot_product_attention(q, k, v, causal=self.causal)   # (T, N·h, d), (T, N·h, T)
        self.cache = (q, k, v, alpha)
        self.alpha = alpha.reshape(T, N, self.num_heads, T)
        return self.out_proj(out.reshape(T, N, E))

    def backward(self, dout):
        """dout (T, N, E) → dx (T, N, E); adds the gradients of the four projections (x is used
        three times, so its gradient is the sum of three)."""
        q, k, v, alpha = cached(self)
        dattn = self._heads(self.out_proj.backward(dout))
        dq, dk, dv = scaled_dot_product_attention_backward(dattn, q, k, v, alpha)
        shape = dout.shape
        return (self.q_proj.backward(dq.reshape(shape)) + self.k_proj.backward(dk.reshape(shape))
                + self.v_proj.backward(dv.reshape(shape)))


class TransformerBlock(Module):
    """One Transformer encoder layer, post-norm as in Vaswani et al. (2017):

        h = LayerNorm(x + SelfAttention(x)),   y = LayerNorm(h + W_2 ReLU(W_1 h + b_1) + b_2)

    The feed-forward part (``ff1`` Linear(E, F), ReLU, ``ff2`` Linear(F, E)) acts on every
    position separately.  Shapes: x (T, N, E) → y (T, N, E); ``alpha`` after forward as in
    SelfAttention.  The same numbers as ``torch.nn.TransformerEncoderLayer(E, num_heads, F,
    dropout=0.0)`` (this block has no dropout).  Chapter: "Attention and decoding".
    """

    def __init__(self, embed_dim, num_heads, dim_feedforward, causal=False, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        self.attn = SelfAttention(embed_dim, num_heads, causal=causal, rng=rng)
        self.norm1 = LayerNorm(embed_dim)
        self.ff1 = Linear(embed_dim, dim_feedforward, rng=rng)
        self.relu = ReLU()
        self.ff2 = Linear(dim_feedforward, embed_dim, rng=rng)
        self.norm2 = LayerNorm(embed_dim)

    @property
    def alpha(self):
        return self.attn.alpha

    def forward(self, x):
        h = self.norm1(x + self.attn(x))
        return self.norm2(h + self.ff2(self.relu(self.ff1(h))))

    def backward(self, dout):
        """dout (T, N, E) → dx; each residual connection adds the gradient of its shortcut."""
        dh2 = self.norm2.backward(dout)
        dh = dh2 + self.ff1.backward(self.relu.backward(self.ff2.backward(dh2)))
        dx1 = self.norm1.backward(dh)
        return dx1 + self.attn.backward(dx1)


# -------------------------------------------------------------------------- decoding
#
# A decoder is a function step(tokens (B,), state) → (log_probs (B, V), new_state), where B
# hypotheses are decoded side by side and state is an array with the hypotheses on axis 0, or
# a tuple of such arrays (an LSTM's (h, c)).

def _take(state, idx):
    """Rows idx of a state (array or nested tuple of arrays, hypotheses on axis 0)."""
    if isinstance(state, (tuple, list)):
        return type(state)(_take(s, idx) for s in state)
    return state[idx]


def greedy_decode(step, state, start, steps):
    """Pick the most probable token at every step.  start (N,) first input tokens, state for
    N sequences → (tokens (steps, N), total log-probabilities (N,)).  Chapter: "Attention and
    decoding"."""
    tokens = np.asarray(start)
    out, total = [], np.zeros(len(tokens))
    for _ in range(steps):
        logp, state = step(tokens, state)
        tokens = np.argmax(logp, axis=1)
        total += logp[np.arange(len(tokens)), tokens]
        out.append(tokens)
    return np.array(out), total


def sample(step, state, start, steps, rng, temperature=1.0):
    """Draw each token from softmax(log p / temperature): below 1 sharper (towards greedy),
    above 1 flatter (towards uniform).  start (N,), state for N sequences → tokens (steps, N).
    Chapter: "Language models and embeddings"."""
    tokens = np.asarray(start)
    out = []
    for _ in range(steps):
        logp, state = step(tokens, state)
        p = softmax(logp / temperature, axis=1)
        # inverse-CDF sampling, one uniform per sequence: the same draws for every temperature
        u = rng.random((len(p), 1))
        tokens = np.minimum((np.cumsum(p, axis=1) < u).sum(axis=1), p.shape[1] - 1)
        out.append(tokens)
    return np.array(out)


def beam_search(step, state, start, beam_width, steps, end=None):
    """Keep the ``beam_width`` most probable partial sequences (by total log-probability) at
    every step, for ONE input: start is a single token, state is for one hypothesis (leading
    axis 1).  Without ``end`` every hypothesis has ``steps`` tokens; with it a hypothesis that
    emits ``end`` is finished and set aside, and the search stops when no live hypothesis can
    still beat the beam_width best finished ones (scores only fall).  Ties are broken by the
    order of (hypothesis, token), so results are deterministic.

    Returns up to beam_width (tokens (list of int), log-probability) pairs, best first.
    beam_width = 1 is greedy decoding; a width of V^(steps−1) keeps every prefix and is exact.
    Chapter: "Attention and decoding".
    """
    if beam_width < 1:
        raise ValueError(f"beam_search: beam_width must be at least 1, got {beam_width}")
    live_tokens = np.zeros((1, 0), dtype=np.int64)
    live_scores = np.zeros(1)
    last = np.array([start])
    finished = []
    for _ in range(steps):
        logp, new_state = step(last, state)
        B, V = logp.shape
        cand = (live_scores[:, None] + logp).ravel()                 # (B·V,) every one-token extension
        top = np.argsort(-cand, kind="stable")[:beam_width]
        rows, toks = np.divmod(top, V)
        tokens = np.concatenate([live_tokens[rows], toks[:, None]], axis=1)
        scores = cand[top]
        keep = np.ones(len(top), dtype=bool) if end is None else toks != end
        finished += [(list(map(int, t)), float(s)) for t, s in zip(tokens[~keep], scores[~keep])]
        live_tokens, live_scores = tokens[keep], scores[keep]
        state, last = _take(new_state, rows[keep]), toks[keep]
        if not len(live_scores):
            break
        if len(finished) >= beam_width:
            worst_kept = sorted(s for _, s in finished)[-beam_width]
            if live_scores.max() <= worst_kept:
                break
    results = finished + [(list(map(int, t)), float(s)) for t, s in zip(live_tokens, live_scores)]
    results.sort(key=lambda r: -r[1])  # a stable sort: ties stay in the order found
    return results[:beam_width]


def sequence_log_prob(step, state, start, tokens):
    """Total log-probability the decoder gives to ``tokens`` (T, N) (teacher forcing):
    returns (N,).  For comparing the scores of decoded sequences with those of references."""
    tokens = np.asarray(tokens)
    prev, total = np.asarray(start), np.zeros(tokens.shape[1])
    for t in range(len(tokens)):
        logp, state = step(prev, state)
        total += logp[np.arange(tokens.shape[1]), tokens[t]]
        prev = tokens[t]
    return total
