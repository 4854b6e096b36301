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


# numpy has no erf, and nnlib depends on numpy only.  W. J. Cody's rational approximations ("Rational
# Chebyshev approximations for the error function", Math. Comp. 23, 1969, 631-638; the coefficients of
# netlib's specfun CALERF) give erf and erfc to full double precision, vectorised over three intervals.
_ERF_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02, 3.20937758913846947e03,
          1.85777706184603153e-1)
_ERF_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03, 2.84423683343917062e03)
_ERFC_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01, 2.98635138197400131e02,
           8.81952221241769090e02, 1.71204761263407058e03, 2.05107837782607147e03, 1.23033935479799725e03,
           2.15311535474403846e-8)
_ERFC_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02, 1.62138957456669019e03,
           3.29079923573345963e03, 4.36261909014324716e03, 3.43936767414372164e03, 1.23033935480374942e03)
_ERFC_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1, 1.60837851487422766e-2,
           6.58749161529837803e-4, 1.63153871373020978e-2)
_ERFC_Q = (2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1, 6.05183413124413191e-2,
           2.33520497626869185e-3)


def _ratio(num, den, z, last):
    """Cody's nested form: (((a_last·z + a_0)·z + a_1)·z … + a_{n-1}) / ((z + b_0)·z … + b_{n-1})."""
    # in place: a new temporary per operation would cost about as much as the arithmetic
    p, q = num[last] * z, z.copy()
    for a, b in zip(num[:len(den) - 1], den[:-1]):
        p += a
        p *= z
        q += b
        q *= z
    p += num[len(den) - 1]
    q += den[-1]
    p /= q
    return p


def _erfc_tail(y):
    """erfc(y) for y > 0.46875, from the middle (y ≤ 4) and the asymptotic (y > 4) rational forms."""
    y = np.minimum(y, 30.0)  # erfc(y) underflows to 0 from y ≈ 27.3 on; this keeps y = inf finite
    r = np.where(y <= 4.0, _ratio(_ERFC_C, _ERFC_D, y, 8), 0.0)
    big = y > 4.0
    if big.any():
        z = 1.0 / (y[big] * y[big])
        r[big] = (1.0 / math.sqrt(math.pi) - z * _ratio(_ERFC_P, _ERFC_Q, z, 5)) / y[big]
    # exp(−y²) as exp(−s²)·exp(−(y − s)(y + s)) with s = y rounded down to 1/16: y² itself would lose digits
    s = np.floor(y * 16.0) / 16.0
    e = np.exp(-s * s)
    e *= np.exp(-(y - s) * (y + s))
    e *= r
    return e


def erfc(x):
    """The complementary error function 1 − erf(x), accurate to a few ulp also where it is tiny."""
    x = np.asarray(x, dtype=np.float64)
    y = np.abs(x)
    small = y <= 0.46875
    out = np.empty_like(y)
    out[small] = 1.0 - x[small] * _ratio(_ERF_A, _ERF_B, x[small] * x[small], 4)
    tail = _erfc_tail(y[~small])
    out[~small] = np.where(x[~small] < 0, 2.0 - tail, tail)
    return out


def erf(x):
    """The error function (2/√π) ∫₀ˣ e^{−t²} dt, vectorised (Cody's approximations, double precision)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.abs(x)
    small = y <= 0.46875
    out = np.empty_like(y)
    out[small] = x[small] * _ratio(_ERF_A, _ERF_B, x[small] * x[small], 4)
    out[~small] = np.copysign(1.0 - _erfc_tail(y[~small]), x[~small])
    return out


def normal_cdf(x):
    """Φ(x), the standard normal CDF, as erfc(−x/√2)/2: accurate in the far left tail too."""
    return 0.5 * erfc(-np.asarray(x, dtype=np.float64) / math.sqrt(2.0))


def gelu(x):
    """GELU(x) = x Φ(x), the exact (erf) form, as ``torch.nn.GELU()``."""
    x = np.asarray(x, dtype=np.float64)
    return x * normal_cdf(x)


def gelu_grad(x, cdf=None):
    """d/dx x Φ(x) = Φ(x) + x φ(x), with φ the standard normal density; ``cdf``: Φ(x) if the
    caller has it already (``nnlib.GELU`` keeps it from the forward pass)."""
    x = np.asarray(x, dtype=np.float64)
    cdf = normal_cdf(x) if cdf is None else cdf
    return cdf + x * np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


#: name -> (f, f') for plots and explorers; the parametrised ones use their defaults.
ACTIVATIONS = {
    "sigmoid": (sigmoid, sigmoid_grad),
    "tanh": (tanh, tanh_grad),
    "relu": (relu, relu_grad),
    "leaky_relu": (leaky_relu, leaky_relu_grad),
    "prelu": (prelu, prelu_grad),
    "gelu": (gelu, gelu_grad),
}
