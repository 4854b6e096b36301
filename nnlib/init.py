"""Weight initialisation with ``torch.nn.init``'s rules, returning new arrays.

Fans follow PyTorch: for a weight of shape (out, in, *kernel) the receptive field is
prod(kernel), fan_in = in · receptive field, fan_out = out · receptive field.
Chapter: "Initialisation".
"""
import math

import numpy as np


def fans(shape):
    """(fan_in, fan_out) of a weight of shape (out, in) or (F, C, kh, kw)."""
    if len(shape) < 2:
        raise ValueError(f"fan in and fan out need a weight with at least 2 dimensions, got shape {tuple(shape)}")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def calculate_gain(nonlinearity, param=None):
    """The factor that keeps the variance of activations steady through ``nonlinearity``:
    1 for linear/conv/sigmoid, 5/3 for tanh, sqrt(2) for relu, sqrt(2/(1 + slope²)) for
    leaky_relu (slope defaults to 0.01), 3/4 for selu."""
    linear = {"linear", "identity", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
              "conv_transpose2d", "conv_transpose3d", "sigmoid"}
    if nonlinearity in linear:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _fan(shape, mode):
    fan_in, fan_out = fans(shape)
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    return fan_in if mode == "fan_in" else fan_out


def xavier_uniform(shape, rng, gain=1.0):
    """U(−a, a) with a = gain · sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio, 2010)."""
    fan_in, fan_out = fans(shape)
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-a, a, shape)


def xavier_normal(shape, rng, gain=1.0):
    """N(0, std²) with std = gain · sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = fans(shape)
    return rng.normal(0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), shape)


def kaiming_uniform(shape, rng, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    """U(−bound, bound), bound = gain · sqrt(3 / fan) (He et al., 2015); with the defaults
    gain = sqrt(2), the ReLU value.  a = sqrt(5) gives Linear's and Conv2d's default init."""
    gain = calculate_gain(nonlinearity, a)
    bound = gain * math.sqrt(3.0 / _fan(shape, mode))
    return rng.uniform(-bound, bound, shape)


def kaiming_normal(shape, rng, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    """N(0, std²) with std = gain / sqrt(fan) (He et al., 2015)."""
    gain = calculate_gain(nonlinearity, a)
    return rng.normal(0.0, gain / math.sqrt(_fan(shape, mode)), shape)
