"""Stateless functions: numerically stable sigmoid/softmax/log-softmax and every activation
together with its derivative f'(x) (used by the layers and by the plots of the chapter
"Neurons and activations")."""
import math

import numpy as np


def sigmoid(x):
    """σ(x) = 1 / (1 + e^{-x}), computed without overflow for any float x."""
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(-np.abs(x))  # in (0, 1]: never overflows
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along ``axis``; shifting by the max keeps exp() ≤ 1."""
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    """log(softmax(x)) = x − max − log Σ exp(x − max): finite even at |x| = 1000."""
    x = np.asarray(x, dtype=np.float64)
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


# ------------------------------------------------------------ activations and f'

def sigmoid_grad(x):
    s = sigmoid(x)
    return s * (1.0 - s)


def tanh(x):
    return np.tanh(np.asarray(x, dtype=np.float64))


def tanh_grad(x):
    return 1.0 - np.tanh(np.asarray(x, dtype=np.float64)) ** 2


def relu(x):
    return np.maximum(np.asarray(x, dtype=np.float64), 0.0)


def relu_grad(x):
    """1 for x > 0, else 0 (PyTorch's choice at the kink x = 0)."""
    return (np.asarray(x) > 0).astype(np.float64)


def leaky_relu(x, negative_slope=0.01):
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > 0, x, negative_slope * x)


def leaky_relu_grad(x, negative_slope=0.01):
    """1 for x > 0, else ``negative_slope`` (PyTorch's choice at x = 0)."""
    return np.where(np.asarray(x) > 0, 1.0, negative_slope)


def prelu(x, a=0.25):
    """Leaky ReLU whose slope ``a`` is learned (see ``nnlib.layers.PReLU``)."""
    return leaky_relu(x, a)


def prelu_grad(x, a=0.25):
    return leaky_relu_grad(x, a)


# numpy has no erf and nnlib depends on numpy only; math.erf is exact to double precision.
_erf = np.vectorize(math.erf, otypes=[np.float64])


def normal_cdf(x):
    """Φ(x), the standard normal CDF, via erf."""
    return 0.5 * (1.0 + _erf(np.asarray(x, dtype=np.float64) / math.sqrt(2.0)))


def gelu(x):
    """GELU(x) = x Φ(x), the exact (erf) form, as ``torch.nn.GELU()``."""
    x = np.asarray(x, dtype=np.float64)
    return x * normal_cdf(x)


def gelu_grad(x):
    """d/dx x Φ(x) = Φ(x) + x φ(x), with φ the standard normal density."""
    x = np.asarray(x, dtype=np.float64)
    return normal_cdf(x) + x * np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


#: name -> (f, f') for plots and explorers; the parametrised ones use their defaults.
ACTIVATIONS = {
    "sigmoid": (sigmoid, sigmoid_grad),
    "tanh": (tanh, tanh_grad),
    "relu": (relu, relu_grad),
    "leaky_relu": (leaky_relu, leaky_relu_grad),
    "prelu": (prelu, prelu_grad),
    "gelu": (gelu, gelu_grad),
}
