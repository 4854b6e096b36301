"""SGD against torch.optim.SGD's update rule, written out by hand step after step."""
import numpy as np
import pytest

from nnlib.core import Parameter
from nnlib.optim import SGD


def reference_sgd(w, grads, lr, momentum=0.0, nesterov=False, weight_decay=0.0, dampening=0.0):
    """torch.optim.SGD's documented algorithm for a sequence of gradients."""
    buf = None
    for g in grads:
        g = g + weight_decay * w
        if momentum:
            buf = g.copy() if buf is None else momentum * buf + (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        w = w - lr * g
    return w


CONFIGS = [
    dict(lr=0.1),
    dict(lr=0.1, momentum=0.9),
    dict(lr=0.05, momentum=0.9, nesterov=True),
    dict(lr=0.1, momentum=0.5, dampening=0.3, weight_decay=0.01),
    dict(lr=0.02, momentum=0.8, nesterov=True, weight_decay=0.1),
]


@pytest.mark.parametrize("cfg", CONFIGS, ids=str)
def test_sgd_matches_reference(cfg):
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((3, 2))
    grads = [rng.standard_normal((3, 2)) for _ in range(5)]
    p = Parameter(w0)
    opt = SGD([p], **cfg)
    for g in grads:
        opt.zero_grad()
        p.grad += g
        opt.step()
    assert np.allclose(p.data, reference_sgd(w0, grads, **cfg), rtol=0, atol=1e-15)


def test_sgd_two_steps_by_hand():
    # w=1, g=1 each step, lr=0.1, momentum=0.9: buf=1 then 1.9 -> w = 1 - 0.1 - 0.19
    p = Parameter([1.0])
    opt = SGD([p], lr=0.1, momentum=0.9)
    for _ in range(2):
        p.grad[:] = 1.0
        opt.step()
    assert p.data[0] == pytest.approx(0.71)


def test_sgd_matches_torch_if_installed():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    w0 = rng.standard_normal(4)
    grads = [rng.standard_normal(4) for _ in range(4)]
    cfg = dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)
    tw = torch.tensor(w0, requires_grad=True)
    topt = torch.optim.SGD([tw], **cfg)
    p = Parameter(w0)
    opt = SGD([p], **cfg)
    for g in grads:
        tw.grad = torch.tensor(g)
        topt.step()
        p.grad[:] = g
        opt.step()
    assert np.allclose(p.data, tw.detach().numpy(), atol=1e-14)


def test_sgd_errors():
    with pytest.raises(ValueError, match="empty parameter list"):
        SGD([], lr=0.1)
    with pytest.raises(ValueError, match="Nesterov"):
        SGD([Parameter([1.0])], lr=0.1, nesterov=True)
