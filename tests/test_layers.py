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
    with pytest.raises(ValueError, match=r"Linear\(in_features=4, out_features=3, bias=True\).*\(N, 4\).*\(2, 5\)"):
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


def test_sparse_embedding_records_rows_and_zero_grad_clears_only_them():
    dense, sparse = layers.Embedding(7, 3, rng=rng()), layers.Embedding(7, 3, rng=rng(), sparse=True)
    assert dense.W.grad_rows is None and repr(sparse) == "Embedding(7, 3, sparse=True)"
    dout = rng().standard_normal((2, 3, 3))
    for idx in (np.array([[5, 1, 5], [0, 1, 1]]), np.array([[2, 2, 2], [6, 0, 0]])):
        for emb in (dense, sparse):
            emb(idx)
            emb.backward(dout)
    assert np.array_equal(dense.W.grad, sparse.W.grad)  # the same gradient, accumulated
    assert sparse.W.grad_rows.tolist() == [0, 1, 2, 5, 6]
    sparse.W.grad[3] = 1.0  # not a recorded row: zero_grad leaves it (a sparse gradient never writes there)
    sparse.zero_grad()
    assert sparse.W.grad_rows.tolist() == [] and sparse.W.grad.sum() == 3.0


def test_embedding_errors():
    emb = layers.Embedding(4, 2)
    with pytest.raises(TypeError, match=r"Embedding\(4, 2\).*integer"):
        emb(np.array([0.5]))
    with pytest.raises(ValueError, match=r"\[0, 4\).*from 0 to 4"):
        emb(np.array([0, 4]))


def test_num_parameters_counts_every_scalar_once():
    shared = layers.Linear(4, 4, rng=rng())
    net = nnlib.Sequential(layers.Linear(3, 4, rng=rng()), layers.ReLU(), shared, shared)
    assert net.num_parameters() == (3 * 4 + 4) + (4 * 4 + 4)
    assert layers.ReLU().num_parameters() == 0
    assert nnlib.Conv2d(3, 8, 5).num_parameters() == 8 * 3 * 5 * 5 + 8


def test_residual_adds_the_skip_path():
    r = rng()
    body = [layers.Linear(4, 4, rng=r), layers.Tanh(), layers.Linear(4, 4, rng=r)]
    block = layers.Residual(*body)
    x = r.standard_normal((5, 4))
    assert np.allclose(block(x), nnlib.Sequential(*body)(x) + x)
    assert block.parameters() == [p for m in body for p in m.parameters()]
    projected = layers.Residual(layers.Linear(4, 6, rng=r), shortcut=layers.Linear(4, 6, bias=False, rng=r))
    assert [n for n, _ in projected.named_parameters()] == ["body.0.W", "body.0.b", "shortcut.W"]
    for module in (block, projected):
        errors = check_module(module, x)
        assert max(errors.values()) < TOL, errors


def test_residual_conv_block_gradcheck_and_shape_error():
    r = rng()
    # no bias before batch norm: BN subtracts it again, so its gradient is exactly 0 (0/0 for the checker)
    block = layers.Residual(nnlib.Conv2d(2, 2, 3, padding=1, bias=False, rng=r), layers.BatchNorm2d(2), layers.ReLU(),
                            nnlib.Conv2d(2, 2, 3, padding=1, rng=r))
    errors = check_module(block, r.standard_normal((2, 2, 4, 4)))
    assert max(errors.values()) < TOL, errors
    with pytest.raises(ValueError, match=r"Residual: the body maps \(5, 4\) to \(5, 6\) but the shortcut gives \(5, 4\)"):
        layers.Residual(layers.Linear(4, 6, rng=r))(np.ones((5, 4)))
    with pytest.raises(TypeError, match="Residual takes Modules"):
        layers.Residual(lambda x: x)


def test_residual_against_torch():
    torch = pytest.importorskip("torch")
    r = rng()
    lin1, lin2, proj = layers.Linear(4, 6, rng=r), layers.Linear(6, 6, rng=r), layers.Linear(4, 6, rng=r)
    block = layers.Residual(lin1, layers.ReLU(), lin2, shortcut=proj)
    x, dout = r.standard_normal((5, 4)), r.standard_normal((5, 6))
    y, dx = block(x), block.backward(dout)
    tx = torch.tensor(x, requires_grad=True)
    tw = [torch.tensor(a, requires_grad=True) for a in (lin1.W.data, lin1.b.data, lin2.W.data, lin2.b.data,
                                                         proj.W.data, proj.b.data)]
    tF = torch.nn.functional
    ty = tF.linear(tF.relu(tF.linear(tx, tw[0], tw[1])), tw[2], tw[3]) + tF.linear(tx, tw[4], tw[5])
    ty.backward(torch.tensor(dout))
    assert np.allclose(y, ty.detach().numpy(), rtol=1e-12)
    assert np.allclose(dx, tx.grad.numpy(), rtol=1e-12)
    for p, t in zip(block.parameters(), tw):
        assert np.allclose(p.grad, t.grad.numpy(), rtol=1e-12)
