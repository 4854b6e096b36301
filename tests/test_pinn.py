"""nnlib.pinn: TanhMLP's input derivatives against closed forms and finite differences in x, its
weight gradients for a loss on (u, u', u'') against finite differences (float64), the RBF
collocation basis and solver against closed forms, the oscillator solution against its ODE."""
import math

import numpy as np
import pytest

from nnlib import Linear, Sequential, Tanh
from nnlib.gradcheck import numerical_gradient, relative_error
from nnlib.pinn import RBFCollocation, TanhMLP, damped_oscillator

TOL = 1e-7


def rng():
    return np.random.default_rng(0)


def as_sequential(net):
    """The same weights in nnlib.Sequential(Linear, Tanh, ..., Linear): the reference forward."""
    mods = []
    for layer in net.layers:
        lin = Linear(layer.in_features, layer.out_features, rng=rng())
        lin.W.data[...], lin.b.data[...] = layer.W.data, layer.b.data
        mods += [lin, Tanh()]
    return Sequential(*mods[:-1])


def test_forward_equals_sequential_of_linear_and_tanh():
    net = TanhMLP((3, 7, 5, 2), rng=rng())
    x = rng().standard_normal((6, 3))
    assert relative_error(net(x), as_sequential(net)(x)) < 1e-15


def test_one_unit_closed_form():
    # u = v tanh(w x + c) + d:  u' = v w (1 − t²),  u'' = −2 v w² t (1 − t²)
    net = TanhMLP((1, 1, 1), rng=rng())
    w, c, v, d = 1.3, -0.4, 0.7, 0.2
    net.layers[0].W.data[...] = w
    net.layers[0].b.data[...] = c
    net.layers[1].W.data[...] = v
    net.layers[1].b.data[...] = d
    x = np.linspace(-2, 2, 9)[:, None]
    t = np.tanh(w * x + c)
    u, du, d2u = net.forward_with_derivatives(x)
    assert np.allclose(u, v * t + d, rtol=0, atol=1e-15)
    assert np.allclose(du, v * w * (1 - t ** 2), rtol=0, atol=1e-15)
    assert np.allclose(d2u, -2 * v * w ** 2 * t * (1 - t ** 2), rtol=0, atol=1e-15)


@pytest.mark.parametrize("sizes, dim", [((1, 8, 8, 1), 0), ((2, 6, 5, 3), 0), ((2, 6, 5, 3), 1),
                                        ((1, 4, 4, 4, 1), 0)])
def test_input_derivatives_match_finite_differences_in_x(sizes, dim):
    net = TanhMLP(sizes, rng=rng())
    x = rng().standard_normal((7, sizes[0]))
    u, du, d2u = net.forward_with_derivatives(x, dim)
    h = 1e-5
    e = np.zeros(sizes[0])
    e[dim] = h
    du_fd = (net(x + e) - net(x - e)) / (2 * h)
    # d2u from central differences of the (exact) first derivative: error O(h²) + O(ε/h)
    d2u_fd = (net.forward_with_derivatives(x + e, dim)[1] - net.forward_with_derivatives(x - e, dim)[1]) / (2 * h)
    assert relative_error(du, du_fd) < TOL
    assert relative_error(d2u, d2u_fd) < TOL


@pytest.mark.parametrize("sizes, dim", [((1, 6, 5, 1), 0), ((2, 5, 4, 2), 1), ((1, 3, 1), 0)])
def test_weight_and_input_gradients_of_a_loss_on_u_du_d2u(sizes, dim):
    net = TanhMLP(sizes, rng=rng())
    r = np.random.default_rng(1)
    x = r.standard_normal((5, sizes[0]))
    g = [r.standard_normal((5, sizes[-1])) for _ in range(3)]

    def loss(_):
        u, du, d2u = net.forward_with_derivatives(x, dim)
        return np.sum(g[0] * u + g[1] * du + g[2] * d2u)

    net.zero_grad()
    net.forward_with_derivatives(x, dim)
    dx = net.backward(*g)
    for name, p in net.named_parameters():
        assert relative_error(p.grad, numerical_gradient(loss, p.data)) < TOL, name
    assert relative_error(dx, numerical_gradient(loss, x)) < TOL


def test_squared_residual_loss_gradient():
    # the loss the chapter trains: mean((u'' − f)²) + (u(0)² + u(1)²), two forward/backward calls
    net = TanhMLP((1, 6, 6, 1), rng=rng())
    x = np.linspace(0.05, 0.95, 9)[:, None]
    xb = np.array([[0.0], [1.0]])
    f = -math.pi ** 2 * np.sin(math.pi * x)

    def loss(_):
        r = net.forward_with_derivatives(x)[2] - f
        return np.mean(r ** 2) + np.sum(net(xb) ** 2)

    net.zero_grad()
    r = net.forward_with_derivatives(x)[2] - f
    net.backward(None, None, 2 * r / r.size)
    ub = net(xb)
    net.backward(2 * ub)
    for name, p in net.named_parameters():
        assert relative_error(p.grad, numerical_gradient(loss, p.data)) < TOL, name


def test_backward_of_u_alone_equals_sequential_backward():
    net = TanhMLP((2, 5, 3), rng=rng())
    seq = as_sequential(net)
    x = rng().standard_normal((4, 2))
    dout = rng().standard_normal((4, 3))
    net.zero_grad()
    net(x)
    dx = net.backward(dout)
    seq.zero_grad()
    seq(x)
    dx_seq = seq.backward(dout)
    assert relative_error(dx, dx_seq) < 1e-14
    for layer, ref in zip(net.layers, seq.layers[::2]):
        assert relative_error(layer.W.grad, ref.W.grad) < 1e-14
        assert relative_error(layer.b.grad, ref.b.grad) < 1e-14


def test_gradients_accumulate():
    net = TanhMLP((1, 4, 1), rng=rng())
    x = rng().standard_normal((3, 1))
    g = np.ones((3, 1))
    net.zero_grad()
    net.forward_with_derivatives(x)
    net.backward(g, g, g)
    once = net.layers[0].W.grad.copy()
    net.forward_with_derivatives(x)
    net.backward(g, g, g)
    assert np.allclose(net.layers[0].W.grad, 2 * once, rtol=1e-15, atol=0)


def test_xavier_init_and_zero_bias():
    net = TanhMLP((1, 400, 300, 1), rng=rng())
    W = net.layers[1].W.data
    assert abs(W.std() - math.sqrt(2 / 700)) < 0.02 * math.sqrt(2 / 700)
    assert all(np.all(layer.b.data == 0) for layer in net.layers)


def test_errors_name_the_class_and_shapes():
    net = TanhMLP((2, 4, 1), rng=rng())
    with pytest.raises(ValueError, match=r"TanhMLP\(sizes=2-4-1\).*\(N, 2\).*\(3, 3\)"):
        net(np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"TanhMLP\(sizes=2-4-1\): dim"):
        net.forward_with_derivatives(np.zeros((3, 2)), dim=2)
    with pytest.raises(RuntimeError, match="TanhMLP.backward called before forward"):
        TanhMLP((1, 2, 1), rng=rng()).backward(np.zeros((1, 1)))
    net(np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"TanhMLP\(sizes=2-4-1\)\.backward: dout has shape \(2, 1\).*\(3, 1\)"):
        net.backward(np.zeros((2, 1)))
    with pytest.raises(ValueError, match="TanhMLP needs sizes"):
        TanhMLP((3,))


# ------------------------------------------------------------------------------ RBF

@pytest.mark.parametrize("kind", RBFCollocation.KINDS)
def test_rbf_second_derivative_matches_finite_differences(kind):
    m = RBFCollocation(np.linspace(0, 1, 5), eps=2.5, kind=kind)
    x = np.linspace(-0.1, 1.1, 13)
    h = 1e-4
    fd = (m.basis(x + h) - 2 * m.basis(x) + m.basis(x - h)) / h ** 2
    assert relative_error(m.basis_xx(x), fd) < 1e-6  # second difference: rounding ~ ε/h² ≈ 1e-8


def test_rbf_closed_forms_at_the_centre():
    # at r = 0: Gaussian φ = 1, φ'' = −2ε²; multiquadric φ = 1, φ'' = ε²
    for kind, d2 in (("gaussian", -2 * 3.0 ** 2), ("multiquadric", 3.0 ** 2)):
        m = RBFCollocation([0.4], eps=3.0, kind=kind)
        assert m.basis([0.4])[0, 0] == 1.0
        assert abs(m.basis_xx([0.4])[0, 0] - d2) < 1e-13


@pytest.mark.parametrize("kind", RBFCollocation.KINDS)
def test_kansa_recovers_a_function_in_its_own_span(kind):
    # u* = Σ w*_j φ_j is reproduced exactly: the square collocation system has the solution w*
    x = np.linspace(0, 1, 8)
    m = RBFCollocation(x, eps=6.0, kind=kind)
    w_star = np.random.default_rng(3).standard_normal(8)
    f = m.basis_xx(x[1:-1]) @ w_star
    g = m.basis(x[[0, -1]]) @ w_star
    A = m.fit_poisson(x[1:-1], f, x[[0, -1]], g)
    assert A.shape == (8, 8)
    assert relative_error(m.w, w_star) < 1e-10


@pytest.mark.parametrize("kind, M, eps, tol", [("gaussian", 20, 4.0, 5e-5), ("multiquadric", 40, 4.0, 1e-5)])
def test_kansa_solves_the_poisson_problem(kind, M, eps, tol):
    # u'' = −π² sin(πx), u(0) = u(1) = 0 has u = sin(πx); shape parameters where cond(A) < 1e13
    x = np.linspace(0, 1, M)
    m = RBFCollocation(x, eps=eps, kind=kind)
    A = m.fit_poisson(x[1:-1], -math.pi ** 2 * np.sin(math.pi * x[1:-1]), x[[0, -1]], [0.0, 0.0])
    assert np.linalg.cond(A) < 1e13
    xt = np.linspace(0, 1, 201)
    assert np.max(np.abs(m(xt) - np.sin(math.pi * xt))) < tol


def test_rbf_errors():
    with pytest.raises(ValueError, match="RBFCollocation: kind"):
        RBFCollocation([0.0], 1.0, kind="cubic")
    with pytest.raises(ValueError, match="RBFCollocation: the shape parameter"):
        RBFCollocation([0.0], 0.0)
    with pytest.raises(RuntimeError, match="before fit_poisson"):
        RBFCollocation([0.0], 1.0)([0.5])
    with pytest.raises(ValueError, match="3 collocation points but 2"):
        RBFCollocation([0.0, 0.5, 1.0], 1.0).fit_poisson([0.5], [1.0], [0.0, 1.0], [0.0])


# ------------------------------------------------------------------------ oscillator

@pytest.mark.parametrize("zeta, u0, v0", [(0.0, 1.0, 0.0), (0.2, 1.0, 0.0), (0.7, -0.5, 2.0)])
def test_damped_oscillator_solves_its_ode(zeta, u0, v0):
    omega, h = 5.0, 1e-4
    t = np.linspace(0.1, 2.0, 20)
    u = lambda s: damped_oscillator(s, omega, zeta, u0, v0)  # noqa: E731
    du = (u(t + h) - u(t - h)) / (2 * h)
    d2u = (u(t + h) - 2 * u(t) + u(t - h)) / h ** 2
    assert np.max(np.abs(d2u + 2 * zeta * omega * du + omega ** 2 * u(t))) < 1e-4 * omega ** 2
    assert abs(u(0.0) - u0) < 1e-15
    assert abs((u(h) - u(-h)) / (2 * h) - v0) < 1e-6
    with pytest.raises(ValueError, match="0 ≤ zeta < 1"):
        damped_oscillator(t, omega, 1.0)
