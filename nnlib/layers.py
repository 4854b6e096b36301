"""Layers as forward/backward pairs: Linear, the activations, Flatten, Embedding, Dropout,
batch and layer normalisation, and the residual block.

Shapes follow PyTorch: inputs are batch first, ``Linear.W`` is (out_features, in_features)
and ``y = x @ W.T + b``.  Chapters: "Neurons and activations", "Matrix notation and why
nonlinearity".
"""
import math

import numpy as np

from . import functional as F
from .core import Module, Parameter, Sequential, as_float_array, cached, check_last_dim, check_same_shape


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

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.b is not None}"

    def forward(self, x):
        x = as_float_array(x, self._name())
        check_last_dim(x, self.in_features, self._name())
        self.cache = (x,)
        y = x @ self.W.data.T
        return y + self.b.data if self.b is not None else y

    def backward(self, dout):
        """dout (N, *, out) → dx (N, *, in); adds dW = dout^T x and db = Σ dout."""
        x, = cached(self)
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
        x = as_float_array(x, type(self).__name__)
        self.cache = (x,)
        return self.f(x)

    def backward(self, dout):
        x, = cached(self)
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

    def forward(self, x):
        # Φ(x) is most of the cost of both passes: computed once, kept for backward
        x = as_float_array(x, type(self).__name__)
        cdf = F.normal_cdf(x)
        self.cache = (x, cdf)
        return x * cdf

    def backward(self, dout):
        """dout → dout · (Φ(x) + x φ(x)), with Φ(x) from the forward pass."""
        x, cdf = cached(self)
        dout = np.asarray(dout, dtype=np.float64)
        check_same_shape(dout, x.shape, type(self).__name__)
        return dout * F.gelu_grad(x, cdf)


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
        x, = cached(self)
        # y = a·x where x ≤ 0, so dy/da = x there and 0 elsewhere; one slope, so sum everything
        self.a.grad += np.sum(np.asarray(dout) * np.where(x > 0, 0.0, x))
        return super().backward(dout)


class Flatten(Module):
    """(N, d1, d2, ...) → (N, d1·d2·...), as ``torch.nn.Flatten()``; backward reshapes back."""

    def forward(self, x):
        x = as_float_array(x, "Flatten")
        if x.ndim < 1:
            raise ValueError(f"Flatten expects input of shape (N, ...), got shape {x.shape}")
        self.cache = (x.shape,)
        return x.reshape(x.shape[0], -1)

    def backward(self, dout):
        x_shape, = cached(self)
        return np.asarray(dout, dtype=np.float64).reshape(x_shape)


class Embedding(Module):
    """A lookup table: row ``i`` of ``W`` is the vector of token ``i``.

    Shapes: W (num_embeddings, embedding_dim); forward takes integer indices of any shape S
    and returns S + (embedding_dim,).  Initialised N(0, 1) as ``torch.nn.Embedding``.
    Backward scatter-adds dout into the rows that were looked up (a repeated index adds
    up) and returns None: integer indices have no gradient.  sparse=True (as torch's) also
    records those rows in ``W.grad_rows``, so that ``zero_grad`` and ``SparseAdam`` touch
    only the rows a batch used: for a vocabulary of tens of thousands of words, most of a
    step's cost otherwise.
    Chapters: "NER and window classification", "Language models and embeddings".
    """

    def __init__(self, num_embeddings, embedding_dim, rng=None, sparse=False):
        rng = np.random.default_rng() if rng is None else rng
        self.num_embeddings, self.embedding_dim, self.sparse = num_embeddings, embedding_dim, sparse
        self.W = Parameter(rng.standard_normal((num_embeddings, embedding_dim)))
        if sparse:
            self.W.grad_rows = np.empty(0, dtype=np.int64)

    def extra_repr(self):
        return f"{self.num_embeddings}, {self.embedding_dim}" + (", sparse=True" if self.sparse else "")

    def forward(self, idx):
        idx = np.asarray(idx)
        if not np.issubdtype(idx.dtype, np.integer):
            raise TypeError(f"Embedding({self.num_embeddings}, {self.embedding_dim}) expects integer "
                            f"indices, got dtype {idx.dtype}")
        if idx.size and (idx.min() < 0 or idx.max() >= self.num_embeddings):
            raise ValueError(f"Embedding({self.num_embeddings}, {self.embedding_dim}): indices must lie in "
                             f"[0, {self.num_embeddings}), got values from {idx.min()} to {idx.max()}")
        self.cache = (idx,)
        return self.W.data[idx]

    def backward(self, dout):
        idx, = cached(self)
        dout = np.asarray(dout, dtype=np.float64)
        d = self.embedding_dim
        check_same_shape(dout, idx.shape + (d,), "Embedding")
        # np.add.at, unlike W.grad[idx] += dout, adds once per occurrence of a repeated index;
        # on the flattened table, element by element, it runs several times faster than by rows
        flat = (idx.reshape(-1, 1) * d + np.arange(d)).ravel()
        np.add.at(self.W.grad.reshape(-1), flat, dout.ravel())
        if self.W.grad_rows is not None:
            self.W.grad_rows = np.union1d(self.W.grad_rows, idx)
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

    def extra_repr(self):
        return f"p={self.p}"

    def forward(self, x):
        x = as_float_array(x, "Dropout")
        if not self.training or self.p == 0.0:
            mask = np.ones_like(x)
        elif self.p == 1.0:
            mask = np.zeros_like(x)  # everything dropped; avoid dividing by 1 − p = 0
        else:
            mask = (self.rng.random(x.shape) >= self.p) / (1.0 - self.p)
        self.cache = (mask,)
        return x * mask

    def backward(self, dout):
        mask, = cached(self)
        dout = np.asarray(dout, dtype=np.float64)
        check_same_shape(dout, mask.shape, "Dropout")
        return dout * mask


class _BatchNorm(Module):
    """Batch normalisation over every axis but the channel axis 1: y = γ x̂ + β.

    In training x̂ uses the batch mean and the biased batch variance over those axes, and the
    running statistics are updated with momentum, the running variance from the *unbiased*
    variance (as torch).  In eval mode the running statistics are used instead.
    Subclasses set ``ndim``, the input's number of dimensions.
    """

    ndim = shape_text = unit = None  # set by each subclass

    def __init__(self, num_features, eps=1e-5, momentum=0.1):
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.gamma = Parameter(np.ones(num_features))
        self.beta = Parameter(np.zeros(num_features))
        self.running_mean = np.zeros(num_features)
        self.running_var = np.ones(num_features)
        self.cache = None

    def extra_repr(self):
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"

    def _axes_and_view(self):
        """The axes statistics run over, and the shape that lines a (C,) vector up with axis 1."""
        axes = (0,) + tuple(range(2, self.ndim))
        return axes, (self.num_features,) + (1,) * (self.ndim - 2)

    def forward(self, x):
        x = as_float_array(x, self._name())
        if x.ndim != self.ndim or x.shape[1] != self.num_features:
            raise ValueError(f"{self._name()} expects input of shape {self.shape_text.format(C=self.num_features)}, "
                             f"got shape {x.shape}")
        axes, view = self._axes_and_view()
        if self.training:
            n = x.size // self.num_features  # values per channel
            if n < 2:
                raise ValueError(f"{self._name()} needs more than 1 {self.unit} in training mode, got shape {x.shape}")
            mean, var = x.mean(axis=axes), x.var(axis=axes)
            m = self.momentum
            self.running_mean = (1 - m) * self.running_mean + m * mean
            self.running_var = (1 - m) * self.running_var + m * var * n / (n - 1)
        else:
            mean, var = self.running_mean, self.running_var
        inv_std = (1.0 / np.sqrt(var + self.eps)).reshape(view)
        x_hat = (x - mean.reshape(view)) * inv_std
        self.cache = (x_hat, inv_std, self.training)
        return self.gamma.data.reshape(view) * x_hat + self.beta.data.reshape(view)

    def backward(self, dout):
        """dout shaped as x → dx; adds dγ = Σ dout·x̂ and dβ = Σ dout over all but the channel axis."""
        x_hat, inv_std, batch_stats = cached(self)
        dout = np.asarray(dout, dtype=np.float64)
        check_same_shape(dout, x_hat.shape, self._name())
        axes, view = self._axes_and_view()
        self.gamma.grad += np.sum(dout * x_hat, axis=axes)
        self.beta.grad += np.sum(dout, axis=axes)
        dx_hat = dout * self.gamma.data.reshape(view)
        if not batch_stats:  # running statistics are constants: a per-channel affine map
            return dx_hat * inv_std
        # mean and variance depend on every value of the channel, which gives the two subtracted terms
        n = dout.size // self.num_features
        return inv_std / n * (n * dx_hat - dx_hat.sum(axis=axes, keepdims=True)
                              - x_hat * np.sum(dx_hat * x_hat, axis=axes, keepdims=True))


class BatchNorm1d(_BatchNorm):
    """Normalise each feature over the batch, then scale and shift: y = γ x̂ + β.

    Shapes: x (N, C) → y (N, C); gamma, beta, running_mean, running_var (C,).  Statistics over
    the N samples, as ``torch.nn.BatchNorm1d`` (see _BatchNorm).  Chapter: "Normalisation".
    """

    ndim, shape_text, unit = 2, "(N, {C})", "sample per feature"


class BatchNorm2d(_BatchNorm):
    """Batch normalisation for images: one mean and variance per channel over N·H·W values.

    Shapes: x (N, C, H, W) → y (N, C, H, W); gamma, beta, running_mean, running_var (C,);
    as ``torch.nn.BatchNorm2d`` (see _BatchNorm).  Chapter: "Architectures".
    """

    ndim, shape_text, unit = 4, "(N, {C}, H, W)", "value per channel"


class LayerNorm(Module):
    """Layer normalisation (Ba et al. 2016): each position's feature vector is normalised
    on its own, y = γ ⊙ (x − μ) / sqrt(σ² + eps) + β, with μ and the biased σ² over the last
    axis.  No batch statistics, so training and evaluation compute the same thing.

    Shapes: x (..., D) → y (..., D); gamma (D,) ones, beta (D,) zeros.  As
    ``torch.nn.LayerNorm(D, eps)``.  Used by ``nnlib.text.TransformerBlock``; chapter
    "Attention and decoding".
    """

    def __init__(self, normalized_shape, eps=1e-5):
        self.normalized_shape, self.eps = normalized_shape, eps
        self.gamma = Parameter(np.ones(normalized_shape))
        self.beta = Parameter(np.zeros(normalized_shape))

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}"

    def forward(self, x):
        x = as_float_array(x, self._name())
        check_last_dim(x, self.normalized_shape, self._name())
        mean = x.mean(axis=-1, keepdims=True)
        inv_std = 1.0 / np.sqrt(x.var(axis=-1, keepdims=True) + self.eps)
        x_hat = (x - mean) * inv_std
        self.cache = (x_hat, inv_std)
        return self.gamma.data * x_hat + self.beta.data

    def backward(self, dout):
        """dout (..., D) → dx; adds dγ = Σ dout·x̂, dβ = Σ dout over all leading axes.
        dx = inv_std / D · (D dx̂ − Σ_j dx̂_j − x̂ Σ_j dx̂_j x̂_j), dx̂ = γ ⊙ dout (as batch norm,
        with the sums over the features of one position instead of over the batch)."""
        x_hat, inv_std = cached(self)
        dout = np.asarray(dout, dtype=np.float64)
        check_same_shape(dout, x_hat.shape, self._name())
        D = self.normalized_shape
        self.gamma.grad += np.sum(dout * x_hat, axis=tuple(range(dout.ndim - 1)))
        self.beta.grad += np.sum(dout, axis=tuple(range(dout.ndim - 1)))
        dx_hat = dout * self.gamma.data
        return inv_std / D * (D * dx_hat - dx_hat.sum(axis=-1, keepdims=True)
                              - x_hat * np.sum(dx_hat * x_hat, axis=-1, keepdims=True))


class Residual(Module):
    """y = body(x) + shortcut(x): the layers in sequence, plus a skip connection.

    ``shortcut`` is the identity when None, or a Module (a 1×1 Conv2d, say) that maps x to the
    body's output shape.  Backward adds the two paths' input gradients.  parameters() lists the
    body's, then the shortcut's.  Chapter: "Architectures".
    """

    def __init__(self, *layers, shortcut=None):
        for m in layers + ((shortcut,) if shortcut is not None else ()):
            if not isinstance(m, Module):
                raise TypeError(f"Residual takes Modules, got {type(m).__name__}")
        self.body = Sequential(*layers)
        self.shortcut = shortcut

    def forward(self, x):
        y = self.body(x)
        skip = x if self.shortcut is None else self.shortcut(x)
        if np.shape(skip) != np.shape(y):
            raise ValueError(f"Residual: the body maps {np.shape(x)} to {np.shape(y)} but the shortcut gives "
                             f"{np.shape(skip)}; give a shortcut that matches (e.g. a 1×1 Conv2d)")
        return y + skip

    def backward(self, dout):
        dx = self.body.backward(dout)
        return dx + (dout if self.shortcut is None else self.shortcut.backward(dout))
