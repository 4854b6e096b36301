"""nnlib.text: vocabularies and batches, the add-k n-gram model against hand counts, skip-gram with
negative sampling and dot-product attention against finite differences, the encoder-decoder's
gradients and decoding step, greedy / beam search / sampling against brute force, and scaled
dot-product attention, layer norm, self-attention and the Transformer block against finite
differences (float64) and torch."""
import itertools
import math

import numpy as np
import pytest

from nnlib.data import Vocab
from nnlib.functional import log_softmax, softmax
from nnlib.gradcheck import check_module, numerical_gradient, relative_error
from nnlib.layers import LayerNorm
from nnlib.text import (NGramLM, SelfAttention, Seq2Seq, SkipGram, TransformerBlock, beam_search,
                        bptt_chunks, dot_attention, dot_attention_backward, greedy_decode, nearest_neighbours,
                        noise_distribution, sample, scaled_dot_product_attention,
                        scaled_dot_product_attention_backward, sequence_log_prob, skipgram_pairs,
                        stream_batches, subsample_keep_prob)

TOL = 1e-7


def rng():
    return np.random.default_rng(0)


# ------------------------------------------------------------------ vocabulary and batches

def test_vocab_order_roundtrip_and_unk():
    v = Vocab("banana band", specials=["<unk>"])
    # a: 4, n: 3, b: 2, then the ties (' ', 'd': 1) in sorted order
    assert v.tokens == ["<unk>", "a", "n", "b", " ", "d"]
    ids = v.encode("band")
    assert ids.tolist() == [3, 1, 2, 5] and ids.dtype == np.int64
    assert v.decode(ids) == "band"
    assert v.encode("bz").tolist() == [3, 0]
    assert len(Vocab("aab", min_freq=2, specials=())) == 1
    words = Vocab("the cat the dog".split(), specials=())
    assert words.decode(words.encode(["dog", "the"]), sep=" ") == "dog the"
    with pytest.raises(KeyError):
        Vocab("ab", specials=()).encode("c")


def test_vocab_fixed_alphabet():
    v = Vocab.fixed("zyx")
    assert v.encode("xyz").tolist() == [2, 1, 0] and len(v) == 3 and "y" in v
    with pytest.raises(ValueError):
        Vocab.fixed("aba")


def test_stream_batches_and_bptt_chunks():
    streams = stream_batches(np.arange(20), 3)
    assert streams.shape == (6, 3)
    assert streams[:, 1].tolist() == [6, 7, 8, 9, 10, 11]  # one contiguous piece per column
    chunks = list(bptt_chunks(streams, 2))
    assert [x.shape[0] for x, _ in chunks] == [2, 2, 1]
    np.testing.assert_array_equal(np.concatenate([x for x, _ in chunks]), streams[:-1])
    np.testing.assert_array_equal(np.concatenate([y for _, y in chunks]), streams[1:])


# ---------------------------------------------------------------------- n-gram model

def test_ngram_hand_counts():
    k = 0.5
    lm = NGramLM(2, 3, k=k).fit([0, 1, 0, 1, 0])  # bigrams: 01 ×2, 10 ×2
    # P(1 | 0) = (2 + k) / (2 + 3k); P(2 | 0) = k / (2 + 3k); P(· | 2) uniform (never seen)
    np.testing.assert_allclose(lm.next_distribution([0]), [k / 3.5, 2.5 / 3.5, k / 3.5])
    np.testing.assert_allclose(lm.next_distribution([2]), np.full(3, 1 / 3))
    np.testing.assert_allclose(lm.log_prob([0, 1, 2]), np.log([2.5 / 3.5, k / 3.5]))
    uni = NGramLM(1, 3, k=1.0).fit([0, 0, 1])
    np.testing.assert_allclose(np.exp(uni.log_prob([0, 1, 2])), np.array([3, 2, 1]) / 6)
    np.testing.assert_allclose(lm.next_distribution([2, 2, 0]), lm.next_distribution([0]))  # last id only
    with pytest.raises(ValueError):
        NGramLM(3, 3).fit([0, 1, 2, 0]).next_distribution([1])
    with pytest.raises(RuntimeError):
        NGramLM(2, 3).log_prob([0, 1])


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_ngram_distributions_sum_to_one_and_match_log_prob(n):
    r = rng()
    text = r.integers(0, 4, 300)
    lm = NGramLM(n, 4, k=0.1).fit(text)
    for ctx in itertools.product(range(4), repeat=n - 1):
        assert abs(lm.next_distribution(list(ctx)).sum() - 1) < 1e-12
    probe = r.integers(0, 4, 50)
    expected = [math.log(lm.next_distribution(probe[t - n + 1:t])[probe[t]]) for t in range(n - 1, 50)]
    np.testing.assert_allclose(lm.log_prob(probe), expected, rtol=1e-12)


# ------------------------------------------------------- skip-gram with negative sampling

def test_skipgram_pairs_and_sampling_tables():
    c, o = skipgram_pairs(np.array([5, 6, 7]), 1)
    assert sorted(zip(c.tolist(), o.tolist())) == [(5, 6), (6, 5), (6, 7), (7, 6)]
    c, _ = skipgram_pairs(np.arange(10), 3)
    assert len(c) == 2 * (10 * 3 - 3 * 4 // 2)
    np.testing.assert_allclose(noise_distribution([16, 1], power=0.75), [8 / 9, 1 / 9])
    keep = subsample_keep_prob([990, 10], t=0.01)  # f = 0.99 and 0.01
    np.testing.assert_allclose(keep, [math.sqrt(0.01 / 0.99) + 0.01 / 0.99, 1.0])


def test_skipgram_loss_by_hand():
    sg = SkipGram(4, 3, rng=rng())
    sg.W_out.data[...] = rng().standard_normal((4, 3))
    v, u = sg.W_in.data, sg.W_out.data
    loss = sg(np.array([1]), np.array([2]), np.array([[0, 3]]))
    sig = lambda x: 1 / (1 + math.exp(-x))  # noqa: E731
    expected = -math.log(sig(u[2] @ v[1])) - math.log(sig(-u[0] @ v[1])) - math.log(sig(-u[3] @ v[1]))
    assert loss.shape == (1,) and abs(loss[0] - expected) < 1e-12


def test_skipgram_init_as_word2vec():
    sg = SkipGram(50, 10, rng=rng())
    assert np.all(np.abs(sg.W_in.data) <= 0.05) and np.all(sg.W_out.data == 0)


def test_skipgram_gradients_with_repeated_words():
    r = rng()
    sg = SkipGram(5, 4, rng=r)
    sg.W_out.data[...] = r.standard_normal((5, 4))
    center = np.array([1, 1, 3])              # a repeated center word
    context = np.array([2, 0, 2])
    negatives = np.array([[2, 4], [1, 1], [0, 3]])  # a noise word equal to the context, a repeat
    dout = r.standard_normal(3)
    sg.zero_grad()
    sg(center, context, negatives)
    assert sg.backward(dout) is None
    for p in (sg.W_in, sg.W_out):
        numeric = numerical_gradient(lambda _: sg(center, context, negatives), p.data, dout=dout)
        assert relative_error(p.grad, numeric) < TOL
    # the default upstream gradient is that of the batch mean
    sg.zero_grad()
    sg(center, context, negatives)
    sg.backward()
    numeric = numerical_gradient(lambda _: sg(center, context, negatives).mean(), sg.W_in.data)
    assert relative_error(sg.W_in.grad, numeric) < TOL


def test_skipgram_shape_errors():
    sg = SkipGram(5, 4, rng=rng())
    with pytest.raises(ValueError):
        sg(np.array([1, 2]), np.array([1]), np.array([[0], [0]]))
    with pytest.raises(RuntimeError):
        SkipGram(5, 4).backward()


def test_nearest_neighbours_by_cosine():
    E = np.array([[1.0, 0.0], [10.0, 1.0], [0.0, 1.0], [-1.0, 0.0]])
    ids, sims = nearest_neighbours(E, E[0], k=2, exclude=[0])
    assert ids.tolist() == [1, 2]
    np.testing.assert_allclose(sims, [10 / math.sqrt(101), 0.0], atol=1e-12)
    assert nearest_neighbours(E, E[0], k=1)[0].tolist() == [0]


# ------------------------------------------------------------------------- attention

def test_dot_attention_by_hand():
    keys = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])[:, None, :]   # S = 3, N = 1, H = 2
    query = np.array([[2.0, 0.0]])[:, None, :]                            # T = 1
    context, alpha = dot_attention(query, keys)
    e = np.array([2.0, 0.0, 2.0])  # q · k_i
    a = np.exp(e) / np.exp(e).sum()
    np.testing.assert_allclose(alpha[0, 0], a)
    np.testing.assert_allclose(context[0, 0], a @ keys[:, 0])
    assert context.shape == (1, 1, 2) and alpha.shape == (1, 1, 3)


def test_dot_attention_matches_loops_and_gradients():
    r = rng()
    T, S, N, H = 3, 4, 2, 5
    q, k = r.standard_normal((T, N, H)), r.standard_normal((S, N, H))
    context, alpha = dot_attention(q, k)
    for t, n in itertools.product(range(T), range(N)):
        a = softmax(k[:, n] @ q[t, n])
        np.testing.assert_allclose(alpha[t, n], a, rtol=1e-12)
        np.testing.assert_allclose(context[t, n], a @ k[:, n], rtol=1e-12)
    np.testing.assert_allclose(alpha.sum(axis=-1), 1.0)
    dc = r.standard_normal((T, N, H))
    dq, dk = dot_attention_backward(dc, q, k, alpha)
    assert relative_error(dq, numerical_gradient(lambda _: dot_attention(q, k)[0], q, dout=dc)) < TOL
    assert relative_error(dk, numerical_gradient(lambda _: dot_attention(q, k)[0], k, dout=dc)) < TOL


@pytest.mark.parametrize("attention", [False, True])
def test_seq2seq_gradients(attention):
    r = rng()
    model = Seq2Seq(4, 5, 3, 4, attention=attention, rng=r)
    src, tgt_in = r.integers(0, 4, (3, 2)), r.integers(0, 5, (4, 2))
    dlogits = r.standard_normal((4, 2, 5))
    model.zero_grad()
    assert model(src, tgt_in).shape == (4, 2, 5)
    model.backward(dlogits)
    for name, p in model.named_parameters():
        numeric = numerical_gradient(lambda _: model(src, tgt_in), p.data, dout=dlogits)
        assert relative_error(p.grad, numeric) < TOL, name


@pytest.mark.parametrize("attention", [False, True])
def test_seq2seq_decode_step_matches_teacher_forcing(attention):
    r = rng()
    model = Seq2Seq(4, 5, 3, 4, attention=attention, rng=r)
    src, tgt_in = r.integers(0, 4, (3, 2)), r.integers(0, 5, (4, 2))
    logp = log_softmax(model(src, tgt_in), axis=-1)
    alpha = model.alpha
    memory, h = model.encode(src)
    for t in range(4):
        step_logp, h, a = model.decode_step(tgt_in[t], h, memory)
        np.testing.assert_allclose(step_logp, logp[t], atol=1e-12)
        if attention:
            np.testing.assert_allclose(a, alpha[t], atol=1e-12)
    # one shared source sentence (M = 1) broadcast over 3 hypotheses
    mem1, h1 = model.encode(src[:, :1])
    out, _, _ = model.decode_step(tgt_in[0, :1].repeat(3), h1.repeat(3, axis=0), mem1)
    np.testing.assert_allclose(out, np.repeat(logp[0, :1], 3, axis=0), atol=1e-12)


# -------------------------------------------------------------------------- decoding

def markov_step(table):
    """A decoder whose next-token distribution depends on the time step and the last token:
    table (steps, V, V) or (V, V) (the same at every step) of log-probabilities.  The state is
    each hypothesis's step counter, (B,) ints, so it must travel with its hypothesis.  A table
    that changes with time avoids exact ties between reorderings of the same transitions."""
    table = np.asarray(table)

    def step(tokens, state):
        state = np.asarray(state, dtype=np.int64)
        logp = table[tokens] if table.ndim == 2 else table[state, tokens]
        return logp, state + 1
    return step


def brute_force(step, start, V, steps):
    """Every sequence of length ``steps`` with its log-probability, best first."""
    seqs = [list(s) for s in itertools.product(range(V), repeat=steps)]
    scores = sequence_log_prob(step, np.zeros(len(seqs), dtype=int), np.full(len(seqs), start), np.array(seqs).T)
    order = sorted(range(len(seqs)), key=lambda i: -scores[i])
    return [(seqs[i], float(scores[i])) for i in order]


def test_greedy_trap_worked_example():
    # from start token 0: P(1) = 0.5, P(2) = 0.4; after 1 the next token is uncertain (max 0.4),
    # after 2 it is nearly certain (0.9): greedy takes 1 and ends at 0.5·0.4 = 0.20, the best is 0.36
    P = np.array([[0.1, 0.5, 0.4], [0.3, 0.3, 0.4], [0.05, 0.9, 0.05]])
    step = markov_step(np.log(P))
    tokens, logp = greedy_decode(step, np.zeros(1, dtype=int), np.array([0]), 2)
    assert tokens[:, 0].tolist() == [1, 2] and abs(math.exp(logp[0]) - 0.20) < 1e-12
    best = beam_search(step, np.zeros(1, dtype=int), 0, 2, 2)
    assert best[0][0] == [2, 1] and abs(math.exp(best[0][1]) - 0.36) < 1e-12
    assert beam_search(step, np.zeros(1, dtype=int), 0, 1, 2)[0][0] == [1, 2]  # width 1 is greedy


def test_beam_search_against_brute_force():
    r = rng()
    V, steps = 3, 4
    table = log_softmax(2.0 * r.standard_normal((steps, V, V)), axis=-1)
    step = markov_step(table)
    exact = brute_force(step, 0, V, steps)
    full = beam_search(step, np.zeros(1, dtype=int), 0, V ** (steps - 1), steps)  # keeps every prefix
    assert [s for s, _ in full] == [s for s, _ in exact[:V ** (steps - 1)]]
    np.testing.assert_allclose([p for _, p in full], [p for _, p in exact[:V ** (steps - 1)]])
    for width in (1, 2, 4, 8):
        found = beam_search(step, np.zeros(1, dtype=int), 0, width, steps)
        assert len(found) == width and found[0][1] <= exact[0][1] + 1e-12
        assert all(a[1] >= b[1] for a, b in zip(found, found[1:]))


def test_beam_search_state_follows_its_hypothesis():
    # a GRU decoder with random weights: the state, not just the last token, decides
    r = rng()
    model = Seq2Seq(3, 3, 2, 3, attention=True, rng=r)
    src = r.integers(0, 3, (4, 1))
    memory, h = model.encode(src)

    def step(tokens, state):
        logp, h_new, _ = model.decode_step(tokens, state, memory)
        return logp, h_new

    V, steps = 3, 4
    seqs = [list(s) for s in itertools.product(range(V), repeat=steps)]
    scores = sequence_log_prob(step, np.repeat(h, len(seqs), axis=0), np.zeros(len(seqs), dtype=int),
                               np.array(seqs).T)
    best = int(np.argmax(scores))
    found = beam_search(step, h, 0, V ** (steps - 1), steps)
    assert found[0][0] == seqs[best] and abs(found[0][1] - scores[best]) < 1e-10


def test_beam_search_with_end_token():
    # token 2 ends a sequence; brute force over all sequences that end with 2 (or reach 4 tokens)
    r = rng()
    V, steps, end = 3, 4, 2
    table = log_softmax(r.standard_normal((steps, V, V)), axis=-1)
    step = markov_step(table)
    complete = []
    for L in range(1, steps + 1):
        for s in itertools.product(range(V), repeat=L):
            if end in s[:-1] or (L < steps and s[-1] != end):
                continue
            score = sequence_log_prob(step, np.zeros(1, dtype=int), np.array([0]), np.array(s)[:, None])[0]
            complete.append((list(s), float(score)))
    complete.sort(key=lambda x: -x[1])
    found = beam_search(step, np.zeros(1, dtype=int), 0, 50, steps, end=end)
    assert len(found) == len(complete) == 1 + 2 + 4 + 8 * 3
    assert [s for s, _ in found] == [s for s, _ in complete[:len(found)]]
    np.testing.assert_allclose([p for _, p in found], [p for _, p in complete[:len(found)]])
    assert beam_search(step, np.zeros(1, dtype=int), 0, 3, steps, end=end)[0][0] == complete[0][0]


def test_sample_temperature():
    logp = np.log(np.array([[0.6, 0.3, 0.1]]))

    def step(tokens, state):
        return np.repeat(logp, len(tokens), axis=0), state

    draws = sample(step, None, np.zeros(20000, dtype=int), 1, rng())[0]
    np.testing.assert_allclose(np.bincount(draws, minlength=3) / 20000, [0.6, 0.3, 0.1], atol=0.01)
    cold = sample(step, None, np.zeros(1000, dtype=int), 1, rng(), temperature=0.01)[0]
    assert np.all(cold == 0)  # T → 0 is greedy
    hot = sample(step, None, np.zeros(20000, dtype=int), 1, rng(), temperature=1e6)[0]
    np.testing.assert_allclose(np.bincount(hot, minlength=3) / 20000, np.full(3, 1 / 3), atol=0.01)
    # p^(1/T), renormalised: T = 2 gives weights sqrt(0.6), sqrt(0.3), sqrt(0.1)
    warm = sample(step, None, np.zeros(20000, dtype=int), 1, rng(), temperature=2.0)[0]
    w = np.sqrt([0.6, 0.3, 0.1])
    np.testing.assert_allclose(np.bincount(warm, minlength=3) / 20000, w / w.sum(), atol=0.01)


# ------------------------------------------------- self-attention and the Transformer block

def test_sdpa_by_loops_and_dot_attention_as_special_case():
    r = rng()
    T, S, N, d, dv = 3, 4, 2, 5, 6
    q, k, v = r.standard_normal((T, N, d)), r.standard_normal((S, N, d)), r.standard_normal((S, N, dv))
    out, alpha = scaled_dot_product_attention(q, k, v)
    assert out.shape == (T, N, dv) and alpha.shape == (T, N, S)
    for t, n in itertools.product(range(T), range(N)):
        a = softmax(k[:, n] @ q[t, n] / math.sqrt(d))
        np.testing.assert_allclose(alpha[t, n], a, rtol=1e-12)
        np.testing.assert_allclose(out[t, n], a @ v[:, n], rtol=1e-12)
    # dot_attention (no scaling, keys = values) is (q·sqrt(d), k, k)
    c_dot, a_dot = dot_attention(q, k)
    c_s, a_s = scaled_dot_product_attention(q * math.sqrt(d), k, k)
    np.testing.assert_allclose(c_s, c_dot, rtol=1e-12)
    np.testing.assert_allclose(a_s, a_dot, rtol=1e-12)
    # causal: step t sees positions ≤ t only
    _, a_c = scaled_dot_product_attention(q, k[:T], v[:T], causal=True)
    assert np.all(a_c[np.triu_indices(T, 1)[0], :, np.triu_indices(T, 1)[1]] == 0)
    np.testing.assert_allclose(a_c.sum(axis=-1), 1.0)
    with pytest.raises(ValueError, match="scaled_dot_product_attention expects"):
        scaled_dot_product_attention(q, k, v[:, :1])


@pytest.mark.parametrize("causal", [False, True])
def test_sdpa_gradients(causal):
    r = rng()
    T, N, d, dv = 4, 2, 3, 5
    S = T if causal else 6
    q, k, v = r.standard_normal((T, N, d)), r.standard_normal((S, N, d)), r.standard_normal((S, N, dv))
    dout = r.standard_normal((T, N, dv))
    _, alpha = scaled_dot_product_attention(q, k, v, causal)
    grads = scaled_dot_product_attention_backward(dout, q, k, v, alpha)
    for g, x in zip(grads, (q, k, v)):
        numeric = numerical_gradient(lambda _: scaled_dot_product_attention(q, k, v, causal)[0], x, dout=dout)
        assert relative_error(g, numeric) < TOL


@pytest.mark.parametrize("causal", [False, True])
def test_sdpa_against_torch(causal):
    torch = pytest.importorskip("torch")
    r = rng()
    T, S, N, d, dv = 5, 5 if causal else 7, 3, 4, 6
    q, k, v = r.standard_normal((T, N, d)), r.standard_normal((S, N, d)), r.standard_normal((S, N, dv))
    dout = r.standard_normal((T, N, dv))
    out, alpha = scaled_dot_product_attention(q, k, v, causal)
    dq, dk, dv_ = scaled_dot_product_attention_backward(dout, q, k, v, alpha)
    tq, tk, tv = (torch.tensor(a.transpose(1, 0, 2), requires_grad=True) for a in (q, k, v))  # (N, L, d)
    tout = torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, is_causal=causal)
    tout.backward(torch.tensor(dout.transpose(1, 0, 2)))
    assert relative_error(out, tout.detach().numpy().transpose(1, 0, 2)) < 1e-12
    for mine, t in ((dq, tq), (dk, tk), (dv_, tv)):
        assert relative_error(mine, t.grad.numpy().transpose(1, 0, 2)) < 1e-12


def test_layer_norm_gradients_and_torch():
    r = rng()
    ln = LayerNorm(5)
    ln.gamma.data[...] = r.standard_normal(5)
    ln.beta.data[...] = r.standard_normal(5)
    x = 3.0 + 2.0 * r.standard_normal((3, 2, 5))
    y = ln(x)
    x_hat = (y - ln.beta.data) / ln.gamma.data
    np.testing.assert_allclose(x_hat.mean(axis=-1), 0.0, atol=1e-12)
    np.testing.assert_allclose(x_hat.var(axis=-1), 1.0 - ln.eps / (x.var(axis=-1) + ln.eps), rtol=1e-10)
    assert max(check_module(ln, x).values()) < TOL
    torch = pytest.importorskip("torch")
    tln = torch.nn.LayerNorm(5, dtype=torch.float64)
    with torch.no_grad():
        tln.weight.copy_(torch.tensor(ln.gamma.data))
        tln.bias.copy_(torch.tensor(ln.beta.data))
    dout = r.standard_normal(x.shape)
    ln.zero_grad()
    y = ln(x)
    dx = ln.backward(dout)
    tx = torch.tensor(x, requires_grad=True)
    ty = tln(tx)
    ty.backward(torch.tensor(dout))
    assert relative_error(y, ty.detach().numpy()) < 1e-12
    assert relative_error(dx, tx.grad.numpy()) < 1e-12
    assert relative_error(ln.gamma.grad, tln.weight.grad.numpy()) < 1e-12
    assert relative_error(ln.beta.grad, tln.bias.grad.numpy()) < 1e-12


@pytest.mark.parametrize("heads, causal", [(1, False), (2, False), (2, True)])
def test_self_attention_gradients(heads, causal):
    r = rng()
    att = SelfAttention(4, heads, causal=causal, rng=r)
    x = r.standard_normal((5, 2, 4))
    assert att(x).shape == (5, 2, 4) and att.alpha.shape == (5, 2, heads, 5)
    np.testing.assert_allclose(att.alpha.sum(axis=-1), 1.0)
    errors = check_module(att, x)
    # b_k adds q_t · b_k to every score of row t, which the softmax ignores: its gradient is
    # zero up to round-off, so a relative error (round-off against round-off) means nothing there
    del errors["k_proj.b"]
    assert max(errors.values()) < TOL, errors
    assert np.max(np.abs(att.k_proj.b.grad)) < 1e-12


def test_self_attention_is_permutation_equivariant():
    # without positions, reordering the input only reorders the output
    r = rng()
    att = SelfAttention(6, 2, rng=r)
    x = r.standard_normal((7, 3, 6))
    perm = r.permutation(7)
    np.testing.assert_allclose(att(x[perm]), att(x)[perm], atol=1e-12)


def copy_into_torch_mha(att, mha, torch):
    with torch.no_grad():
        mha.in_proj_weight.copy_(torch.tensor(np.concatenate([att.q_proj.W.data, att.k_proj.W.data,
                                                              att.v_proj.W.data])))
        mha.in_proj_bias.copy_(torch.tensor(np.concatenate([att.q_proj.b.data, att.k_proj.b.data,
                                                            att.v_proj.b.data])))
        mha.out_proj.weight.copy_(torch.tensor(att.out_proj.W.data))
        mha.out_proj.bias.copy_(torch.tensor(att.out_proj.b.data))


@pytest.mark.parametrize("heads, causal", [(1, False), (3, False), (3, True)])
def test_self_attention_against_torch(heads, causal):
    torch = pytest.importorskip("torch")
    r = rng()
    T, N, E = 5, 2, 6
    att = SelfAttention(E, heads, causal=causal, rng=r)
    mha = torch.nn.MultiheadAttention(E, heads, dtype=torch.float64)
    copy_into_torch_mha(att, mha, torch)
    x, dout = r.standard_normal((T, N, E)), r.standard_normal((T, N, E))
    att.zero_grad()
    y = att(x)
    dx = att.backward(dout)
    tx = torch.tensor(x, requires_grad=True)
    mask = torch.triu(torch.ones(T, T, dtype=torch.bool), 1) if causal else None
    ty, tw = mha(tx, tx, tx, attn_mask=mask, average_attn_weights=False)   # tw (N, heads, T, T)
    ty.backward(torch.tensor(dout))
    assert relative_error(y, ty.detach().numpy()) < 1e-12
    assert relative_error(att.alpha, tw.detach().numpy().transpose(2, 0, 1, 3)) < 1e-12
    assert relative_error(dx, tx.grad.numpy()) < 1e-12
    dW_in = np.concatenate([att.q_proj.W.grad, att.k_proj.W.grad, att.v_proj.W.grad])
    assert relative_error(dW_in, mha.in_proj_weight.grad.numpy()) < 1e-12
    assert relative_error(att.out_proj.W.grad, mha.out_proj.weight.grad.numpy()) < 1e-12


def test_transformer_block_gradients():
    r = rng()
    block = TransformerBlock(4, 2, 6, rng=r)
    x = r.standard_normal((3, 2, 4))
    errors = check_module(block, x)
    del errors["attn.k_proj.b"]                    # zero, see test_self_attention_gradients
    assert max(errors.values()) < TOL, errors


@pytest.mark.parametrize("causal", [False, True])
def test_transformer_block_against_torch(causal):
    torch = pytest.importorskip("torch")
    r = rng()
    T, N, E, heads, F = 6, 3, 8, 2, 16
    block = TransformerBlock(E, heads, F, causal=causal, rng=r)
    for ln in (block.norm1, block.norm2):          # not the default ones, so that they are tested
        ln.gamma.data[...] = 1 + 0.3 * r.standard_normal(E)
        ln.beta.data[...] = 0.3 * r.standard_normal(E)
    layer = torch.nn.TransformerEncoderLayer(E, heads, F, dropout=0.0, dtype=torch.float64)
    copy_into_torch_mha(block.attn, layer.self_attn, torch)
    with torch.no_grad():
        for mine, theirs in ((block.ff1, layer.linear1), (block.ff2, layer.linear2)):
            theirs.weight.copy_(torch.tensor(mine.W.data))
            theirs.bias.copy_(torch.tensor(mine.b.data))
        for mine, theirs in ((block.norm1, layer.norm1), (block.norm2, layer.norm2)):
            theirs.weight.copy_(torch.tensor(mine.gamma.data))
            theirs.bias.copy_(torch.tensor(mine.beta.data))
    x, dout = r.standard_normal((T, N, E)), r.standard_normal((T, N, E))
    block.zero_grad()
    y = block(x)
    dx = block.backward(dout)
    tx = torch.tensor(x, requires_grad=True)
    mask = torch.triu(torch.ones(T, T, dtype=torch.bool), 1) if causal else None
    ty = layer(tx, src_mask=mask)
    ty.backward(torch.tensor(dout))
    assert relative_error(y, ty.detach().numpy()) < 1e-12
    assert relative_error(dx, tx.grad.numpy()) < 1e-12
    for mine, theirs in ((block.ff1.W, layer.linear1.weight), (block.ff2.b, layer.linear2.bias),
                         (block.norm1.gamma, layer.norm1.weight), (block.norm2.beta, layer.norm2.bias),
                         (block.attn.out_proj.W, layer.self_attn.out_proj.weight)):
        assert relative_error(mine.grad, theirs.grad.numpy()) < 1e-12
