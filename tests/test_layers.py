"""Every layer: float64 gradient check, closed-form outputs, PyTorch conventions, errors."""
import numpy as np
import pytest

import nnlib
from nnlib import layers
from nnlib.gradcheck import check_module

TOL = 1e-7


def rng():
    return np.random.default_rng(0)


def make_layers():
    r = rng()
    return {
        "Linear": (layers.Linear(4, 3, rng=r), (5, 4)),
        "Linear-nobias": (layers.Linear(4, 3, bias=False, rng=r), (5, 4)),
        "Linear-3d": (layers.Linear(4, 3, rng=r), (2, 5, 4)),
        "ReLU": (layers.ReLU(), (5, 4)),
        "Sigmoid": (layers.Sigmoid(), (5, 4)),
        "Tanh": (layers.Tanh(), (5, 4)),
        "LeakyReLU": (layers.LeakyReLU(0.1), (5, 4)),
        "GELU": (layers.GELU(), (5, 4)),
        "PReLU": (layers.PReLU(), (5, 4)),
        "Flatten": (layers.Flatten(), (2, 3, 4)),
        "MLP": (nnlib.Sequential(layers.Linear(4, 6, rng=r), layers.Tanh(), layers.Linear(6, 2, rng=r)), (5, 4)),
    }


@pytest.mark.parametrize("name", sorted(make_layers()))
def test_gradcheck(name):
    module, shape = make_layers()[name]
    x = rng().standard_normal(shape)
    x[np.abs(x) < 1e-3] = 0.5  # keep away from the ReLU kink, where differences lie
    errors = check_module(module, x)
    assert set(errors) == {"x"} | {n for n, _ in module.named_parameters()}
    assert max(errors.values()) < TOL, errors


def test_linear_shapes_and_formula():
    lin = layers.Linear(4, 3, rng=rng())
    assert lin.W.shape == (3, 4) and lin.b.shape == (3,)
    x = rng().standard_normal((2, 4))
    assert np.allclose(lin(x), x @ lin.W.data.T + lin.b.data)


def test_linear_init_bound_as_torch():
    lin = layers.Linear(100, 50, rng=rng())
    bound = 1 / np.sqrt(100)
    assert np.abs(lin.W.data).max() <= bound and np.abs(lin.b.data).max() <= bound
    # uniform on [-bound, bound] has standard deviation bound/sqrt(3)
    assert lin.W.data.std() == pytest.approx(bound / np.sqrt(3), rel=0.05)


def test_backward_accumulates_parameter_gradients():
    lin = layers.Linear(3, 2, rng=rng())
    x, dout = np.ones((4, 3)), np.ones((4, 2))
    lin(x)
    lin.backward(dout)
    lin.backward(dout)
    assert np.allclose(lin.W.grad, 2 * dout.T @ x)
    assert np.allclose(lin.b.grad, [8.0, 8.0])
    lin.zero_grad()
    assert not lin.W.grad.any()


def test_prelu_has_one_shared_slope():
    p = layers.PReLU(init=0.3)
    assert p.a.shape == (1,)
    assert np.allclose(p(np.array([[-2.0, 2.0]])), [[-0.6, 2.0]])
    p.backward(np.array([[1.0, 1.0]]))
    assert p.a.grad[0] == -2.0  # only the negative input contributes its x


def test_parameters_order_and_modes():
    model = nnlib.Sequential(layers.Linear(2, 3), layers.ReLU(), layers.Linear(3, 1))
    names = [n for n, _ in model.named_parameters()]
    assert names == ["0.W", "0.b", "2.W", "2.b"]
    assert len(model.parameters()) == 4
    model.eval()
    assert not model.training and not model[2].training
    model.train()
    assert model[0].training


def test_shared_parameter_listed_once():
    class Tied(nnlib.Module):
        def __init__(self):
            self.a = layers.Linear(2, 2)
            self.b = self.a
    assert len(Tied().parameters()) == 2


def test_linear_rejects_wrong_feature_count():
    lin = layers.Linear(4, 3)
    with pytest.raises(ValueError, match=r"Linear\(4 → 3\).*\(N, 4\).*\(2, 5\)"):
        lin(np.ones((2, 5)))
    with pytest.raises(ValueError, match=r"Linear.*got shape \(4,\)"):
        lin(np.ones(4))


def test_bad_types_and_order_errors():
    with pytest.raises(TypeError, match="Linear.*numeric"):
        layers.Linear(2, 2)(np.array([["a", "b"]]))
    with pytest.raises(TypeError, match="ReLU"):
        layers.ReLU()("text")
    with pytest.raises(RuntimeError, match="Tanh.backward called before forward"):
        layers.Tanh().backward(np.ones(3))
    relu = layers.ReLU()
    relu(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"ReLU.backward: dout has shape \(3, 2\).*\(2, 3\)"):
        relu.backward(np.ones((3, 2)))
    with pytest.raises(TypeError, match="Sequential takes Modules"):
        nnlib.Sequential(layers.ReLU(), "relu")


def test_integer_input_is_promoted_to_float64():
    out = layers.Linear(2, 1, rng=rng())(np.array([[1, 2]]))
    assert out.dtype == np.float64


def test_embedding_lookup_and_scatter_add():
    emb = layers.Embedding(5, 3, rng=rng())
    idx = np.array([[1, 4], [1, 0]])
    out = emb(idx)
    assert out.shape == (2, 2, 3)
    assert np.array_equal(out[0, 0], emb.W.data[1])
    dout = np.arange(12.0).reshape(2, 2, 3)
    assert emb.backward(dout) is None
    assert np.allclose(emb.W.grad[1], dout[0, 0] + dout[1, 0])  # repeated index adds up
    assert np.allclose(emb.W.grad[4], dout[0, 1]) and not emb.W.grad[[2, 3]].any()


def test_embedding_gradient_numerically():
    from nnlib.gradcheck import numerical_gradient, relative_error
    emb = layers.Embedding(6, 2, rng=rng())
    idx = np.array([0, 3, 3, 5, 0, 0])
    dout = rng().standard_normal((6, 2))
    emb(idx)
    emb.backward(dout)
    numeric = numerical_gradient(lambda _: emb(idx), emb.W.data, dout=dout)
    assert relative_error(emb.W.grad, numeric) < 1e-9


def test_embedding_errors():
    emb = layers.Embedding(4, 2)
    with pytest.raises(TypeError, match=r"Embedding\(4, 2\).*integer"):
        emb(np.array([0.5]))
    with pytest.raises(ValueError, match=r"\[0, 4\).*from 0 to 4"):
        emb(np.array([0, 4]))
