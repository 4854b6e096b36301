"""Plotting helpers the chapters share, so notebooks show ideas rather than matplotlib
boilerplate.  They draw on a matplotlib ``Axes`` you pass in; nnlib itself does not import
matplotlib."""
import numpy as np


def decision_regions(ax, predict, X, y=None, resolution=200, margin=0.5, levels=None,
                     cmap="RdBu", alpha=0.35):
    """Shade ``predict`` over the bounding box of the 2-D points ``X`` and scatter them.

    predict: maps an (M, 2) array of points to (M,) scores, probabilities or labels.
    X: (N, 2) points; y: optional (N,) labels used to colour them.
    Returns the grid values (resolution, resolution) so callers can add contours.
    """
    X = np.asarray(X, dtype=np.float64)
    lo, hi = X.min(axis=0) - margin, X.max(axis=0) + margin
    g0, g1 = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    values = np.asarray(predict(np.column_stack([g0.ravel(), g1.ravel()]))).reshape(g0.shape)
    ax.contourf(g0, g1, values, levels=levels if levels is not None else 20, cmap=cmap, alpha=alpha)
    ax.scatter(X[:, 0], X[:, 1], c=y if y is not None else "k", cmap=cmap, edgecolors="k", s=30)
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    return values
