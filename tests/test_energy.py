"""nnlib.energy: Hopfield weights, fields and energy against closed forms; the energy descent of
asynchronous updates; Boltzmann-machine conditionals against the enumerated distribution; the
RBM's free energy, partition function and exact gradient against brute force and finite
differences; CD-k against its exact expectation (through the Gibbs transition matrix) and its
approach to the exact gradient as k grows; the DBN's copy into an MLP, its sampler against the
model's enumerated marginal, and the up-down step against the same step by hand and finite
differences."""
import copy

import numpy as np
import pytest

from nnlib import SGD
from nnlib.energy import (DBN, RBM, BoltzmannMachine, Hopfield, all_states, overlap, train_rbm,
                          train_up_down)
from nnlib.functional import sigmoid
from nnlib.gradcheck import numerical_gradient, relative_error

TOL = 1e-7


def rng(seed=0):
    return np.random.default_rng(seed)


def hadamard(n):
    H = np.array([[1.0]])
    while len(H) < n:
        H = np.block([[H, H], [H, -H]])
    return H


# --------------------------------------------------------------------------- Hopfield

def test_all_states_counting_order():
    S = all_states(3)
    assert S.shape == (8, 3)
    assert np.array_equal(S @ [4, 2, 1], np.arange(8))


def test_hebbian_weights_closed_form():
    xi = rng().choice([-1.0, 1.0], (5, 12))
    net = Hopfield(12).store(xi)
    W = sum(np.outer(p, p) for p in xi) / 12
    np.fill_diagonal(W, 0)
    assert np.array_equal(net.W, W)
    assert np.array_equal(net.W, net.W.T)


def test_orthogonal_patterns_field_and_energy():
    # orthogonal patterns: h = W ξ^μ = (1 − P/N) ξ^μ exactly, so every pattern is a fixed point,
    # and E(ξ^μ) = −½ (1 − P/N) N
    N, P = 16, 4
    xi = hadamard(N)[1:P + 1]
    net = Hopfield(N).store(xi)
    assert np.allclose(net.field(xi), (1 - P / N) * xi, rtol=0, atol=1e-14)
    assert np.allclose(net.energy(xi), -0.5 * (1 - P / N) * N, rtol=0, atol=1e-13)
    s, sweeps = net.recall(xi, rng())
    assert np.array_equal(s, xi) and sweeps == 1


def test_energy_matches_double_sum():
    net = Hopfield(7).store(rng().choice([-1.0, 1.0], (3, 7)))
    s = rng(1).choice([-1.0, 1.0], (4, 7))
    ref = [-0.5 * sum(net.W[i, j] * v[i] * v[j] for i in range(7) for j in range(7)) for v in s]
    assert np.allclose(net.energy(s), ref, rtol=1e-14, atol=1e-14)


def test_async_updates_never_raise_the_energy_and_drop_by_2h_per_flip():
    N = 60
    net = Hopfield(N).store(rng().choice([-1.0, 1.0], (8, N)))
    s = rng(1).choice([-1.0, 1.0], (5, N))
    energies = [net.energy(s)]
    new = net.sweep_async(s, rng(2), energies=energies)
    E = np.array(energies)  # (N + 1, B)
    assert np.all(np.diff(E, axis=0) <= 1e-12)
    # a flip of unit i changes E by −|Δs_i| |h_i| = −2|h_i|; the total over the sweep adds up
    assert np.allclose(E[-1], net.energy(new), rtol=0, atol=1e-12)
    assert np.all(E[-1] < E[0])  # random states are not fixed points


def test_single_flip_energy_change_closed_form():
    N = 20
    net = Hopfield(N).store(rng().choice([-1.0, 1.0], (3, N)))
    s = rng(1).choice([-1.0, 1.0], N)
    h = net.field(s)[0]
    for i in range(N):
        t = s.copy()
        t[i] = -t[i]
        assert abs((net.energy(t) - net.energy(s))[0] - 2 * s[i] * h[i]) < 1e-12


def test_recall_from_corrupted_patterns_and_overlap():
    N, P = 64, 3
    xi = hadamard(N)[[3, 17, 40]]
    net = Hopfield(N).store(xi)
    noisy = xi.copy()
    noisy[:, :10] *= -1  # 10 of 64 bits wrong: overlap 44/64
    assert np.allclose(overlap(noisy, xi), 44 / 64)
    for mode in ("async", "sync"):
        s, _ = net.recall(noisy, rng(), mode=mode)
        assert np.array_equal(s, xi), mode


def test_synchronous_two_cycle():
    # two units coupled negatively, both +1: a synchronous step flips both, forever (a 2-cycle);
    # asynchronous updates stop at a fixed point
    net = Hopfield(2)
    net.W = np.array([[0.0, -1.0], [-1.0, 0.0]])
    s = np.array([[1.0, 1.0]])
    assert np.array_equal(net.step_sync(s), -s)
    _, sweeps = net.recall(s, mode="sync", max_sweeps=10)
    assert sweeps == 10
    s_async, _ = net.recall(s, rng())
    assert s_async[0, 0] == -s_async[0, 1]


def test_hopfield_errors():
    net = Hopfield(4)
    with pytest.raises(ValueError, match=r"Hopfield\(4\)\.store expects input of shape \(N, 4\).*\(2, 3\)"):
        net.store(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"Hopfield\(4\)\.energy: states must be ±1"):
        net.energy(np.zeros((1, 4)))
    with pytest.raises(ValueError, match="need an rng"):
        net.recall(np.ones((1, 4)))


def test_zero_fields_are_exact_ties_for_an_even_number_of_patterns():
    # P = 2: n·h_i = Σ_μ ξ^μ_i (ξ^μ · s − ξ^μ_i s_i) is a sum of two odd numbers and often exactly 0;
    # in floating point with W = k/n it would be ±1e-17 depending on the summation order
    N = 20                                                         # 1/20 is not a binary fraction
    xi = rng().choice([-1.0, 1.0], (2, N))
    net = Hopfield(N).store(xi)
    s = rng(1).choice([-1.0, 1.0], (200, N))
    exact = np.array([[sum(xi[m, i] * xi[m, j] for m in range(2)) for j in range(N)] for i in range(N)])
    np.fill_diagonal(exact, 0)
    n_h = s @ exact  # integer arithmetic in float64: exact
    assert np.sum(n_h == 0) > 100                                  # many exact ties
    assert np.array_equal(net.field(s), n_h / N)                   # zero where it should be, bitwise
    perm = rng(2).permutation(N)                                   # another unit order, another sum order
    assert np.array_equal(Hopfield(N).store(xi[:, perm]).field(s[:, perm]), (n_h / N)[:, perm])
    tied = np.argwhere(n_h == 0)[0]                                # a tied unit keeps its state
    assert net.step_sync(s)[tied[0], tied[1]] == s[tied[0], tied[1]]
    assert np.array_equal(net.energy(s), -0.5 * np.sum(n_h * s, axis=1) / N)


def test_assigning_weights_drops_the_hebbian_counts():
    net = Hopfield(3).store(np.array([[1.0, -1.0, 1.0]]))
    net.W = 2 * net.W
    s = np.array([[1.0, 1.0, -1.0]])
    assert np.allclose(net.field(s), s @ net.W.T, rtol=0, atol=1e-15)


# -------------------------------------------------------------------- Boltzmann machine

@pytest.mark.parametrize("T", [0.5, 1.0, 3.0])
def test_boltzmann_conditionals_match_the_enumerated_distribution(T):
    bm = BoltzmannMachine(4, rng())
    S, p = bm.exact_distribution(T)
    assert abs(p.sum() - 1) < 1e-14
    index = {tuple(s): k for k, s in enumerate(S)}
    for k, s in enumerate(S):
        for i in range(4):
            on, off = s.copy(), s.copy()
            on[i], off[i] = 1, 0
            p_on = p[index[tuple(on)]] / (p[index[tuple(on)]] + p[index[tuple(off)]])
            assert abs(p_on - sigmoid((bm.W[i] @ s + bm.b[i]) / T)) < 1e-12


def test_boltzmann_gibbs_frequencies_approach_the_exact_distribution():
    bm = BoltzmannMachine(4, rng(), scale=0.5)
    S, p = bm.exact_distribution()
    chains = bm.gibbs(np.zeros((20000, 4)), 20, rng(1))
    freq = np.bincount((chains @ [8, 4, 2, 1]).astype(int), minlength=16) / len(chains)
    # total variation distance; sampling noise alone is about 0.5·Σ sqrt(p/n) ≈ 0.01 here
    assert 0.5 * np.abs(freq - p).sum() < 0.02


# ---------------------------------------------------------------------------------- RBM

def small_rbm(scale=1.0, seed=0):
    r = rng(seed)
    rbm = RBM(4, 3, rng=r)
    rbm.W.data[...] = r.normal(0, scale, (3, 4))
    rbm.a.data[...] = r.normal(0, scale, 4)
    rbm.b.data[...] = r.normal(0, scale, 3)
    return rbm


def test_rbm_conditionals_closed_form():
    rbm = small_rbm()
    v = all_states(4)
    H = all_states(3)
    # p(h_j = 1 | v) = e^{-E(v, h with h_j=1)} / (that + e^{-E(v, h with h_j=0)}), any other h
    for j in range(3):
        h1, h0 = H[5].copy(), H[5].copy()
        h1[j], h0[j] = 1, 0
        e1 = rbm.energy(v, np.tile(h1, (16, 1)))
        e0 = rbm.energy(v, np.tile(h0, (16, 1)))
        assert np.allclose(rbm.hidden_probs(v)[:, j], 1 / (1 + np.exp(e1 - e0)), rtol=1e-13, atol=0)
    assert np.allclose(rbm.visible_probs(H), sigmoid(H @ rbm.W.data + rbm.a.data), rtol=1e-15)


def test_rbm_free_energy_and_partition_function_by_brute_force():
    rbm = small_rbm()
    V, H = all_states(4), all_states(3)
    E = np.array([[rbm.energy(v[None], h[None])[0] for h in H] for v in V])  # (16, 8)
    assert relative_error(rbm.free_energy(V), -np.log(np.exp(-E).sum(axis=1))) < 1e-14
    assert abs(rbm.log_partition() - np.log(np.exp(-E).sum())) < 1e-13
    p_v = np.exp(-E).sum(axis=1) / np.exp(-E).sum()
    assert abs(rbm.log_likelihood(V[[3, 9]]) - np.mean(np.log(p_v[[3, 9]]))) < 1e-13


def test_rbm_exact_gradient_matches_finite_differences_of_the_log_likelihood():
    rbm = small_rbm()
    data = all_states(4)[[1, 6, 6, 11, 15]]
    grads = rbm.exact_gradient(data)
    for p, g in zip((rbm.W, rbm.a, rbm.b), grads):
        numeric = numerical_gradient(lambda _: rbm.log_likelihood(data), p.data)
        assert relative_error(g, numeric) < TOL


def test_gibbs_transition_matrix_is_stochastic_with_p_v_stationary():
    rbm = small_rbm()
    T = rbm.gibbs_transition_matrix()
    V = all_states(4)
    p_v = np.exp(-rbm.free_energy(V) - rbm.log_partition())
    assert np.allclose(T.sum(axis=1), 1, rtol=0, atol=1e-14)
    assert np.allclose(p_v @ T, p_v, rtol=0, atol=1e-14)


def expected_cd(rbm, data, k):
    """E[CD-k estimate of dW] exactly: start at the data distribution, apply T^k, take
    ⟨p(h|v) vᵀ⟩ at the end (CD uses hidden probabilities there)."""
    V = all_states(4)
    idx = (data @ [8, 4, 2, 1]).astype(int)
    p0 = np.bincount(idx, minlength=16) / len(data)
    pk = p0 @ np.linalg.matrix_power(rbm.gibbs_transition_matrix(), k)
    ph = rbm.hidden_probs(V)
    return (ph * p0[:, None]).T @ V - (ph * pk[:, None]).T @ V


def test_expected_cd_k_approaches_the_exact_gradient_as_k_grows():
    rbm = small_rbm()
    data = all_states(4)[[1, 6, 6, 11, 15]]
    exact = rbm.exact_gradient(data)[0]
    errors = [relative_error(expected_cd(rbm, data, k), exact) for k in (1, 2, 5, 10, 30)]
    assert errors[0] > 1e-2                      # CD-1 is biased
    assert all(b < a for a, b in zip(errors, errors[1:]))
    assert errors[-1] < 1e-10                    # the chain has mixed: the bias is gone


@pytest.mark.parametrize("k", [1, 3])
def test_monte_carlo_cd_matches_its_expectation(k):
    rbm = small_rbm()
    data = all_states(4)[[1, 6, 6, 11, 15]]
    batch = np.repeat(data, 8000, axis=0)        # 40 000 chains
    rbm.zero_grad()
    rbm.contrastive_divergence(batch, k, rng(1))
    # each entry is a mean of 40 000 terms in [−1, 1]: standard error ≤ 0.005
    assert np.max(np.abs(-rbm.W.grad - expected_cd(rbm, data, k))) < 0.02


def test_monte_carlo_cd_with_large_k_is_close_to_the_exact_gradient():
    rbm = small_rbm()
    data = all_states(4)[[1, 6, 6, 11, 15]]
    batch = np.repeat(data, 8000, axis=0)
    rbm.zero_grad()
    rbm.contrastive_divergence(batch, 30, rng(2))
    exact = rbm.exact_gradient(data)
    for p, g in zip((rbm.W, rbm.a, rbm.b), exact):
        assert np.max(np.abs(-p.grad - g)) < 0.02


def test_cd_training_raises_the_exact_log_likelihood():
    rbm = RBM(4, 3, rng=rng())
    data = all_states(4)[np.repeat([3, 12, 15], 20)]  # three patterns
    before = rbm.log_likelihood(data)
    train_rbm(rbm, data, 100, SGD(rbm.parameters(), lr=0.5), rng(1), batch_size=10)
    after = rbm.log_likelihood(data)
    assert before == pytest.approx(-4 * np.log(2), abs=0.01)   # near-zero weights: p(v) ≈ 2^-4
    assert after > -1.5                                       # from -2.77 to within 0.4 of the optimum
    assert after < np.log(1 / 3) + 1e-9                        # cannot beat the data entropy


def test_rbm_errors():
    rbm = RBM(4, 3, rng=rng())
    with pytest.raises(ValueError, match=r"RBM\(n_visible=4, n_hidden=3\) expects input of shape \(N, 4\) with 4 visible units, got shape \(2, 5\)"):
        rbm.hidden_probs(np.zeros((2, 5)))
    with pytest.raises(ValueError, match=r"RBM\(n_visible=4, n_hidden=3\) expects input of shape \(N, 3\)"):
        rbm.visible_probs(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="k must be ≥ 1"):
        rbm.contrastive_divergence(np.zeros((2, 4)), 0, rng())


# --------------------------------------------------------------------------------- DBN

def test_dbn_to_mlp_copies_the_rbm_weights():
    dbn = DBN((6, 5, 4), rng=rng())
    for rbm in dbn.rbms:
        rbm.W.data[...] = rng(1).normal(0, 1, rbm.W.shape)
        rbm.b.data[...] = rng(2).normal(0, 1, rbm.b.shape)
    mlp = dbn.to_mlp(3, rng())
    x = rng(3).random((7, 6))
    features = dbn.rbms[1].hidden_probs(dbn.rbms[0].hidden_probs(x))
    out = mlp[4]
    assert np.allclose(mlp(x), features @ out.W.data.T + out.b.data, rtol=1e-14, atol=1e-14)


def test_dbn_pretrain_trains_each_level_on_the_features_below():
    X = (rng().random((40, 6)) < 0.3).astype(float)
    dbn = DBN((6, 5, 4), rng=rng())
    hist = dbn.pretrain(X, 3, lambda p: SGD(p, lr=0.1), rng(1), batch_size=10)
    assert [len(h) for h in hist] == [3, 3]
    # the last recorded error of level 2 is the reconstruction error of level 1's features
    F = dbn.rbms[0].hidden_probs(X)
    assert abs(hist[1][-1] - np.mean((F - dbn.rbms[1].reconstruct(F)) ** 2)) < 1e-15


def random_dbn(sizes, seed=0, scale=1.0):
    dbn = DBN(sizes, rng=rng(seed))
    r = rng(seed + 1)
    for rbm in dbn.rbms:
        for q in rbm.parameters():
            q.data[...] = r.normal(0, scale, q.shape)
    return dbn


def test_untie_copies_the_weights_and_changes_no_pass():
    dbn = random_dbn((5, 4, 3))
    v, h = rng(3).random((6, 5)), rng(4).random((6, 4))
    up, down, mlp = dbn.recognise(v)[0], dbn.generate(h), dbn.to_mlp(2, rng(5))(v)
    dbn.untie()
    assert dbn.recognition[0][0] is not dbn.rbms[0].W and dbn.generative[0][0] is not dbn.rbms[0].W
    assert np.array_equal(dbn.recognise(v)[0], up) and np.array_equal(up, dbn.rbms[0].hidden_probs(v))
    assert np.array_equal(dbn.generate(h), down) and np.array_equal(down, dbn.rbms[0].visible_probs(h))
    assert np.array_equal(dbn.to_mlp(2, rng(5))(v), mlp)
    assert len(dbn.parameters()) == 4 + 3


def test_dbn_samples_have_the_mean_of_the_enumerated_model():
    # v <- h1 directed, (h1, h2) an RBM: p(h1) ∝ e^{-F(h1)} over the 16 states of h1, and
    # E[p(v = 1 | h1)] = Σ_h1 p(h1) σ(h1 G + a), which the sampler's output must average to
    dbn = random_dbn((3, 4, 2))
    top = dbn.rbms[1]
    H1 = all_states(4)
    p_h1 = np.exp(-top.free_energy(H1) - top.log_partition())
    exact = p_h1 @ dbn.rbms[0].visible_probs(H1)
    samples = dbn.sample(40000, 30, rng(6))
    assert samples.shape == (40000, 3)
    assert np.max(np.abs(samples.mean(axis=0) - exact)) < 0.01    # sd of each mean < 0.0025


def test_up_down_step_by_hand_and_by_finite_differences():
    dbn = random_dbn((5, 4, 3), scale=0.5).untie()
    (R, b), (G, a) = dbn.recognition[0], dbn.generative[0]
    dbn.generative[0][0].data += rng(8).normal(0, 0.3, G.shape)   # untied: G differs from R
    top = dbn.rbms[1]
    v = (rng(9).random((7, 5)) < 0.5).astype(float)
    r_hand = rng(10)
    dream_v = dbn.up_down(v, 1, rng(10))
    # by hand, drawing the random numbers in the documented order
    h1 = (r_hand.random((7, 4)) < sigmoid(v @ R.data.T + b.data)).astype(float)       # wake
    ph0 = sigmoid(h1 @ top.W.data.T + top.b.data)                                       # CD-1 on top
    h2 = (r_hand.random(ph0.shape) < ph0).astype(float)
    h1_neg = (r_hand.random((7, 4)) < sigmoid(h2 @ top.W.data + top.a.data)).astype(float)
    v_dream = sigmoid(h1_neg @ G.data + a.data)                                         # sleep
    dG = h1.T @ (v - sigmoid(h1 @ G.data + a.data)) / 7
    dR = (h1_neg - sigmoid(v_dream @ R.data.T + b.data)).T @ v_dream / 7
    assert relative_error(dream_v, v_dream) < 1e-12
    assert relative_error(-G.grad, dG) < 1e-12 and relative_error(-R.grad, dR) < 1e-12
    # the delta rules are the gradients of the Bernoulli log-likelihoods they claim to be
    def loglik(p, x):
        return float(np.mean(np.sum(x * np.log(p) + (1 - x) * np.log(1 - p), axis=1)))
    num_G = numerical_gradient(lambda W: loglik(sigmoid(h1 @ W + a.data), v), G.data.copy())
    num_R = numerical_gradient(lambda W: loglik(sigmoid(v_dream @ W.T + b.data), h1_neg), R.data.copy())
    assert relative_error(-G.grad, num_G) < TOL and relative_error(-R.grad, num_R) < TOL


def test_up_down_and_parameters_need_untie():
    dbn = DBN((4, 3, 2), rng=rng())
    with pytest.raises(ValueError, match="untie"):
        dbn.up_down(np.zeros((2, 4)), 1, rng())
    with pytest.raises(ValueError, match="untie"):
        dbn.parameters()
    with pytest.raises(ValueError, match="gibbs_steps"):
        dbn.sample(2, 0, rng())


def test_reconstruction_loglik_closed_form_and_train_up_down_by_hand():
    dbn = random_dbn((5, 4, 3), scale=0.5).untie()
    X = (rng(11).random((12, 5)) < 0.4).astype(float)
    p = dbn.rbms[0].reconstruct(X)  # tied: up with W, b, down with W, a
    ref = np.mean(np.sum(X * np.log(p) + (1 - X) * np.log(1 - p), axis=1))
    assert abs(dbn.reconstruction_loglik(X) - ref) < 1e-12
    hand = DBN((5, 4, 3), rng=rng())
    hand.rbms = [copy.deepcopy(r) for r in dbn.rbms]
    hand.untie()
    history = train_up_down(dbn, X, 2, SGD(dbn.parameters(), lr=0.1), rng(12), batch_size=5)
    opt, r = SGD(hand.parameters(), lr=0.1), rng(12)
    for _ in range(2):                       # the same loop, written out
        order = r.permutation(12)
        for start in range(0, 12, 5):
            opt.zero_grad()
            hand.up_down(X[order[start:start + 5]], 1, r)
            opt.step()
    assert history[-1] == hand.reconstruction_loglik(X)
    assert all(np.array_equal(a.data, b.data) for a, b in zip(dbn.parameters(), hand.parameters()))
