"""Window models: gradients of every parameter (word vectors included) by finite
differences, and the scorer written out as the notes' formula."""
import numpy as np
import pytest

from nnlib.gradcheck import numerical_gradient, relative_error
from nnlib.models import WindowClassifier, WindowScorer


def check_all_parameters(model, forward, dout):
    model.zero_grad()
    forward()
    model.backward(dout)
    for name, p in model.named_parameters():
        numeric = numerical_gradient(lambda _: forward(), p.data, dout=dout)
        assert relative_error(p.grad, numeric) < 1e-7, name


def test_scorer_is_u_tanh_wx_plus_b():
    rng = np.random.default_rng(0)
    m = WindowScorer(vocab_size=10, embed_dim=4, window=5, hidden=8, rng=rng)
    idx = np.array([[1, 2, 3, 4, 5], [0, 0, 9, 2, 2]])
    x = np.concatenate([m.embed.W.data[i] for i in idx[1]])  # the notes' x ∈ R^20
    s = m.U.W.data[0] @ np.tanh(m.hidden.W.data @ x + m.hidden.b.data)
    assert m(idx).shape == (2,) and m(idx)[1] == pytest.approx(s)
    assert [n for n, _ in m.named_parameters()] == ["embed.W", "hidden.W", "hidden.b", "U.W"]


def test_scorer_gradients():
    rng = np.random.default_rng(1)
    m = WindowScorer(vocab_size=7, embed_dim=3, window=3, hidden=4, rng=rng)
    idx = np.array([[1, 2, 1], [6, 0, 3], [2, 2, 2]])  # repeated words share their vector
    check_all_parameters(m, lambda: m(idx), rng.standard_normal(3))


def test_classifier_gradients_with_features():
    rng = np.random.default_rng(2)
    m = WindowClassifier(vocab_size=9, num_tags=4, embed_dim=3, window=3, hidden=5,
                         feature_sizes=(4, 6), feature_dim=2, rng=rng)
    words = rng.integers(0, 9, (6, 3))
    caps, shape = rng.integers(0, 4, (6, 3)), rng.integers(0, 6, (6, 3))
    assert m(words, caps, shape).shape == (6, 4)
    check_all_parameters(m, lambda: m(words, caps, shape), rng.standard_normal((6, 4)))


def test_classifier_keeps_position():
    # swapping two words of a window changes the scores: concatenation keeps order
    m = WindowClassifier(vocab_size=5, num_tags=2, embed_dim=2, window=3, hidden=4, rng=np.random.default_rng(3))
    assert not np.allclose(m(np.array([[1, 2, 3]])), m(np.array([[3, 2, 1]])))


def test_model_errors():
    m = WindowClassifier(vocab_size=5, num_tags=2, window=3, feature_sizes=(4,))
    with pytest.raises(ValueError, match="1 feature arrays, got 0"):
        m(np.zeros((2, 3), int))
    with pytest.raises(ValueError, match=r"\(N, 3\)"):
        m(np.zeros((2, 4), int), np.zeros((2, 4), int))
    with pytest.raises(ValueError, match=r"WindowScorer expects indices of shape \(N, 5\)"):
        WindowScorer(5)(np.zeros((2, 3), int))
