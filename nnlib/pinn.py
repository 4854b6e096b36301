"""Physics-informed networks: a tanh MLP that returns u, du/dx and d²u/dx² exactly (forward-mode
derivative propagation) and backpropagates a loss on all three to its weights; and the RBF
(Kansa) collocation method that PINNs grew out of.  Chapter: "Physics-informed neural networks".
"""
import math

import numpy as np

from . import init
from .core import Module, as_float_array, cached, check_last_dim, check_same_shape
from .layers import Linear


class TanhMLP(Module):
    """u = L_K(tanh(L_{K-1}(... tanh(L_1(x))))), with input derivatives carried alongside.

    sizes: (in_features, hidden_1, ..., out_features), e.g. (1, 20, 20, 1).  The layers are
    ``nnlib.Linear`` modules in ``self.layers`` (W (out, in), b (out,)), initialised Xavier-normal
    with zero biases, the usual PINN choice.  Shapes: x (N, in_features) → u (N, out_features).

    ``forward_with_derivatives(x, dim)`` returns (u, du, d2u), each (N, out_features), where
    du = ∂u/∂x_dim and d2u = ∂²u/∂x_dim², exact to rounding (no finite differences).
    ``backward(du_out, ddu_out, dd2u_out)`` takes the gradients of a scalar loss with respect to
    those three outputs, adds the weight gradients into the Parameters and returns dL/dx (N, in).
    ``forward(x)`` is ``forward_with_derivatives(x)[0]``, so ``backward(dout)`` alone (the other
    two gradients default to zero) is ordinary backpropagation.
    """

    def __init__(self, sizes, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        sizes = tuple(int(s) for s in sizes)
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"TanhMLP needs sizes (in, hidden..., out) with every size ≥ 1, got {sizes}")
        self.sizes = sizes
        self.layers = [Linear(m, n, rng=rng) for m, n in zip(sizes[:-1], sizes[1:])]
        for layer in self.layers:
            layer.W.data[...] = init.xavier_normal(layer.W.shape, rng)
            layer.b.data[...] = 0.0
        self.cache = None

    def extra_repr(self):
        return "sizes=" + "-".join(map(str, self.sizes))

    def forward(self, x):
        return self.forward_with_derivatives(x)[0]

    def forward_with_derivatives(self, x, dim=0):
        """x (N, in) → (u, du, d2u), each (N, out): u and its first and second derivative with
        respect to input coordinate ``dim``.

        Each layer maps the triple (a, a', a'') to the next one:
          linear:  z = a W^T + b,  z' = a' W^T,  z'' = a'' W^T   (the bias is a constant);
          tanh:    a = tanh z,  a' = (1 − a²) z',  a'' = −2a(1 − a²) z'² + (1 − a²) z''.
        The input starts the chain with x' = e_dim (a one-hot row) and x'' = 0.
        """
        x = as_float_array(x, self._name())
        check_last_dim(x, self.sizes[0], self._name())
        if not 0 <= dim < self.sizes[0]:
            raise ValueError(f"{self._name()}: dim must lie in [0, {self.sizes[0]}), got {dim}")
        a = x
        da = np.zeros_like(x)
        da[..., dim] = 1.0
        d2a = np.zeros_like(x)
        inputs, slopes = [], []  # per layer: (a, a', a'') it received, and its (z', z'') for backward
        for i, layer in enumerate(self.layers):
            W, b = layer.W.data, layer.b.data
            inputs.append((a, da, d2a))
            z, dz, d2z = a @ W.T + b, da @ W.T, d2a @ W.T
            slopes.append((dz, d2z))
            if i == len(self.layers) - 1:  # the output layer is linear
                a, da, d2a = z, dz, d2z
                break
            a = np.tanh(z)
            s = 1.0 - a * a  # tanh'(z), written through the output
            da, d2a = s * dz, -2.0 * a * s * dz * dz + s * d2z
        self.cache = (inputs, slopes, x.shape)
        return a, da, d2a

    def backward(self, du_out, ddu_out=None, dd2u_out=None):
        """Gradients of a scalar loss L w.r.t. u, du, d2u (each (N, out), None = 0) → dL/dx
        (N, in); adds dL/dW and dL/db of every layer into ``.grad``.

        Reverse of ``forward_with_derivatives``, one layer at a time (g, g', g'' are the
        gradients arriving at z, z', z''):
          linear:  dW += g^T a + g'^T a' + g''^T a'',  db += Σ g,
                   (ga, ga', ga'') = (g W, g' W, g'' W);
          tanh (s = 1 − a²):
                   g   = ga s − 2 ga' a s z' − ga'' (2 s (1 − 3a²) z'² + 2 a s z''),
                   g'  = ga' s − 4 ga'' a s z',
                   g'' = ga'' s.
        At the input x' and x'' are constants, so dL/dx is the gradient arriving at a.
        """
        inputs, slopes, x_shape = cached(self)
        out_shape = x_shape[:-1] + (self.sizes[-1],)
        grads = []
        for g in (du_out, ddu_out, dd2u_out):
            g = np.zeros(out_shape) if g is None else np.asarray(g, dtype=np.float64)
            check_same_shape(g, out_shape, self._name())
            grads.append(g)
        g, g1, g2 = grads
        for i in range(len(self.layers) - 1, -1, -1):
            layer = self.layers[i]
            a, da, d2a = inputs[i]
            W = layer.W.data
            layer.W.grad += _flat(g).T @ _flat(a) + _flat(g1).T @ _flat(da) + _flat(g2).T @ _flat(d2a)
            layer.b.grad += _flat(g).sum(axis=0)
            ga, ga1, ga2 = g @ W, g1 @ W, g2 @ W
            if i == 0:
                return ga
            # through the tanh that made this layer's input a from z of layer i − 1
            dz, d2z = slopes[i - 1]
            s = 1.0 - a * a
            g = ga * s - 2.0 * ga1 * a * s * dz - ga2 * (2.0 * s * (1.0 - 3.0 * a * a) * dz * dz
                                                       + 2.0 * a * s * d2z)
            g1 = ga1 * s - 4.0 * ga2 * a * s * dz
            g2 = ga2 * s
        return None  # unreachable: the loop returns at i == 0


def _flat(arr):
    return arr.reshape(-1, arr.shape[-1])


# ------------------------------------------------------------------ RBF (Kansa) collocation

class RBFCollocation:
    """Kansa's meshless method in one dimension: u(x) = Σ_j w_j φ(|x − c_j|) with a radial basis
    function φ of shape parameter ``eps``, the weights found from a linear system that makes the
    differential equation hold at interior collocation points and the boundary condition at
    boundary points.

    kind "gaussian":      φ(r) = exp(−(ε r)²),      φ_xx = (4ε⁴ r² − 2ε²) φ;
    kind "multiquadric":  φ(r) = sqrt(1 + (ε r)²),  φ_xx = ε² / φ³.
    centers: (M,) points c_j.  ``basis(x)`` and ``basis_xx(x)`` return the (N, M) matrices
    φ(|x_i − c_j|) and d²/dx² of it; ``fit_poisson`` solves u'' = f inside, u = g on the boundary.
    """

    KINDS = ("gaussian", "multiquadric")

    def __init__(self, centers, eps, kind="gaussian"):
        if kind not in self.KINDS:
            raise ValueError(f"RBFCollocation: kind must be one of {self.KINDS}, got {kind!r}")
        if eps <= 0:
            raise ValueError(f"RBFCollocation: the shape parameter eps must be > 0, got {eps}")
        self.centers = np.asarray(centers, dtype=np.float64).reshape(-1)
        self.eps, self.kind = float(eps), kind
        self.w = None

    def _r(self, x):
        return np.asarray(x, dtype=np.float64).reshape(-1)[:, None] - self.centers[None, :]

    def basis(self, x):
        """x (N,) → Φ (N, M) with Φ_ij = φ(|x_i − c_j|)."""
        r2 = (self.eps * self._r(x)) ** 2
        return np.exp(-r2) if self.kind == "gaussian" else np.sqrt(1.0 + r2)

    def basis_xx(self, x):
        """x (N,) → (N, M): the second x-derivative of Φ_ij."""
        d = self._r(x)
        e2 = self.eps ** 2
        if self.kind == "gaussian":
            return (4.0 * e2 * e2 * d * d - 2.0 * e2) * np.exp(-e2 * d * d)
        return e2 / (1.0 + e2 * d * d) ** 1.5

    def fit_poisson(self, x_interior, f, x_boundary, g):
        """Solve for w so that Σ_j w_j φ_xx(x_i) = f(x_i) at the interior points and
        Σ_j w_j φ(x_b) = g(x_b) at the boundary points.

        x_interior (Ni,), f (Ni,) values; x_boundary (Nb,), g (Nb,) values.  With Ni + Nb = M the
        system is square and solved exactly, otherwise in the least-squares sense.
        Returns the collocation matrix A ((Ni + Nb), M), whose condition number the chapter
        plots; the weights are stored in ``self.w`` (M,).
        """
        A = np.vstack([self.basis_xx(x_interior), self.basis(x_boundary)])
        rhs = np.concatenate([np.asarray(f, dtype=np.float64).reshape(-1),
                              np.asarray(g, dtype=np.float64).reshape(-1)])
        if A.shape[0] != rhs.shape[0]:
            raise ValueError(f"RBFCollocation.fit_poisson: {A.shape[0]} collocation points but "
                             f"{rhs.shape[0]} right-hand-side values")
        if A.shape[0] == A.shape[1]:
            self.w = np.linalg.solve(A, rhs)
        else:
            self.w = np.linalg.lstsq(A, rhs, rcond=None)[0]
        return A

    def __call__(self, x):
        """x (N,) → u (N,) = Φ(x) w."""
        if self.w is None:
            raise RuntimeError("RBFCollocation called before fit_poisson")
        return self.basis(x) @ self.w


def damped_oscillator(t, omega, zeta, u0=1.0, v0=0.0):
    """Exact solution of u'' + 2ζω u' + ω² u = 0, u(0) = u0, u'(0) = v0, for 0 ≤ ζ < 1
    (under-damped): u = e^{−ζωt} (u0 cos ω_d t + (v0 + ζω u0)/ω_d sin ω_d t), ω_d = ω sqrt(1 − ζ²).
    t any shape → u of the same shape."""
    if not 0.0 <= zeta < 1.0:
        raise ValueError(f"damped_oscillator: the formula is for 0 ≤ zeta < 1, got {zeta}")
    t = np.asarray(t, dtype=np.float64)
    wd = omega * math.sqrt(1.0 - zeta * zeta)
    return np.exp(-zeta * omega * t) * (u0 * np.cos(wd * t) + (v0 + zeta * omega * u0) / wd * np.sin(wd * t))
