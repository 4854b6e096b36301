"""Finite-difference gradient checking. Chapter: "Gradient check"."""
import numpy as np


def numerical_gradient(f, x, h=1e-5, dout=None):
    """Centred-difference gradient of a scalar function at ``x``.

    f(x) is called with the array ``x`` itself, perturbed in place one element at a time
    (and restored afterwards), so ``f`` may also ignore its argument and read ``x`` through
    a closure (e.g. a layer's ``W.data``).  If f returns an array, pass ``dout`` of the
    same shape: the scalar differentiated is then sum(f(x) · dout), i.e. the result is the
    vector-Jacobian product a layer's backward computes.

    Returns an array shaped like ``x``: (f(x + h e_i) − f(x − h e_i)) / 2h for each i.
    """
    if not (isinstance(x, np.ndarray) and x.dtype == np.float64):
        raise TypeError("numerical_gradient: x must be a float64 numpy array (it is perturbed in place)")

    def scalar():
        value = f(x)
        return float(np.sum(value * dout)) if dout is not None else float(value)

    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        plus = scalar()
        x[i] = old - h
        minus = scalar()
        x[i] = old
        grad[i] = (plus - minus) / (2.0 * h)
    return grad


def relative_error(a, b):
    """max|a − b| / max(|a| + |b|), floored so that two zero arrays give 0, not NaN.

    One scale for the whole array, set by its largest entries: the result is never larger than
    the largest per-element error |a_i − b_i| / max(|a_i|, |b_i|) (the measure of CS231n's rules
    of thumb), and an error confined to entries much smaller than the largest ones barely moves it.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    scale = max(float(np.max(np.abs(a) + np.abs(b), initial=0.0)), np.finfo(np.float64).tiny)
    return float(np.max(np.abs(a - b), initial=0.0)) / scale


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _e(x, digits):
    """x in e-notation without the padded exponent: 1e-7, 2.5e-12 (Python writes 1e-07)."""
    mantissa, exponent = f"{x:.{digits}e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def below(err, threshold):
    """Print a round-off-sized error so that the printout is the same on every machine.

    Round-off differs in its last bits between CPUs and BLAS kernels, so an error's digits (and even
    its power of ten) change from one machine to another. Compared against a fixed threshold, it
    prints "below 1e-12" everywhere. An error at or above the threshold is printed in full, so a real
    failure shows on the page (and fails the notebook's test).

    >>> below(3e-15, 1e-12), below(2e-9, 1e-12)
    ('below 1e-12', '2.0e-9 (not below 1e-12)')
    """
    err = float(err)
    if err < threshold:
        return f"below {_e(threshold, 0)}"
    return f"{_e(err, 1)} (not below {_e(threshold, 0)})"


def sci(x, digits=1):
    """A number in scientific notation for prose (glued): sci(2.6e16) == "2.6 × 10¹⁶", with ``digits``
    digits after the point; a mantissa of exactly 1 is left out: sci(1.2e-11, 0) == "10⁻¹¹"."""
    mantissa, exponent = f"{float(x):.{digits}e}".split("e")
    power = "10" + str(int(exponent)).translate(_SUPERSCRIPT)
    return power if mantissa == "1" else f"{mantissa} × {power}"


def check_module(module, x, seed=0, h=1e-5):
    """Compare a module's backward with finite differences.

    A random upstream gradient ``dout`` (from ``default_rng(seed)``) turns the output into
    the scalar sum(module(x) · dout).  Returns {"x": error, <parameter name>: error, ...}
    with ``relative_error`` between analytic and numerical gradients; in float64 a correct
    backward gives errors around 1e-10 or smaller.  The module must be deterministic
    (put modules with randomness, such as dropout, in eval mode or fix their mask).
    """
    x = np.array(x, dtype=np.float64)
    rng = np.random.default_rng(seed)
    dout = rng.standard_normal(np.shape(module(x)))
    module.zero_grad()
    module(x)
    dx = module.backward(dout)
    errors = {"x": relative_error(dx, numerical_gradient(lambda _: module(x), x, h, dout))}
    for name, p in module.named_parameters():
        numeric = numerical_gradient(lambda _: module(x), p.data, h, dout)
        errors[name] = relative_error(p.grad, numeric)
    return errors
