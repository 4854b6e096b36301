"""Dropout and BatchNorm1d: PyTorch semantics, gradients, train vs eval."""
import numpy as np
import pytest

from nnlib.gradcheck import check_module, numerical_gradient, relative_error
from nnlib.layers import BatchNorm1d, Dropout


def test_dropout_drops_with_probability_p_and_rescales():
    x = np.ones((200, 500))
    out = Dropout(p=0.3, rng=np.random.default_rng(0))(x)
    kept = out != 0
    assert kept.mean() == pytest.approx(0.7, abs=0.005)
    assert np.allclose(out[kept], 1 / 0.7)
    assert out.mean() == pytest.approx(1.0, abs=0.01)  # inverted dropout keeps the expectation


def test_dropout_eval_and_edge_probabilities():
    x = np.arange(6.0).reshape(2, 3)
    d = Dropout(0.5).eval()
    assert np.array_equal(d(x), x) and np.array_equal(d.backward(np.ones((2, 3))), np.ones((2, 3)))
    assert not Dropout(1.0)(x).any()
    assert np.array_equal(Dropout(0.0)(x), x)
    with pytest.raises(ValueError, match="Dropout probability"):
        Dropout(1.5)


def test_dropout_backward_uses_the_forward_mask():
    d = Dropout(0.5, rng=np.random.default_rng(3))
    x = np.random.default_rng(4).standard_normal((4, 5))
    out = d(x)
    dout = np.random.default_rng(5).standard_normal((4, 5))
    dx = d.backward(dout)
    assert np.array_equal(dx == 0, out == 0)

    def f(_):  # re-seed so every call draws the same mask
        d.rng = np.random.default_rng(3)
        return d(x)
    assert relative_error(dx, numerical_gradient(f, x, dout=dout)) < 1e-9


def test_batchnorm_training_statistics():
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 2.0, (64, 4))
    bn = BatchNorm1d(4)
    y = bn(x)
    assert np.allclose(y.mean(axis=0), 0, atol=1e-12)
    assert np.allclose(y.var(axis=0), x.var(axis=0) / (x.var(axis=0) + 1e-5))
    assert np.allclose(bn.running_mean, 0.1 * x.mean(axis=0))
    assert np.allclose(bn.running_var, 0.9 + 0.1 * x.var(axis=0, ddof=1))  # unbiased


def test_batchnorm_eval_uses_running_statistics():
    bn = BatchNorm1d(2)
    bn.running_mean, bn.running_var = np.array([1.0, -1.0]), np.array([4.0, 0.25])
    bn.gamma.data[:] = [2.0, 1.0]
    bn.beta.data[:] = [0.5, 0.0]
    bn.eval()
    y = bn(np.array([[3.0, 0.0]]))  # works with a batch of one
    assert np.allclose(y, [[2 * 2 / np.sqrt(4 + 1e-5) + 0.5, 1 / np.sqrt(0.25 + 1e-5)]])


@pytest.mark.parametrize("training", [True, False])
def test_batchnorm_gradcheck(training):
    rng = np.random.default_rng(1)
    bn = BatchNorm1d(3)
    bn.gamma.data[:] = rng.normal(1.0, 0.3, 3)
    bn.beta.data[:] = rng.standard_normal(3)
    bn.running_mean, bn.running_var = rng.standard_normal(3), rng.uniform(0.5, 2.0, 3)
    bn.train(training)
    errors = check_module(bn, rng.normal(1.0, 2.0, (6, 3)))
    assert max(errors.values()) < 1e-7, errors


def test_batchnorm_errors():
    bn = BatchNorm1d(3)
    with pytest.raises(ValueError, match=r"BatchNorm1d\(3\) expects input of shape \(N, 3\), got shape \(5, 4\)"):
        bn(np.ones((5, 4)))
    with pytest.raises(ValueError, match="more than 1 sample"):
        bn(np.ones((1, 3)))
