"""Kohonen's self-organising map (SOM): a grid of units whose weight vectors are pulled towards
the data, each winner dragging its grid neighbours along, so that nearby units end up with
similar prototypes.  Chapter: "Self-organising maps and constructive networks".
"""
import numpy as np

from .core import as_float_array, check_last_dim
from .progress import progress


class SOM:
    """A ``rows`` × ``cols`` map of units, each holding a prototype (weight vector) in R^dim.

    Shapes: weights (rows·cols, dim), one row per unit; units are numbered row by row, so unit
    k sits at grid position (k // cols, k % cols); ``grid`` (rows·cols, 2) holds those positions.
    Inputs X are (N, dim) (a single (dim,) vector is read as N = 1).
    The weights start uniform in [0, 1)^dim, or, with ``init_data`` (M, dim), as rows drawn from
    it without replacement (M ≥ rows·cols) — prototypes then start on the data.
    Train with ``train``; the update of one step is ``update``.
    """

    def __init__(self, rows, cols, dim, rng=None, init_data=None):
        rng = np.random.default_rng() if rng is None else rng
        if rows < 1 or cols < 1 or dim < 1:
            raise ValueError(f"SOM needs rows, cols, dim ≥ 1, got ({rows}, {cols}, {dim})")
        self.rows, self.cols, self.dim = int(rows), int(cols), int(dim)
        self.n_units = self.rows * self.cols
        self.grid = np.array([(k // self.cols, k % self.cols) for k in range(self.n_units)], dtype=np.float64)
        diff = self.grid[:, None, :] - self.grid[None, :, :]
        self.grid_d2 = np.sum(diff ** 2, axis=-1)                 # (units, units) squared grid distances
        self.grid_cheb = np.max(np.abs(diff), axis=-1)            # (units, units) king-move distances
        if init_data is None:
            self.weights = rng.random((self.n_units, self.dim))
        else:
            data = self._check(init_data, "init_data")
            if len(data) < self.n_units:
                raise ValueError(f"{self._name()}: init_data has {len(data)} rows, fewer than the "
                                 f"{self.n_units} units")
            self.weights = data[rng.choice(len(data), self.n_units, replace=False)].copy()

    def _name(self):
        return f"SOM({self.rows}×{self.cols}, dim={self.dim})"

    def _check(self, X, who):
        X = as_float_array(X, f"{self._name()}.{who}")
        if X.ndim == 1:
            X = X[None, :]
        check_last_dim(X, self.dim, f"{self._name()}.{who}")
        if X.ndim != 2:
            raise ValueError(f"{self._name()}.{who} expects input of shape (N, {self.dim}), got shape {X.shape}")
        return X

    # ------------------------------------------------------------------ the winner

    def distances(self, X):
        """Squared Euclidean distances from every input to every prototype: X (N, dim) → (N, units).

        Written as ‖x‖² − 2 x·w + ‖w‖², one matrix product for the whole batch instead of an
        (N, units, dim) array of differences; clipped at 0 against round-off."""
        X = self._check(X, "distances")
        d2 = np.sum(X ** 2, axis=1)[:, None] - 2.0 * X @ self.weights.T + np.sum(self.weights ** 2, axis=1)
        return np.maximum(d2, 0.0)

    def bmu(self, X):
        """Best-matching unit (winner) of each input: X (N, dim) → (N,) unit indices.
        Ties go to the lowest index (np.argmin)."""
        return np.argmin(self.distances(X), axis=1)

    def bmu2(self, X):
        """The best and the second-best unit of each input: X (N, dim) → (N, 2) unit indices."""
        d2 = self.distances(X)
        order = np.argsort(d2, axis=1, kind="stable")
        return order[:, :2]

    def neighbourhood(self, c, sigma):
        """Gaussian neighbourhood around winners ``c`` (N,) → h (N, units),
        h[n, j] = exp(−‖r_j − r_c‖² / (2σ²)) with r the grid positions; h = 1 at the winner."""
        if sigma <= 0:
            raise ValueError(f"{self._name()}.neighbourhood: sigma must be > 0, got {sigma}")
        c = np.atleast_1d(np.asarray(c))
        return np.exp(-self.grid_d2[c] / (2.0 * sigma ** 2))

    # ------------------------------------------------------------------ learning

    @staticmethod
    def schedule(t, n_steps, start, end):
        """Exponential decay from ``start`` at t = 0 to ``end`` at t = n_steps − 1:
        start · (end/start)^(t/(n_steps − 1)).  Used for the learning rate and the radius σ."""
        if n_steps < 2:
            return float(start)
        return float(start * (end / start) ** (t / (n_steps - 1)))

    def update(self, x, lr, sigma):
        """One online step with one input x (dim,): find its winner c and move every unit
        towards x by lr · h_jc(σ):  w_j ← w_j + lr · h_jc · (x − w_j).  Returns c."""
        x = self._check(x, "update")[0]
        c = int(np.argmin(np.sum((self.weights - x) ** 2, axis=1)))
        h = np.exp(-self.grid_d2[c] / (2.0 * sigma ** 2))        # (units,)
        self.weights += lr * h[:, None] * (x - self.weights)
        return c

    def train(self, X, n_steps, rng, lr=(0.5, 0.02), sigma=None, snapshots=(), show_progress=True,
              desc="SOM"):
        """Online training: ``n_steps`` updates, each with one row of X drawn at random (with
        replacement), while the learning rate and the radius decay exponentially
        (``schedule``) from their first to their second value.

        X (N, dim).  lr, sigma: (start, end) pairs; sigma defaults to (max(rows, cols)/2, 0.5).
        snapshots: steps t (0 ≤ t ≤ n_steps) at which to record a copy of the weights *before*
        step t (t = n_steps: after the last step).  Returns {"step": [...], "weights": [...],
        "quantization_error": [...], "topographic_error": [...]} over the snapshots.
        """
        X = self._check(X, "train")
        if sigma is None:
            sigma = (max(self.rows, self.cols) / 2.0, 0.5)
        picks = rng.integers(0, len(X), n_steps)
        want = set(int(t) for t in snapshots)
        history = {"step": [], "weights": [], "quantization_error": [], "topographic_error": []}

        def record(t):
            history["step"].append(t)
            history["weights"].append(self.weights.copy())
            history["quantization_error"].append(self.quantization_error(X))
            history["topographic_error"].append(self.topographic_error(X))

        steps = progress(range(n_steps), desc=desc) if show_progress else range(n_steps)
        for t in steps:
            if t in want:
                record(t)
            self.update(X[picks[t]], self.schedule(t, n_steps, *lr), self.schedule(t, n_steps, *sigma))
        if n_steps in want:
            record(n_steps)
        return history

    # ------------------------------------------------------------------ quality measures

    def quantization_error(self, X):
        """Mean Euclidean distance from each input to its winner's prototype: X (N, dim) → float."""
        return float(np.mean(np.sqrt(np.min(self.distances(X), axis=1))))

    def topographic_error(self, X):
        """Fraction of inputs whose best and second-best units are not grid neighbours
        (neighbours: the 8 units around, i.e. grid distance max(|Δrow|, |Δcol|) = 1).
        0 means the map preserves local order everywhere the data lies.  X (N, dim) → float."""
        two = self.bmu2(X)
        return float(np.mean(self.grid_cheb[two[:, 0], two[:, 1]] > 1))

    def unit_labels(self, X, y, n_classes=None):
        """Majority label of the inputs each unit wins: X (N, dim), y (N,) ints → (units,) ints,
        −1 for units that win no input; ties go to the smaller label."""
        y = np.asarray(y)
        if y.shape != (len(self._check(X, "unit_labels")),):
            raise ValueError(f"{self._name()}.unit_labels: y must have shape ({len(X)},), got {y.shape}")
        n_classes = int(y.max()) + 1 if n_classes is None else n_classes
        counts = np.zeros((self.n_units, n_classes))
        np.add.at(counts, (self.bmu(X), y), 1.0)
        labels = np.argmax(counts, axis=1)
        labels[counts.sum(axis=1) == 0] = -1
        return labels

    def label_purity(self, X, y, labels=None):
        """Fraction of inputs whose label equals the majority label of their winner (the map used
        as a nearest-prototype classifier).  ``labels`` (units,) defaults to ``unit_labels(X, y)``;
        pass labels found on training data to score held-out data.  → float in [0, 1]."""
        labels = self.unit_labels(X, y) if labels is None else np.asarray(labels)
        return float(np.mean(labels[self.bmu(X)] == np.asarray(y)))
