"""Dropout, BatchNorm1d and BatchNorm2d: PyTorch semantics, gradients, train vs eval."""
import numpy as np
import pytest

from nnlib.gradcheck import check_module, numerical_gradient, relative_error
from nnlib.layers import BatchNorm1d, BatchNorm2d, Dropout


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
    with pytest.raises(ValueError, match=r"BatchNorm1d\(3, eps=1e-05, momentum=0.1\) expects input of shape \(N, 3\), got shape \(5, 4\)"):
        bn(np.ones((5, 4)))
    with pytest.raises(ValueError, match="more than 1 sample"):
        bn(np.ones((1, 3)))


def test_batchnorm2d_normalises_each_channel_over_batch_and_pixels():
    r = np.random.default_rng(1)
    x = r.normal(3.0, 2.0, (4, 3, 5, 6)) * np.array([1.0, 10.0, 0.1]).reshape(1, 3, 1, 1)
    bn = BatchNorm2d(3)
    y = bn(x)
    assert np.allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    assert np.allclose(y.var(axis=(0, 2, 3)), 1, atol=1e-3)  # var/(var + eps)
    n = 4 * 5 * 6
    assert np.allclose(bn.running_mean, 0.1 * x.mean(axis=(0, 2, 3)))
    assert np.allclose(bn.running_var, 0.9 + 0.1 * x.var(axis=(0, 2, 3)) * n / (n - 1))
    # BatchNorm2d on (N, C, H, W) is BatchNorm1d on the (N·H·W, C) matrix of pixels
    bn1 = BatchNorm1d(3)
    y1 = bn1(x.transpose(0, 2, 3, 1).reshape(-1, 3))
    assert np.allclose(y, y1.reshape(4, 5, 6, 3).transpose(0, 3, 1, 2), atol=1e-13)
    assert np.allclose(bn.running_var, bn1.running_var, atol=1e-13)


@pytest.mark.parametrize("training", [True, False])
def test_batchnorm2d_gradcheck(training):
    r = np.random.default_rng(2)
    bn = BatchNorm2d(3)
    bn.gamma.data[:] = r.normal(1, 0.3, 3)
    bn.beta.data[:] = r.normal(0, 0.3, 3)
    bn.running_mean, bn.running_var = r.normal(size=3), r.uniform(0.5, 2, 3)
    bn.train(training)
    errors = check_module(bn, r.standard_normal((3, 3, 4, 2)))
    assert max(errors.values()) < 1e-8, errors


def test_batchnorm2d_errors():
    bn = BatchNorm2d(3)
    with pytest.raises(ValueError, match=r"BatchNorm2d\(3, eps=1e-05, momentum=0.1\) expects input of shape \(N, 3, H, W\), got shape \(2, 3, 4\)"):
        bn(np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match=r"BatchNorm2d\(3, eps=1e-05, momentum=0.1\) expects .* got shape \(2, 4, 5, 5\)"):
        bn(np.ones((2, 4, 5, 5)))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        bn(np.ones((1, 3, 1, 1)))
    with pytest.raises(RuntimeError, match="before forward"):
        BatchNorm2d(2).backward(np.ones((2, 2, 2, 2)))


def test_batchnorm2d_against_torch():
    torch = pytest.importorskip("torch")
    r = np.random.default_rng(3)
    bn = BatchNorm2d(4, momentum=0.2)
    bn.gamma.data[:] = r.normal(1, 0.3, 4)
    bn.beta.data[:] = r.normal(0, 0.3, 4)
    tbn = torch.nn.BatchNorm2d(4, momentum=0.2).double()
    with torch.no_grad():
        tbn.weight.copy_(torch.tensor(bn.gamma.data))
        tbn.bias.copy_(torch.tensor(bn.beta.data))
    for step in range(3):  # training steps update the running statistics
        x = r.normal(1.0, 2.0, (5, 4, 6, 3))
        dout = r.standard_normal(x.shape)
        bn.zero_grad()
        y, dx = bn(x), None
        dx = bn.backward(dout)
        tx = torch.tensor(x, requires_grad=True)
        tbn.weight.grad = tbn.bias.grad = None
        ty = tbn(tx)
        ty.backward(torch.tensor(dout))
        assert np.allclose(y, ty.detach().numpy(), rtol=1e-12, atol=1e-12)
        assert np.allclose(dx, tx.grad.numpy(), rtol=1e-10, atol=1e-12)
        assert np.allclose(bn.gamma.grad, tbn.weight.grad.numpy(), rtol=1e-10)
        assert np.allclose(bn.beta.grad, tbn.bias.grad.numpy(), rtol=1e-10)
        assert np.allclose(bn.running_mean, tbn.running_mean.numpy(), rtol=1e-12)
        assert np.allclose(bn.running_var, tbn.running_var.numpy(), rtol=1e-12)
    bn.eval(), tbn.eval()
    x = r.normal(size=(2, 4, 3, 3))
    assert np.allclose(bn(x), tbn(torch.tensor(x)).detach().numpy(), rtol=1e-12, atol=1e-12)
