"""Activations, their derivatives and the stable softmax family."""
import math
import warnings

import numpy as np
import pytest

from nnlib import functional as F
from nnlib.gradcheck import numerical_gradient, relative_error

X = np.array([-3.0, -1.2, -0.3, 0.4, 1.1, 2.5])  # avoids the kink at 0


@pytest.mark.parametrize("name", sorted(F.ACTIVATIONS))
def test_derivative_matches_finite_differences(name):
    f, df = F.ACTIVATIONS[name]
    numeric = numerical_gradient(lambda x: f(x), X.copy(), dout=np.ones_like(X))
    assert relative_error(df(X), numeric) < 1e-9


def test_closed_forms():
    assert F.sigmoid(0.0) == 0.5
    assert np.allclose(F.tanh(X), np.tanh(X))
    assert np.allclose(F.relu(X), [0, 0, 0, 0.4, 1.1, 2.5])
    assert np.allclose(F.leaky_relu(X, 0.1), [-0.3, -0.12, -0.03, 0.4, 1.1, 2.5])
    assert np.allclose(F.prelu(X), np.where(X > 0, X, 0.25 * X))
    # GELU(1) = Φ(1) = 0.8413447460685429 (tabulated normal CDF)
    assert F.gelu(1.0) == pytest.approx(0.8413447460685429, abs=1e-15)
    assert F.gelu(-1.0) == pytest.approx(-0.15865525393145707, abs=1e-15)


def test_kinks_follow_pytorch():
    assert F.relu_grad(0.0) == 0.0
    assert F.leaky_relu_grad(0.0, 0.2) == 0.2


def test_sigmoid_stable_at_extremes():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = F.sigmoid(np.array([-1000.0, 1000.0]))
        g = F.sigmoid_grad(np.array([-1000.0, 1000.0]))
    assert s.tolist() == [0.0, 1.0]
    assert g.tolist() == [0.0, 0.0]
    assert F.sigmoid(-30.0) == pytest.approx(math.exp(-30.0) / (1 + math.exp(-30.0)), rel=1e-14)


def test_softmax_and_log_softmax_stable():
    x = np.array([[1000.0, 0.0, -1000.0], [1.0, 2.0, 3.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p, logp = F.softmax(x), F.log_softmax(x)
    assert np.allclose(p.sum(axis=1), 1.0)
    assert np.allclose(p[0], [1.0, 0.0, 0.0])
    assert logp[0].tolist() == [0.0, -1000.0, -2000.0]
    e = np.exp([1.0, 2.0, 3.0])
    assert np.allclose(p[1], e / e.sum())
    assert np.allclose(logp[1], np.log(e / e.sum()))
    assert np.allclose(F.softmax(x.T, axis=0), p.T)


def test_erf_and_erfc_match_the_standard_library_to_a_few_ulp():
    import math

    from nnlib.functional import erf, erfc

    x = np.concatenate([np.linspace(-30, 30, 60001), [0.0, 0.46875, -0.46875, 4.0, -4.0, 1e-300, 5e-9]])
    ref_erf = np.array([math.erf(v) for v in x])
    ref_erfc = np.array([math.erfc(v) for v in x])
    assert np.all(np.abs(erf(x) - ref_erf) <= 8e-16 * np.abs(ref_erf) + 1e-320)
    tiny = ref_erfc > 1e-300  # relative accuracy down to the underflow region
    assert np.all(np.abs(erfc(x)[tiny] - ref_erfc[tiny]) <= 2e-15 * ref_erfc[tiny])
    assert erfc(np.array([27.5, 40.0, np.inf]))[0] < 1e-300 and list(erfc(np.array([40.0, -np.inf]))) == [0.0, 2.0]
    assert erf(np.array([np.inf, -np.inf])).tolist() == [1.0, -1.0] and np.isnan(erf(np.array([np.nan]))[0])


def test_gelu_is_exact_in_the_far_left_tail_and_matches_torch():
    import math

    x = np.linspace(-37, 10, 47001)
    exact = np.array([v * 0.5 * math.erfc(-v / math.sqrt(2.0)) for v in x])  # x Φ(x) without cancellation
    assert np.all(np.abs(F.gelu(x) - exact) <= 2e-15 * np.abs(exact))
    torch = pytest.importorskip("torch")
    theirs = torch.nn.functional.gelu(torch.tensor(x)).numpy()
    # torch forms x·(1 + erf(x/√2))/2, whose 1 + erf loses digits as x → −∞: allow its own rounding
    own_rounding = 2 * np.finfo(float).eps * 0.5 * np.abs(x)
    assert np.all(np.abs(F.gelu(x) - theirs) <= 1e-14 * np.abs(theirs) + own_rounding)
    tx = torch.tensor(x, requires_grad=True)
    torch.nn.functional.gelu(tx).sum().backward()
    assert np.allclose(F.gelu_grad(x), tx.grad.numpy(), rtol=1e-13, atol=4 * np.finfo(float).eps)
