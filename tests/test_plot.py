"""Plot helpers: the grid they evaluate and the graph layout they compute."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from nnlib.autograd import Value  # noqa: E402
from nnlib.plot import computational_graph, decision_regions  # noqa: E402


def test_decision_regions_evaluates_predict_on_the_grid():
    X = np.array([[0.0, 0.0], [1.0, 2.0]])
    fig, ax = plt.subplots()
    values = decision_regions(ax, lambda P: P[:, 0] + 10 * P[:, 1], X, resolution=5, margin=0.5, boundary=0.0)
    # corners of the grid: (-0.5, -0.5) and (1.5, 2.5)
    assert values.shape == (5, 5)
    assert values[0, 0] == -0.5 - 5.0 and values[-1, -1] == 1.5 + 25.0
    assert ax.get_xlim() == (-0.5, 1.5)
    plt.close(fig)


def test_computational_graph_places_inputs_left_of_outputs():
    x, y = Value(2.0), Value(3.0)
    f = x * y + x
    f.backward()
    fig, ax = plt.subplots()
    pos = computational_graph(ax, f, names={x: "x", y: "y", f: "f"})
    assert pos[x][0] == 0.0 and pos[y][0] == 0.0 and pos[f][0] == 2.0
    assert len(pos) == 4
    plt.close(fig)


def test_optimisation_paths_evaluates_f_on_the_box():
    from nnlib.plot import optimisation_paths
    fig, ax = plt.subplots()
    f = lambda w: w[..., 0] ** 2 + 3 * w[..., 1]  # noqa: E731
    values = optimisation_paths(ax, f, [np.array([[1.0, 1.0], [0.5, 0.2], [0.0, 0.0]])],
                                xlim=(-1, 1), ylim=(0, 2), resolution=3, labels=["gd"], minimum=(0, 0))
    # grid rows follow y, columns follow x: corners (-1, 0) and (1, 2)
    assert np.allclose(values, [[1, 0, 1], [4, 3, 4], [7, 6, 7]])
    assert ax.get_xlim() == (-1.0, 1.0) and len(ax.get_legend().get_texts()) == 1
    plt.close(fig)
