"""Plotting helpers the chapters share, so notebooks show ideas rather than matplotlib
boilerplate.  They draw on a matplotlib ``Axes`` you pass in; nnlib itself does not import
matplotlib."""
import numpy as np


def decision_regions(ax, predict, X, y=None, resolution=200, margin=0.5, levels=None,
                     cmap="RdBu", alpha=0.35, boundary=None):
    """Shade ``predict`` over the bounding box of the 2-D points ``X`` and scatter them.

    predict: maps an (M, 2) array of points to (M,) scores, probabilities or labels.
    X: (N, 2) points; y: optional (N,) labels used to colour them.
    boundary: optional level of ``predict`` (e.g. 0.5 for a probability, 0 for a score)
    drawn as a black line: the decision boundary.
    Returns the grid values (resolution, resolution) so callers can add contours.
    """
    X = np.asarray(X, dtype=np.float64)
    lo, hi = X.min(axis=0) - margin, X.max(axis=0) + margin
    g0, g1 = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    values = np.asarray(predict(np.column_stack([g0.ravel(), g1.ravel()]))).reshape(g0.shape)
    ax.contourf(g0, g1, values, levels=levels if levels is not None else 20, cmap=cmap, alpha=alpha)
    if boundary is not None:
        ax.contour(g0, g1, values, levels=[boundary], colors="k", linewidths=1.5)
    if y is None:
        ax.scatter(X[:, 0], X[:, 1], c="k", s=30)
    else:
        ax.scatter(X[:, 0], X[:, 1], c=y, cmap=cmap, edgecolors="k", s=30)
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    return values


def computational_graph(ax, root, names=None, grads=True, fmt=".3g", fontsize=9):
    """Draw the computational graph of an ``nnlib.autograd.Value``: one box per node with its
    name (or the operation that made it), its value and, if ``grads``, its gradient;
    arrows run from inputs to outputs, inputs (blue) on the left and ``root`` on the right.

    names: optional {Value: "label"} for the nodes worth naming (inputs, the output).
    A node's column is the length of the longest path from an input to it, so every arrow
    points rightwards.  Boxes fit their text, so choose the figure size for the graph
    (about 1.4 inch per column and 0.9 inch per row with grads).  Meant for small graphs.
    Returns {Value: (x, y)}, the box centres in data coordinates.  Chapter: "Backpropagation".
    """
    names = names or {}
    order = root.topological_order()  # inputs before the nodes made from them
    depth, columns = {}, {}
    for node in order:
        depth[id(node)] = 1 + max((depth[id(c)] for c in node._prev), default=-1)
        columns.setdefault(depth[id(node)], []).append(node)
    height = max(len(nodes) for nodes in columns.values())
    pos, boxes = {}, {}
    for col, nodes in columns.items():
        for i, node in enumerate(nodes):
            pos[node] = (float(col), (height - 1) / 2.0 + (len(nodes) - 1) / 2.0 - i)
    for node in order:
        label = names.get(node, node._op if node._op else "const")
        text = f"{label}\n{node.data:{fmt}}" + (f"\ngrad {node.grad:{fmt}}" if grads else "")
        boxes[id(node)] = ax.text(*pos[node], text, ha="center", va="center", fontsize=fontsize,
                                  zorder=3, bbox=dict(boxstyle="round,pad=0.35", edgecolor="0.3",
                                                      facecolor="#fdf3d8" if node._prev else "#dbe9f6"))
    for node in order:  # arrow from each input box's right edge to this box's left edge
        for child in node._prev:
            ax.annotate("", xy=(0.0, 0.5), xycoords=boxes[id(node)], xytext=(1.0, 0.5),
                        textcoords=boxes[id(child)], zorder=2,
                        arrowprops=dict(arrowstyle="->", color="0.45", lw=1.0, shrinkA=2, shrinkB=2))
    ax.set_xlim(-0.6, max(columns) + 0.6)
    ax.set_ylim(-0.6, height - 0.4)
    ax.axis("off")
    return pos


def optimisation_paths(ax, f, paths, xlim, ylim, levels=None, labels=None, minimum=None,
                       resolution=200, cmap="Greys_r"):
    """Contours of a function of two variables, with the iterates of optimisers drawn on top.

    f: maps an (M, 2) array of points to (M,) values (write it with ``w[..., 0]``, ``w[..., 1]``
    and it also serves a single point of shape (2,)).  paths: a list of (k_i, 2) arrays, the
    iterates of each run, the start first; each is drawn in its own colour from a circle (start)
    to a square (last iterate) and clipped to the box ``xlim`` × ``ylim``.
    levels: contour levels; the default, 15 quantiles of f over the box, follows narrow valleys
    better than evenly spaced levels.  labels: legend entries, one per path (legend drawn if given).
    minimum: a point (2,) marked with a star.  Returns the grid values (resolution, resolution).
    Chapter: "Optimisers".
    """
    g0, g1 = np.meshgrid(np.linspace(*xlim, resolution), np.linspace(*ylim, resolution))
    values = np.asarray(f(np.stack([g0, g1], axis=-1).reshape(-1, 2))).reshape(g0.shape)
    if levels is None:
        levels = np.unique(np.quantile(values, np.linspace(0.005, 0.9, 15)))
    ax.contour(g0, g1, values, levels=levels, cmap=cmap, linewidths=0.8)
    for i, path in enumerate(paths):
        path = np.asarray(path, dtype=np.float64)
        colour = f"C{i % 10}"
        ax.plot(path[:, 0], path[:, 1], "-", color=colour, lw=1.4, marker=".", ms=3,
                label=labels[i] if labels is not None else None)
        ax.plot(*path[0], "o", color=colour, ms=6, mec="k")
        ax.plot(*path[-1], "s", color=colour, ms=6, mec="k")
    if minimum is not None:
        ax.plot(*minimum, "*", color="gold", ms=14, mec="k", zorder=5)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    if labels is not None:
        ax.legend(fontsize=8, loc="best")
    return values
