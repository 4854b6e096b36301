"""nnlib.init: PyTorch's fan rules, gains and the resulting spreads."""
import math

import numpy as np
import pytest

from nnlib import init


def test_fans_for_linear_and_conv_shapes():
    assert init.fans((30, 20)) == (20, 30)
    assert init.fans((16, 6, 5, 5)) == (150, 400)
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        init.fans((5,))


def test_gains():
    assert init.calculate_gain("linear") == 1.0 and init.calculate_gain("sigmoid") == 1.0
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / 1.0001))
    with pytest.raises(ValueError, match="unsupported"):
        init.calculate_gain("swish")


SHAPE = (400, 600)  # fan_in 600, fan_out 400: 240k samples pin the std to ~0.2 %


@pytest.mark.parametrize("fn,kwargs,std", [
    (init.xavier_uniform, {}, math.sqrt(2 / 1000)),
    (init.xavier_uniform, {"gain": 2.0}, 2 * math.sqrt(2 / 1000)),
    (init.xavier_normal, {}, math.sqrt(2 / 1000)),
    (init.kaiming_normal, {}, math.sqrt(2 / 600)),
    (init.kaiming_normal, {"mode": "fan_out"}, math.sqrt(2 / 400)),
    (init.kaiming_uniform, {}, math.sqrt(2 / 600)),
    (init.kaiming_normal, {"nonlinearity": "tanh"}, 5 / 3 / math.sqrt(600)),
])
def test_standard_deviations(fn, kwargs, std):
    w = fn(SHAPE, np.random.default_rng(0), **kwargs)
    assert w.shape == SHAPE
    assert w.std() == pytest.approx(std, rel=0.01)
    assert abs(w.mean()) < 0.01 * std * 10


def test_uniform_bounds():
    w = init.xavier_uniform((4, 6), np.random.default_rng(0))
    assert np.abs(w).max() <= math.sqrt(6 / 10)
    # a = sqrt(5) reproduces Linear's default bound 1/sqrt(fan_in)
    w = init.kaiming_uniform((50, 100), np.random.default_rng(0), a=math.sqrt(5))
    assert np.abs(w).max() <= 0.1 and np.abs(w).max() > 0.099
