"""nnlib.som: winners and distances against brute force and hand cases, the Gaussian neighbourhood
against its closed form, one online step against the update rule written out, the decay schedule's
end points, quantisation and topographic errors on hand-made maps, the fall of the quantisation
error with training, and the label measures."""
import math

import numpy as np
import pytest

from nnlib.som import SOM


def som_with(weights, rows, cols):
    som = SOM(rows, cols, weights.shape[1], rng=np.random.default_rng(0))
    som.weights = np.array(weights, dtype=np.float64)
    return som


def test_grid_positions_row_by_row():
    som = SOM(2, 3, 4, rng=np.random.default_rng(0))
    assert som.weights.shape == (6, 4)
    assert np.array_equal(som.grid, [[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2]])
    assert som.grid_d2[0, 5] == 1 + 4 and som.grid_cheb[0, 5] == 2


def test_bmu_hand_case():
    # four prototypes at the corners of the unit square; each input is nearest to one corner
    W = np.array([[0, 0], [1, 0], [0, 1], [1, 1]], dtype=float)
    som = som_with(W, 2, 2)
    X = np.array([[0.1, 0.2], [0.9, -0.3], [0.2, 0.7], [2.0, 2.0], [0.6, 0.4]])
    assert np.array_equal(som.bmu(X), [0, 1, 2, 3, 1])
    assert np.array_equal(som.bmu2(X[:1]), [[0, 2]])  # (0.1, 0.2): d² = 0.05 to (0, 0), then 0.65 to (0, 1)
    assert som.bmu(np.array([0.95, 0.9])).shape == (1,)  # a single vector is a batch of one


def test_vectorised_distances_equal_brute_force():
    rng = np.random.default_rng(1)
    som = SOM(4, 5, 7, rng=rng)
    X = rng.normal(size=(30, 7))
    brute = np.array([[np.sum((x - w) ** 2) for w in som.weights] for x in X])
    assert np.allclose(som.distances(X), brute, rtol=1e-12, atol=1e-12)
    assert np.array_equal(som.bmu(X), np.argmin(brute, axis=1))


def test_gaussian_neighbourhood_closed_form():
    som = SOM(3, 3, 2, rng=np.random.default_rng(0))
    h = som.neighbourhood([4], sigma=1.0)[0].reshape(3, 3)  # winner in the centre
    e1, e2 = math.exp(-0.5), math.exp(-1.0)                  # grid distance² 1 and 2
    assert np.allclose(h, [[e2, e1, e2], [e1, 1.0, e1], [e2, e1, e2]], rtol=1e-15)
    h0 = som.neighbourhood([0], sigma=2.0)[0]               # corner winner, distance² to (2, 2) is 8
    assert h0[0] == 1.0 and h0[8] == pytest.approx(math.exp(-8 / 8))
    with pytest.raises(ValueError, match="sigma"):
        som.neighbourhood([0], 0.0)


def test_update_is_the_kohonen_rule():
    rng = np.random.default_rng(2)
    som = SOM(3, 4, 3, rng=rng)
    W0 = som.weights.copy()
    x, lr, sigma = rng.random(3), 0.3, 1.5
    c = som.update(x, lr, sigma)
    assert c == np.argmin(np.sum((W0 - x) ** 2, axis=1))
    expected = np.array([w + lr * math.exp(-np.sum((som.grid[j] - som.grid[c]) ** 2) / (2 * sigma ** 2)) * (x - w)
                         for j, w in enumerate(W0)])
    assert np.allclose(som.weights, expected, rtol=1e-14, atol=1e-15)
    # the winner moves by the fraction lr of its distance to x
    assert np.allclose(np.linalg.norm(som.weights[c] - x), (1 - lr) * np.linalg.norm(W0[c] - x))


def test_schedule_end_points_and_geometric_middle():
    assert SOM.schedule(0, 101, 0.5, 0.02) == pytest.approx(0.5)
    assert SOM.schedule(100, 101, 0.5, 0.02) == pytest.approx(0.02)
    assert SOM.schedule(50, 101, 0.5, 0.02) == pytest.approx(math.sqrt(0.5 * 0.02))


def test_quantization_error_hand_case():
    W = np.array([[0, 0], [1, 0], [0, 1], [1, 1]], dtype=float)
    som = som_with(W, 2, 2)
    X = np.array([[0.0, 0.0], [1.0, 0.3], [0.0, 0.6]])     # distances to winners: 0, 0.3, 0.4
    assert som.quantization_error(X) == pytest.approx((0 + 0.3 + 0.4) / 3)


def test_topographic_error_hand_case():
    # a 1 × 4 map whose prototypes are out of order on the line: 0, 2, 1, 3
    som = som_with(np.array([[0.0], [2.0], [1.0], [3.0]]), 1, 4)
    # x = 0.4: best unit 0 (at 0), second unit 2 (at 1): grid distance 2 → an error
    # x = 2.6: best unit 3 (at 3), second unit 1 (at 2): grid distance 2 → an error
    # x = 1.4: best unit 2 (at 1), second unit 1 (at 2): neighbours → fine
    assert som.topographic_error(np.array([[0.4], [2.6], [1.4]])) == pytest.approx(2 / 3)
    # diagonal neighbours count as adjacent on a 2-D grid
    diag = som_with(np.array([[0.0], [5.0], [9.0], [0.1]]), 2, 2)   # units 0 and 3 are diagonal
    assert diag.topographic_error(np.array([[0.04]])) == 0.0


def test_training_lowers_the_quantisation_error_and_orders_a_line():
    # data on a segment far from the initial weights: training must pull the prototypes onto it
    rng = np.random.default_rng(3)
    X = np.column_stack([rng.random(400) * 4 + 3, np.full(400, 3.0)])
    som = SOM(1, 8, 2, rng=rng)
    hist = som.train(X, 3000, rng, lr=(0.5, 0.01), sigma=(3.0, 0.3), snapshots=[0, 300, 3000],
                     show_progress=False)
    qe = hist["quantization_error"]
    assert qe[0] > qe[1] > qe[2]
    # eight prototypes spread evenly over a segment of length 4: mean distance 4 / (4 · 8) = 0.125
    assert qe[2] == pytest.approx(0.125, abs=0.03)
    assert hist["topographic_error"][-1] == 0.0
    xs = som.weights[:, 0]
    assert np.all(np.diff(xs) > 0) or np.all(np.diff(xs) < 0)   # a 1-D map ends up ordered
    assert np.array_equal(hist["weights"][-1], som.weights) and hist["step"] == [0, 300, 3000]


def test_unit_labels_and_purity_hand_case():
    som = som_with(np.array([[0.0], [1.0], [2.0]]), 1, 3)
    X = np.array([[0.1], [0.2], [-0.1], [1.1], [0.9]])
    y = np.array([0, 0, 1, 2, 1])                        # unit 0 wins 0, 0, 1; unit 1 wins 2, 1 (tie)
    labels = som.unit_labels(X, y)
    assert np.array_equal(labels, [0, 1, -1])            # tie → smaller label; unit 2 wins nothing
    assert som.label_purity(X, y) == pytest.approx(3 / 5)
    assert som.label_purity(np.array([[2.1]]), np.array([0]), labels) == 0.0


def test_init_from_data_and_errors():
    data = np.arange(12.0).reshape(6, 2)
    som = SOM(2, 2, 2, rng=np.random.default_rng(0), init_data=data)
    assert all(any(np.array_equal(w, d) for d in data) for w in som.weights)
    with pytest.raises(ValueError, match=r"SOM\(2×2, dim=2\).*\(N, 2\).*\(5, 3\)"):
        som.bmu(np.zeros((5, 3)))
    with pytest.raises(ValueError, match="fewer than the 9 units"):
        SOM(3, 3, 2, rng=np.random.default_rng(0), init_data=data)
