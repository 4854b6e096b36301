"""Layers as forward/backward pairs: Linear, the activations, Flatten.

Shapes follow PyTorch: inputs are batch first, ``Linear.W`` is (out_features, in_features)
and ``y = x @ W.T + b``.  Chapters: "Neurons and activations", "Matrix notation and why
nonlinearity".
"""
import math

import numpy as np

from . import functional as F
from .core import Module, Parameter, as_float_array, cached, check_last_dim, check_same_shape


class Linear(Module):
    """Affine map y = x W^T + b.

    Shapes: x (N, in_features) or (N, *, in_features) → y (N, *, out_features);
    W (out_features, in_features); b (out_features,).
    Initialised as ``torch.nn.Linear``: W and b uniform in ±1/sqrt(in_features).
    """

    def __init__(self, in_features, out_features, bias=True, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        self.in_features, self.out_features = in_features, out_features
        bound = 1.0 / math.sqrt(in_features)
        self.W = Parameter(rng.uniform(-bound, bound, (out_features, in_features)))
        self.b = Parameter(rng.uniform(-bound, bound, out_features)) if bias else None
        self.x = None

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.b is not None}"

    def _name(self):
        return f"Linear({self.in_features} → {self.out_features})"

    def forward(self, x):
        x = as_float_array(x, self._name())
        check_last_dim(x, self.in_features, self._name())
        self.x = x
        y = x @ self.W.data.T
        return y + self.b.data if self.b is not None else y

    def backward(self, dout):
        """dout (N, *, out) → dx (N, *, in); adds dW = dout^T x and db = Σ dout."""
        x = cached(self, "x")
        dout = np.asarray(dout, dtype=np.float64)
        check_same_shape(dout, x.shape[:-1] + (self.out_features,), self._name())
        x2, d2 = x.reshape(-1, self.in_features), dout.reshape(-1, self.out_features)
        self.W.grad += d2.T @ x2
        if self.b is not None:
            self.b.grad += d2.sum(axis=0)
        return dout @ self.W.data


class Activation(Module):
    """Element-wise y = f(x); backward multiplies by f'(x).  Any input shape."""

    def f(self, x):
        raise NotImplementedError

    def df(self, x):
        raise NotImplementedError

    def forward(self, x):
        self.x = as_float_array(x, type(self).__name__)
        return self.f(self.x)

    def backward(self, dout):
        x = cached(self, "x")
        dout = np.asarray(dout, dtype=np.float64)
        check_same_shape(dout, x.shape, type(self).__name__)
        return dout * self.df(x)


class ReLU(Activation):
    """max(0, x); f'(0) = 0 as in PyTorch."""
    f, df = staticmethod(F.relu), staticmethod(F.relu_grad)


class Sigmoid(Activation):
    """1 / (1 + e^{-x}), overflow-free."""
    f, df = staticmethod(F.sigmoid), staticmethod(F.sigmoid_grad)


class Tanh(Activation):
    f, df = staticmethod(F.tanh), staticmethod(F.tanh_grad)


class GELU(Activation):
    """x Φ(x), the exact erf form (``torch.nn.GELU()`` default)."""
    f, df = staticmethod(F.gelu), staticmethod(F.gelu_grad)


class LeakyReLU(Activation):
    """x for x > 0, else negative_slope · x."""

    def __init__(self, negative_slope=0.01):
        self.negative_slope = negative_slope

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"

    def f(self, x):
        return F.leaky_relu(x, self.negative_slope)

    def df(self, x):
        return F.leaky_relu_grad(x, self.negative_slope)


class PReLU(Activation):
    """Leaky ReLU with a learned slope: one shared Parameter ``a`` of shape (1,), as
    ``torch.nn.PReLU()``."""

    def __init__(self, init=0.25):
        self.a = Parameter([init])

    def f(self, x):
        return F.prelu(x, self.a.data[0])

    def df(self, x):
        return F.prelu_grad(x, self.a.data[0])

    def backward(self, dout):
        x = cached(self, "x")
        # y = a·x where x ≤ 0, so dy/da = x there and 0 elsewhere; one slope, so sum everything
        self.a.grad += np.sum(np.asarray(dout) * np.where(x > 0, 0.0, x))
        return super().backward(dout)


class Flatten(Module):
    """(N, d1, d2, ...) → (N, d1·d2·...), as ``torch.nn.Flatten()``; backward reshapes back."""

    def forward(self, x):
        x = as_float_array(x, "Flatten")
        if x.ndim < 1:
            raise ValueError(f"Flatten expects input of shape (N, ...), got shape {x.shape}")
        self.x_shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dout):
        return np.asarray(dout, dtype=np.float64).reshape(cached(self, "x_shape"))


class Embedding(Module):
    """A lookup table: row ``i`` of ``W`` is the vector of token ``i``.

    Shapes: W (num_embeddings, embedding_dim); forward takes integer indices of any shape S
    and returns S + (embedding_dim,).  Initialised N(0, 1) as ``torch.nn.Embedding``.
    Backward scatter-adds dout into the rows that were looked up (a repeated index adds
    up) and returns None: integer indices have no gradient.
    Chapters: "NER and window classification", "Language models and embeddings".
    """

    def __init__(self, num_embeddings, embedding_dim, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.W = Parameter(rng.standard_normal((num_embeddings, embedding_dim)))
        self.idx = None

    def extra_repr(self):
        return f"{self.num_embeddings}, {self.embedding_dim}"

    def forward(self, idx):
        idx = np.asarray(idx)
        if not np.issubdtype(idx.dtype, np.integer):
            raise TypeError(f"Embedding({self.num_embeddings}, {self.embedding_dim}) expects integer "
                            f"indices, got dtype {idx.dtype}")
        if idx.size and (idx.min() < 0 or idx.max() >= self.num_embeddings):
            raise ValueError(f"Embedding({self.num_embeddings}, {self.embedding_dim}): indices must lie in "
                             f"[0, {self.num_embeddings}), got values from {idx.min()} to {idx.max()}")
        self.idx = idx
        return self.W.data[idx]

    def backward(self, dout):
        idx = cached(self, "idx")
        dout = np.asarray(dout, dtype=np.float64)
        check_same_shape(dout, idx.shape + (self.embedding_dim,), "Embedding")
        # np.add.at, unlike W.grad[idx] += dout, adds once per occurrence of a repeated index
        np.add.at(self.W.grad, idx.ravel(), dout.reshape(-1, self.embedding_dim))
        return None


class Dropout(Module):
    """Zero each element with probability ``p`` during training and scale the survivors by
    1/(1 − p) ("inverted dropout", as ``torch.nn.Dropout``), so eval mode is the identity.

    Any input shape; backward multiplies by the same mask.  Note the convention: p is the
    probability of *dropping*, where some texts (and the CS224N notes) use the probability
    of keeping.  Chapter: "Regularisation".
    """

    def __init__(self, p=0.5, rng=None):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout probability must be in [0, 1], got {p}")
        self.p = p
        self.rng = np.random.default_rng() if rng is None else rng
        self.mask = None

    def extra_repr(self):
        return f"p={self.p}"

    def forward(self, x):
        x = as_float_array(x, "Dropout")
        if not self.training or self.p == 0.0:
            self.mask = np.ones_like(x)
        elif self.p == 1.0:
            self.mask = np.zeros_like(x)  # everything dropped; avoid dividing by 1 − p = 0
        else:
            self.mask = (self.rng.random(x.shape) >= self.p) / (1.0 - self.p)
        return x * self.mask

    def backward(self, dout):
        mask = cached(self, "mask")
        dout = np.asarray(dout, dtype=np.float64)
        check_same_shape(dout, mask.shape, "Dropout")
        return dout * mask


class BatchNorm1d(Module):
    """Normalise each feature over the batch, then scale and shift: y = γ x̂ + β.

    Shapes: x (N, C) → y (N, C); gamma, beta (C,).  In training x̂ uses the batch mean and
    the biased batch variance, and the running statistics are updated with momentum, the
    running variance from the *unbiased* batch variance (as ``torch.nn.BatchNorm1d``).
    In eval mode the running statistics are used instead.  Chapter: "Normalisation".
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1):
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.gamma = Parameter(np.ones(num_features))
        self.beta = Parameter(np.zeros(num_features))
        self.running_mean = np.zeros(num_features)
        self.running_var = np.ones(num_features)
        self.cache = None

    def extra_repr(self):
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"

    def forward(self, x):
        who = f"BatchNorm1d({self.num_features})"
        x = as_float_array(x, who)
        if x.ndim != 2 or x.shape[1] != self.num_features:
            raise ValueError(f"{who} expects input of shape (N, {self.num_features}), got shape {x.shape}")
        if self.training:
            n = x.shape[0]
            if n < 2:
                raise ValueError(f"{who} needs more than 1 sample per feature in training mode, got shape {x.shape}")
            mean, var = x.mean(axis=0), x.var(axis=0)
            m = self.momentum
            self.running_mean = (1 - m) * self.running_mean + m * mean
            self.running_var = (1 - m) * self.running_var + m * var * n / (n - 1)
        else:
            mean, var = self.running_mean, self.running_var
        inv_std = 1.0 / np.sqrt(var + self.eps)
        x_hat = (x - mean) * inv_std
        self.cache = (x_hat, inv_std, self.training)
        return self.gamma.data * x_hat + self.beta.data

    def backward(self, dout):
        """dout (N, C) → dx (N, C); adds dγ = Σ dout·x̂ and dβ = Σ dout."""
        x_hat, inv_std, batch_stats = cached(self, "cache")
        dout = np.asarray(dout, dtype=np.float64)
        check_same_shape(dout, x_hat.shape, f"BatchNorm1d({self.num_features})")
        self.gamma.grad += np.sum(dout * x_hat, axis=0)
        self.beta.grad += np.sum(dout, axis=0)
        dx_hat = dout * self.gamma.data
        if not batch_stats:  # running statistics are constants: a per-feature affine map
            return dx_hat * inv_std
        # mean and variance depend on every sample, which gives the two subtracted terms
        n = dout.shape[0]
        return inv_std / n * (n * dx_hat - dx_hat.sum(axis=0) - x_hat * np.sum(dx_hat * x_hat, axis=0))
