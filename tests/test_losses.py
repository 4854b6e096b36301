"""Losses: closed forms, gradients by finite differences, stability, errors."""
import warnings

import numpy as np
import pytest

from nnlib.gradcheck import numerical_gradient, relative_error
from nnlib.losses import max_margin_loss, mse_loss, softmax_cross_entropy


def test_mse_closed_form_and_gradient():
    pred, target = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[0.0, 2.0], [5.0, 4.0]])
    loss, d = mse_loss(pred, target)
    assert loss == pytest.approx((1 + 0 + 4 + 0) / 4)
    assert np.allclose(d, [[0.5, 0.0], [-1.0, 0.0]])
    assert relative_error(d, numerical_gradient(lambda p: mse_loss(p, target)[0], pred.copy())) < 1e-9
    with pytest.raises(ValueError, match=r"mse_loss.*\(2, 2\).*\(4,\)"):
        mse_loss(pred, np.zeros(4))


def test_cross_entropy_closed_form():
    # uniform scores over C classes: loss = log C and dscores = (1/C − onehot)/N
    loss, d = softmax_cross_entropy(np.zeros((2, 4)), np.array([1, 3]))
    assert loss == pytest.approx(np.log(4))
    assert np.allclose(d, (np.full((2, 4), 0.25) - np.eye(4)[[1, 3]]) / 2)


def test_cross_entropy_gradient():
    rng = np.random.default_rng(0)
    scores, labels = rng.standard_normal((5, 3)), np.array([0, 2, 1, 1, 0])
    _, d = softmax_cross_entropy(scores, labels)
    numeric = numerical_gradient(lambda s: softmax_cross_entropy(s, labels)[0], scores)
    assert relative_error(d, numeric) < 1e-8


def test_cross_entropy_stable_at_1000():
    scores = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, 1000.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss, d = softmax_cross_entropy(scores, np.array([1, 2]))
    assert loss == pytest.approx(1000.0)  # (2000 + 0) / 2
    assert np.isfinite(d).all()
    assert np.allclose(d, [[0.5, -0.5, 0.0], [0.0, 0.0, 0.0]])


def test_cross_entropy_errors():
    with pytest.raises(ValueError, match=r"labels of shape \(2,\)"):
        softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 1, 2]))
    with pytest.raises(TypeError, match="integers"):
        softmax_cross_entropy(np.zeros((2, 3)), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError, match=r"\(N, C\)"):
        softmax_cross_entropy(np.zeros(3), np.array([0]))


def test_max_margin_closed_form():
    s_true, s_corrupt = np.array([2.0, 0.5, 1.0]), np.array([0.0, 1.0, 0.5])
    loss, dt, dc = max_margin_loss(s_true, s_corrupt)
    # hinges: max(0, 1-2+0)=0, max(0, 1-0.5+1)=1.5, max(0, 1-1+0.5)=0.5
    assert loss == pytest.approx(2.0 / 3)
    assert np.allclose(dt, [0, -1 / 3, -1 / 3]) and np.allclose(dc, [0, 1 / 3, 1 / 3])
    assert max_margin_loss(s_true, s_corrupt, margin=0.0)[0] == pytest.approx(0.5 / 3)


def test_max_margin_broadcast_gradients():
    rng = np.random.default_rng(1)
    s_true, s_corrupt = rng.standard_normal((4, 1)), rng.standard_normal((4, 3))
    loss, dt, dc = max_margin_loss(s_true, s_corrupt)
    assert dt.shape == (4, 1) and dc.shape == (4, 3)
    assert relative_error(dt, numerical_gradient(lambda s: max_margin_loss(s, s_corrupt)[0], s_true)) < 1e-8
    assert relative_error(dc, numerical_gradient(lambda s: max_margin_loss(s_true, s)[0], s_corrupt)) < 1e-8


def test_max_margin_stable_and_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss, _, _ = max_margin_loss(np.array([-1000.0]), np.array([1000.0]))
    assert loss == 2001.0
    with pytest.raises(ValueError, match="do not broadcast"):
        max_margin_loss(np.zeros(3), np.zeros(2))
