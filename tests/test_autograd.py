"""nnlib.autograd.Value against closed-form derivatives and finite differences."""
import math

import pytest

from nnlib.autograd import Value


def test_product_rule():
    x, y = Value(3.0), Value(-2.0)
    f = x * y
    f.backward()
    assert (f.data, x.grad, y.grad) == (-6.0, -2.0, 3.0)


def test_numbers_on_either_side():
    x = Value(2.0)
    f = 1 - x / 4 + 3 * x - (2 / x) + x ** 2 + (x + 1)
    f.backward()
    assert f.data == pytest.approx(1 - 0.5 + 6 - 1 + 4 + 3)
    assert x.grad == pytest.approx(-0.25 + 3 + 2 / 4 + 4 + 1)
    assert (-x).data == -2.0


def test_reused_node_accumulates():
    x = Value(3.0)
    f = x * x + x  # df/dx = 2x + 1
    f.backward()
    assert x.grad == 7.0


def expression(a, b, c):
    """A neuron with several nonlinearities; works on Values and on floats via `lib`."""
    z = a * b + c
    return (z.tanh() + z.sigmoid() * z.relu() + (a * a + 1.0).log() + (0.1 * b).exp()) / 2


def float_expression(a, b, c):
    z = a * b + c
    sig = 1 / (1 + math.exp(-z))
    return (math.tanh(z) + sig * max(z, 0.0) + math.log(a * a + 1) + math.exp(0.1 * b)) / 2


@pytest.mark.parametrize("point", [(0.7, 1.3, -0.2), (-1.5, 0.4, 2.0), (2.0, -3.0, 0.5)])
def test_against_finite_differences(point):
    vals = [Value(v) for v in point]
    out = expression(*vals)
    out.backward()
    assert out.data == pytest.approx(float_expression(*point), rel=1e-14)
    h = 1e-6
    for i, v in enumerate(vals):
        up, down = list(point), list(point)
        up[i] += h
        down[i] -= h
        numeric = (float_expression(*up) - float_expression(*down)) / (2 * h)
        assert v.grad == pytest.approx(numeric, rel=1e-7, abs=1e-9)


def test_sigmoid_stable_and_deep_graph():
    assert Value(-1000.0).sigmoid().data == 0.0
    assert Value(1000.0).sigmoid().data == 1.0
    x = Value(1.0)
    y = x
    for _ in range(5000):  # deeper than Python's recursion limit
        y = y * 1.0
    y.backward()
    assert x.grad == 1.0


def test_pow_rejects_value_exponent():
    with pytest.raises(TypeError):
        Value(2.0) ** Value(2.0)
