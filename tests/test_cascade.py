"""nnlib.cascade: the candidate score against a hand computation and its gradient against finite
differences; the cascade wiring of frozen units against a closed form; that a new unit leaves the
scores unchanged until the outputs are retrained; that the residual is the cross-entropy gradient;
and that growing units raises the training accuracy on XOR, which no linear model solves."""
import numpy as np
import pytest

from nnlib.cascade import CascadeCorrelation, candidate_correlation
from nnlib.gradcheck import numerical_gradient, relative_error
from nnlib.losses import softmax_cross_entropy

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([0, 1, 1, 0])


def test_candidate_score_hand_case():
    # one candidate, inputs (z, 1), three examples, one output; w = (0.5, 0) gives
    # v = (tanh 0.5, −tanh 0.5, 0) with mean 0, and E − Ē = (0, −1, 1), so
    # S = |t·0 + (−t)(−1) + 0·1| = t with t = tanh 0.5, and
    # dS/dw = Σ_p (E_p − Ē)(1 − v_p²) z_p = −(1 − t²)(−1, 1) + (0, 1) = (1 − t², t²)
    Z = np.array([[1.0, 1.0], [-1.0, 1.0], [0.0, 1.0]])
    E = np.array([[1.0], [0.0], [2.0]])
    t = np.tanh(0.5)
    S, dS, V = candidate_correlation(np.array([[0.5, 0.0]]), Z, E)
    assert S[0] == pytest.approx(t, rel=1e-15)
    assert np.allclose(V[:, 0], [t, -t, 0.0], rtol=1e-15)
    assert np.allclose(dS[0], [1 - t ** 2, t ** 2], rtol=1e-14)
    # −w flips v and the covariance, so S is unchanged (an absolute value) and σ = −1 flips the gradient
    S_flip, dS_flip, _ = candidate_correlation(np.array([[-0.5, 0.0]]), Z, E)
    assert S_flip[0] == pytest.approx(t, rel=1e-15) and np.allclose(dS_flip[0], [-(1 - t ** 2), -t ** 2])


def test_candidate_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    N, m, C, K = 25, 4, 3, 5
    Z = np.hstack([rng.normal(size=(N, m - 1)), np.ones((N, 1))])
    E = rng.normal(size=(N, C))
    W = rng.normal(size=(K, m))
    _, dS, _ = candidate_correlation(W, Z, E)
    numeric = numerical_gradient(lambda W_: np.sum(candidate_correlation(W_, Z, E)[0]), W)
    assert relative_error(dS, numeric) < 1e-8


def test_candidate_gradient_ignores_the_mean_term_exactly():
    # d v̄/dw multiplies Σ_p (E_p − Ē) = 0, so dropping it is exact, not an approximation:
    # compare with the gradient of the covariance written with the mean kept inside
    rng = np.random.default_rng(1)
    Z, E, W = rng.normal(size=(10, 3)), rng.normal(size=(10, 2)), rng.normal(size=(1, 3))
    _, dS, _ = candidate_correlation(W, Z, E)

    def S_full(W_):
        v = np.tanh(Z @ W_[0])
        return np.sum(np.abs([(v - v.mean()) @ (E[:, o] - E[:, o].mean()) for o in range(2)]))
    assert relative_error(dS, numerical_gradient(S_full, W)) < 1e-8


def test_candidate_shapes_are_checked():
    with pytest.raises(ValueError, match=r"W \(K, m\), Z \(N, m\).*W \(2, 3\), Z \(5, 4\)"):
        candidate_correlation(np.zeros((2, 3)), np.zeros((5, 4)), np.zeros((5, 1)))


def test_features_follow_the_cascade():
    net = CascadeCorrelation(2, 2, rng=np.random.default_rng(0))
    w0 = np.array([1.0, -2.0, 0.5])            # x1, x2, bias
    w1 = np.array([0.3, 0.2, -1.5, 0.1])       # x1, x2, h0, bias
    net.add_unit(w0)
    net.add_unit(w1)
    X = np.array([[0.2, -0.4], [1.0, 1.0]])
    h0 = np.tanh(X @ w0[:2] + w0[2])
    h1 = np.tanh(X @ w1[:2] + w1[2] * h0 + w1[3])
    assert np.allclose(net.features(X), np.column_stack([X, h0, h1]), rtol=1e-15)
    assert net.n_hidden == 2 and net.output.W.shape == (2, 4)
    with pytest.raises(ValueError, match="needs 5 weights"):
        net.add_unit(np.zeros(4))
    with pytest.raises(ValueError, match=r"CascadeCorrelation\(2 → 2, 2 hidden\).*\(N, 2\).*\(3, 5\)"):
        net.features(np.zeros((3, 5)))


def test_new_unit_leaves_scores_unchanged_and_residual_is_the_gradient():
    rng = np.random.default_rng(2)
    net = CascadeCorrelation(3, 4, rng=rng)
    X, y = rng.normal(size=(6, 3)), rng.integers(0, 4, 6)
    before = net(X)
    net.add_unit(rng.normal(size=4))
    assert np.allclose(net(X), before, rtol=0, atol=1e-15)
    F = net.features(X)
    _, dscores = softmax_cross_entropy(net.output(F), y)
    assert np.allclose(net.residual(F, y), len(X) * dscores, rtol=1e-14, atol=1e-15)


def test_state_round_trip():
    net = CascadeCorrelation(2, 2, rng=np.random.default_rng(3))
    net.add_unit(np.array([1.0, 2.0, 3.0]))
    saved, X = net.state(), np.array([[0.1, 0.2]])
    scores = net(X)
    net.add_unit(np.array([1.0, 1.0, 1.0, 1.0]))
    net.output.W.data += 1.0
    net.load_state(saved)
    assert net.n_hidden == 1 and np.allclose(net(X), scores, rtol=0, atol=0)


def test_growing_units_raises_training_accuracy_on_xor():
    net = CascadeCorrelation(2, 2, rng=np.random.default_rng(0))
    history = net.grow(XOR_X, XOR_Y, max_units=4, n_candidates=8, candidate_steps=200,
                       output_epochs=300, lr=0.1, snapshots=(0,))
    # no line separates XOR: with no hidden unit at most 3 of the 4 points are right
    assert history["units"][0] == 0 and history["accuracy"][0] <= 0.75
    assert history["accuracy"][-1] == 1.0 and history["units"][-1] >= 1
    assert history["loss"][-1] < history["loss"][0]
    assert len(history["score"]) == history["units"][-1] and min(history["score"]) > 0
    assert np.array_equal(net.predict(XOR_X), XOR_Y)
    assert 0 in history["snapshots"]


def test_candidate_training_reaches_a_stationary_point_of_the_penalised_score():
    # with weight decay λ the candidates maximise S − λ/2 ‖w‖², whose stationary points satisfy
    # ∂S/∂w = λ w: check that condition at the trained candidate
    rng = np.random.default_rng(4)
    net = CascadeCorrelation(2, 2, rng=rng)
    F, E, lam = rng.normal(size=(30, 2)), rng.normal(size=(30, 2)), 2.0
    w, S = net.train_candidates(F, E, n_candidates=3, steps=2000, lr=0.01, weight_decay=lam)
    _, dS, _ = candidate_correlation(w[None, :], np.hstack([F, np.ones((30, 1))]), E)
    assert relative_error(dS[0], lam * w) < 1e-8
    assert S.shape == (3,) and np.all(S > 0)
