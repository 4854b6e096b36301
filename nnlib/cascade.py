"""Cascade-correlation (Fahlman and Lebiere, 1990): a constructive network that starts with no
hidden units and adds them one at a time.  Each new unit is the best of a pool of candidates
trained to make their output covary with the network's remaining error; it is then frozen and
becomes an extra input of every later unit and of the output layer.
Chapter: "Self-organising maps and constructive networks".
"""
import numpy as np

from .core import Parameter, as_float_array, check_last_dim
from .functional import softmax
from .layers import Linear
from .losses import softmax_cross_entropy
from .optim import Adam
from .progress import progress
from .train import accuracy, fit


def candidate_correlation(W, Z, E):
    """Fahlman's candidate score and its gradient, for K candidate units at once.

    W (K, m): candidate weights; Z (N, m): the candidates' inputs, with the constant 1 for the
    bias as one of the columns; E (N, C): the residual error of each output for each example.
    A candidate's output is v = tanh(Z w) and its score is

        S = Σ_o | Σ_p (v_p − v̄)(E_po − Ē_o) |,

    the summed size of the covariance between v and each output's error (the paper calls it
    a correlation but does not normalise it).  Because Σ_p (E_po − Ē_o) = 0, the mean v̄ drops
    out of the derivative:

        ∂S/∂w = Σ_p Σ_o σ_o (E_po − Ē_o) (1 − v_p²) z_p,   σ_o = sign of the covariance.

    Returns (S (K,), dS_dW (K, m), V (N, K)).
    """
    W, Z, E = (np.asarray(a, dtype=np.float64) for a in (W, Z, E))
    if W.ndim != 2 or Z.ndim != 2 or E.ndim != 2 or Z.shape[1] != W.shape[1] or len(Z) != len(E):
        raise ValueError(f"candidate_correlation expects W (K, m), Z (N, m), E (N, C); "
                         f"got W {W.shape}, Z {Z.shape}, E {E.shape}")
    V = np.tanh(Z @ W.T)                                   # (N, K)
    Ec = E - E.mean(axis=0)                                # (N, C)
    cov = (V - V.mean(axis=0)).T @ Ec                      # (K, C)
    S = np.sum(np.abs(cov), axis=1)                        # (K,)
    dS_dV = Ec @ np.sign(cov).T                            # (N, K): Σ_o σ_o (E_po − Ē_o)
    dS_dW = (dS_dV * (1.0 - V ** 2)).T @ Z                 # (K, m)
    return S, dS_dW, V


class CascadeCorrelation:
    """A cascade-correlation classifier for ``in_features`` inputs and ``n_classes`` classes.

    Hidden unit k (k = 0, 1, ...) is frozen after it is added and computes
    h_k = tanh(w_k · [x, h_0, ..., h_{k−1}, 1]), so ``hidden[k]`` has in_features + k + 1 weights.
    The output layer is an ``nnlib.Linear`` on the features [x, h_0, ..., h_{K−1}] giving class
    scores (N, n_classes), trained with softmax cross-entropy; it is the only part trained after
    a unit is frozen.  Shapes: X (N, in_features), y (N,) integer labels.
    """

    def __init__(self, in_features, n_classes, rng=None):
        self.rng = np.random.default_rng() if rng is None else rng
        self.in_features, self.n_classes = int(in_features), int(n_classes)
        self.hidden = []                                   # frozen weight vectors, no Parameters
        self.output = Linear(self.in_features, self.n_classes, rng=self.rng)

    def _name(self):
        return f"CascadeCorrelation({self.in_features} → {self.n_classes}, {len(self.hidden)} hidden)"

    @property
    def n_hidden(self):
        return len(self.hidden)

    def _check(self, X, who):
        X = as_float_array(X, f"{self._name()}.{who}")
        check_last_dim(X, self.in_features, f"{self._name()}.{who}")
        return X

    def features(self, X):
        """X (N, in_features) → F (N, in_features + n_hidden): the inputs, then each hidden
        unit's output, computed in order because every unit also reads the ones before it."""
        F = self._check(X, "features")
        ones = np.ones((len(F), 1))
        for w in self.hidden:
            F = np.hstack([F, np.tanh(np.hstack([F, ones]) @ w)[:, None]])
        return F

    def forward(self, X):
        """X (N, in_features) → class scores (N, n_classes)."""
        return self.output(self.features(X))

    __call__ = forward

    def predict(self, X):
        """X (N, in_features) → (N,) predicted class labels."""
        return np.argmax(self.forward(X), axis=1)

    def train_output(self, F, y, epochs=300, lr=0.05):
        """Train only the output layer on fixed features F (N, in_features + n_hidden), full
        batch with Adam (a convex problem: the features do not move).  Returns the final loss."""
        history = fit(self.output, softmax_cross_entropy, Adam(self.output.parameters(), lr=lr), (F, y),
                      epochs=epochs, batch_size=len(F), rng=self.rng, show_progress=False)
        return history["train_loss"][-1]

    def residual(self, F, y):
        """Per-example output error E = softmax(scores) − onehot(y), (N, n_classes): the gradient
        of the summed cross-entropy with respect to the scores, what the next unit should explain."""
        E = softmax(self.output(F), axis=1)
        E[np.arange(len(E)), y] -= 1.0
        return E

    def train_candidates(self, F, E, n_candidates=8, steps=300, lr=0.05, scale=1.0, weight_decay=0.0):
        """Train a pool of candidates by gradient *ascent* on S (``candidate_correlation``) with
        Adam, all at once.  F (N, in + n_hidden) are their inputs (a constant 1 is appended),
        E (N, C) the residual error.  Weights start uniform in ±scale.  weight_decay > 0 turns
        the objective into S − ½·weight_decay·‖w‖², which keeps the units from saturating into
        steps (S alone grows as tanh approaches a sign function).
        Returns (w_best (in + n_hidden + 1,), S of every candidate (n_candidates,))."""
        Z = np.hstack([F, np.ones((len(F), 1))])
        W = Parameter(self.rng.uniform(-scale, scale, (n_candidates, Z.shape[1])))
        opt = Adam([W], lr=lr, weight_decay=weight_decay)
        for _ in range(steps):
            _, dS, _ = candidate_correlation(W.data, Z, E)
            W.grad[...] = -dS                              # Adam minimises: hand it −S's gradient
            opt.step()
        S = candidate_correlation(W.data, Z, E)[0]
        return W.data[int(np.argmax(S))].copy(), S

    def add_unit(self, w):
        """Freeze a new hidden unit with weights w (in_features + n_hidden + 1,).  The output
        layer gains one input whose weights start at 0, so the scores do not change until the
        output layer is retrained."""
        w = np.asarray(w, dtype=np.float64)
        m = self.in_features + len(self.hidden)
        if w.shape != (m + 1,):
            raise ValueError(f"{self._name()}.add_unit: the next unit needs {m + 1} weights "
                             f"({m} inputs and a bias), got shape {w.shape}")
        self.hidden.append(w.copy())
        old = self.output
        self.output = Linear(m + 1, self.n_classes, rng=self.rng)
        self.output.W.data[:, :m] = old.W.data
        self.output.W.data[:, m] = 0.0
        self.output.b.data[...] = old.b.data

    def grow(self, X, y, max_units, n_candidates=8, candidate_steps=300, output_epochs=300, lr=0.05,
             scale=1.0, weight_decay=0.0, target_accuracy=1.0, snapshots=(), show_progress=False,
             desc="cascade"):
        """The cascade-correlation loop: train the outputs; then, until ``max_units`` hidden units
        or ``target_accuracy`` on (X, y): train candidates on the residual, freeze the best,
        retrain the outputs.

        snapshots: unit counts at which to keep a copy of the model's state (for plots).
        show_progress: a progress bar (``nnlib.progress``) over the units added, labelled ``desc``.
        Returns {"units": [0, 1, ...], "loss": [...], "accuracy": [...], "score": [S of each
        added unit], "snapshots": {units: (hidden weights, output W, output b)}}.
        """
        X = self._check(X, "grow")
        y = np.asarray(y)
        F = self.features(X)
        history = {"units": [], "loss": [], "accuracy": [], "score": [], "snapshots": {}}

        def record():
            history["units"].append(len(self.hidden))
            history["loss"].append(softmax_cross_entropy(self.output(F), y)[0])
            history["accuracy"].append(accuracy(self.output(F), y))
            if len(self.hidden) in snapshots:
                history["snapshots"][len(self.hidden)] = self.state()

        self.train_output(F, y, output_epochs, lr)
        record()
        if history["accuracy"][-1] >= target_accuracy:
            return history
        steps = progress(range(max_units), desc=desc) if show_progress else range(max_units)
        for _ in steps:
            w, S = self.train_candidates(F, self.residual(F, y), n_candidates, candidate_steps, lr, scale,
                                         weight_decay)
            self.add_unit(w)
            F = np.hstack([F, np.tanh(np.hstack([F, np.ones((len(F), 1))]) @ w)[:, None]])
            history["score"].append(float(S.max()))
            self.train_output(F, y, output_epochs, lr)
            record()
            if hasattr(steps, "set_postfix"):
                steps.set_postfix(units=len(self.hidden), acc=history["accuracy"][-1])
            if history["accuracy"][-1] >= target_accuracy:
                break
        return history

    def state(self):
        """A copy of (hidden weights, output W, output b), for ``load_state``."""
        return ([w.copy() for w in self.hidden], self.output.W.data.copy(), self.output.b.data.copy())

    def load_state(self, state):
        """Restore a copy made by ``state``: the network as it was with that many units."""
        hidden, W, b = state
        self.hidden = [w.copy() for w in hidden]
        self.output = Linear(W.shape[1], self.n_classes, rng=self.rng)
        self.output.W.data[...] = W
        self.output.b.data[...] = b
