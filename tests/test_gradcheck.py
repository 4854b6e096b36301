"""The gradient checker itself, against closed forms."""
import numpy as np
import pytest

from nnlib.gradcheck import numerical_gradient, relative_error


def test_numerical_gradient_of_known_function():
    x = np.array([[0.5, -1.0], [2.0, 0.3]])
    before = x.copy()
    g = numerical_gradient(lambda v: np.sum(v ** 3), x)
    assert np.allclose(g, 3 * before ** 2, atol=1e-8)
    assert np.array_equal(x, before)  # perturbed in place, then restored exactly


def test_centered_difference_error_is_second_order():
    # for sin at 1: error of the centered difference ≈ h²/6 · |cos(1)|
    x = np.array([1.0])
    for h in (1e-2, 1e-3):
        g = numerical_gradient(lambda v: np.sin(v).sum(), x, h=h)[0]
        assert abs(g - np.cos(1.0)) == pytest.approx(h * h / 6 * np.cos(1.0), rel=1e-3)


def test_vector_valued_function_with_dout():
    x = np.array([1.0, 2.0, 3.0])
    dout = np.array([1.0, -2.0, 0.5])
    g = numerical_gradient(lambda v: v ** 2, x, dout=dout)
    assert np.allclose(g, 2 * x * dout, atol=1e-8)


def test_relative_error():
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert relative_error([1.0, 3.0], [1.0, 1.0]) == pytest.approx(2.0 / 4.0)


def test_rejects_non_float_arrays():
    with pytest.raises(TypeError, match="float64"):
        numerical_gradient(lambda v: v.sum(), np.array([1, 2]))


def test_below_prints_the_threshold_not_the_round_off():
    from nnlib.gradcheck import below

    # two machines' round-off for the same quantity print the same text ...
    assert below(3.1e-15, 1e-12) == below(7.9e-14, 1e-12) == below(0.0, 1e-12) == "below 1e-12"
    # ... while an error at or above the threshold is shown, so a real failure is visible
    assert below(1e-12, 1e-12) == "1.0e-12 (not below 1e-12)"
    assert below(np.float64(2.5e-6), 1e-8) == "2.5e-6 (not below 1e-8)"
    assert below(0.5, 1e3) == "below 1e3"


def test_sci_writes_powers_of_ten_for_prose():
    from nnlib.gradcheck import sci

    assert sci(2.6e16) == "2.6 × 10¹⁶" and sci(1.58e9, 2) == "1.58 × 10⁹" and sci(3e-5, 0) == "3 × 10⁻⁵"
    assert sci(1.2e-11, 0) == "10⁻¹¹" and sci(1.04e3, 1) == "1.0 × 10³"
