"""Adagrad, Adadelta, RMSprop, Adam, NAdam against their published update equations
(written out plainly here) and, when torch is installed, against torch.optim itself."""
import numpy as np
import pytest

import nnlib
from nnlib import optim
from nnlib.core import Parameter


def run(opt_class, w0, grads, **cfg):
    p = Parameter(w0)
    opt = opt_class([p], **cfg)
    trajectory = []
    for g in grads:
        opt.zero_grad()
        p.grad += g
        opt.step()
        trajectory.append(p.data.copy())
    return trajectory


def ref_adagrad(w, grads, lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10):
    s, out = np.full_like(w, initial_accumulator_value), []
    for t, g in enumerate(grads, start=1):
        g = g + weight_decay * w
        s = s + g ** 2
        w = w - lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(s) + eps)
        out.append(w)
    return out


def ref_adadelta(w, grads, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
    v, u, out = np.zeros_like(w), np.zeros_like(w), []
    for g in grads:
        g = g + weight_decay * w
        v = rho * v + (1 - rho) * g ** 2
        delta = np.sqrt(u + eps) / np.sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta ** 2
        w = w - lr * delta
        out.append(w)
    return out


def ref_rmsprop(w, grads, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
    v, gbar, buf, out = np.zeros_like(w), np.zeros_like(w), np.zeros_like(w), []
    for g in grads:
        g = g + weight_decay * w
        v = alpha * v + (1 - alpha) * g ** 2
        gbar = alpha * gbar + (1 - alpha) * g
        denom = np.sqrt(v - gbar ** 2 if centered else v) + eps
        if momentum > 0:
            buf = momentum * buf + g / denom
            w = w - lr * buf
        else:
            w = w - lr * g / denom
        out.append(w)
    return out


def ref_adam(w, grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    (b1, b2), m, v, out = betas, np.zeros_like(w), np.zeros_like(w), []
    for t, g in enumerate(grads, start=1):
        g = g + weight_decay * w
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g ** 2
        m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
        w = w - lr * m_hat / (np.sqrt(v_hat) + eps)
        out.append(w)
    return out


def ref_nadam(w, grads, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=4e-3):
    (b1, b2), m, v, prod, out = betas, np.zeros_like(w), np.zeros_like(w), 1.0, []
    for t, g in enumerate(grads, start=1):
        g = g + weight_decay * w
        mu_t = b1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
        mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
        prod *= mu_t
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g ** 2
        v_hat = v / (1 - b2 ** t)
        w = w - lr * ((1 - mu_t) / (1 - prod) * g + mu_next / (1 - prod * mu_next) * m) / (np.sqrt(v_hat) + eps)
        out.append(w)
    return out


CASES = [
    (optim.Adagrad, ref_adagrad, {}),
    (optim.Adagrad, ref_adagrad, dict(lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.5)),
    (optim.Adadelta, ref_adadelta, {}),
    (optim.Adadelta, ref_adadelta, dict(lr=0.5, rho=0.8, weight_decay=0.05)),
    (optim.RMSprop, ref_rmsprop, {}),
    (optim.RMSprop, ref_rmsprop, dict(lr=0.01, momentum=0.9, centered=True, weight_decay=0.01)),
    (optim.Adam, ref_adam, {}),
    (optim.Adam, ref_adam, dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    (optim.NAdam, ref_nadam, {}),
    (optim.NAdam, ref_nadam, dict(lr=0.01, betas=(0.85, 0.99), weight_decay=0.05, momentum_decay=0.01)),
]


def problem(seed=0, steps=8):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((3, 4)), [rng.standard_normal((3, 4)) for _ in range(steps)]


@pytest.mark.parametrize("opt_class,reference,cfg", CASES, ids=lambda c: getattr(c, "__name__", str(c)))
def test_matches_published_equations(opt_class, reference, cfg):
    w0, grads = problem()
    ours = run(opt_class, w0, grads, **cfg)
    expected = reference(w0, grads, **cfg)
    for step, (a, b) in enumerate(zip(ours, expected)):
        assert np.allclose(a, b, rtol=1e-12, atol=1e-14), f"step {step + 1}"


def test_adam_first_step_is_lr_times_sign():
    # bias correction makes the first Adam step ≈ lr · sign(g) whatever the gradient's size
    w0 = np.zeros(3)
    (w1,) = run(optim.Adam, w0, [np.array([1e-3, -5.0, 200.0])], lr=0.1)
    assert np.allclose(w1, [-0.1, 0.1, -0.1], atol=1e-6)


def test_adagrad_first_step_closed_form():
    (w1,) = run(optim.Adagrad, np.array([1.0]), [np.array([4.0])], lr=0.5)
    assert w1[0] == pytest.approx(1.0 - 0.5 * 4 / (4 + 1e-10))


@pytest.mark.parametrize("opt_class,reference,cfg", CASES, ids=lambda c: getattr(c, "__name__", str(c)))
def test_matches_torch_if_installed(opt_class, reference, cfg):
    torch = pytest.importorskip("torch")
    w0, grads = problem(seed=1)
    ours = run(opt_class, w0, grads, **cfg)
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # NAdam keeps its μ product in the default dtype
    try:
        tw = torch.tensor(w0, requires_grad=True)
        topt = getattr(torch.optim, opt_class.__name__)([tw], **cfg)
        for step, g in enumerate(grads):
            tw.grad = torch.tensor(g)
            topt.step()
            assert np.allclose(ours[step], tw.detach().numpy(), rtol=1e-12, atol=1e-14), f"step {step + 1}"
    finally:
        torch.set_default_dtype(old)


def test_sparse_adam_touches_only_used_rows():
    from nnlib.optim import SparseAdam

    table = nnlib.Parameter(np.arange(12.0).reshape(4, 3))
    opt = SparseAdam([table], lr=0.1)
    table.grad[1] = [1.0, -2.0, 0.0]
    before = table.data.copy()
    opt.step()
    assert np.array_equal(table.data[[0, 2, 3]], before[[0, 2, 3]])  # unused rows: value and moments stay
    assert np.allclose(table.data[1], before[1] - 0.1 * np.array([1.0, -1.0, 0.0]), atol=1e-7)  # first step: lr·sign
    assert not opt.state[0]["exp_avg"][[0, 2, 3]].any()
    opt.zero_grad()
    opt.step()  # no row used: nothing moves, but the step count advances as torch's does
    assert opt.state[0]["step"] == 2


@pytest.mark.parametrize("sparse", [False, True])
def test_sparse_adam_equals_torch_on_embedding_rows(sparse):
    torch = pytest.importorskip("torch")
    from nnlib.optim import SparseAdam

    r = np.random.default_rng(4)
    emb = nnlib.Embedding(20, 5, rng=r, sparse=sparse)
    temb = torch.nn.Embedding(20, 5, sparse=True).double()
    with torch.no_grad():
        temb.weight.copy_(torch.tensor(emb.W.data))
    opt = SparseAdam([emb.W], lr=0.01, betas=(0.8, 0.99))
    topt = torch.optim.SparseAdam(list(temb.parameters()), lr=0.01, betas=(0.8, 0.99))
    idx = None
    for step in range(12):
        if sparse and step % 3 == 2:
            # a used row with a zero gradient (and moments from the step before): torch's sparse
            # gradient lists it, so its moments decay and it moves
            row = idx[0, 0]
            idx = r.integers(0, 20, (6, 3))
            idx[idx == row] = (row + 1) % 20
            idx[0, 0] = row
            dout = r.standard_normal((6, 3, 5))
            dout[0, 0] = 0.0
        else:
            idx = r.integers(0, 20, (6, 3))
            dout = r.standard_normal((6, 3, 5))
        opt.zero_grad()
        emb(idx)
        emb.backward(dout)
        opt.step()
        topt.zero_grad()
        temb(torch.tensor(idx)).backward(torch.tensor(dout))
        topt.step()
        assert np.allclose(emb.W.data, temb.weight.detach().numpy(), rtol=1e-12, atol=1e-14)
