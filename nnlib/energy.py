"""Energy-based models: the Hopfield network (associative memory), the Boltzmann machine, the
restricted Boltzmann machine trained by contrastive divergence, and a deep belief net stacked
from RBMs, with its generative side (top-down pass, sampling, up-down fine-tuning).
Chapter: "Energy-based models".
"""
import itertools

import numpy as np

from .core import Module, Parameter, Sequential, as_float_array, check_last_dim
from .functional import sigmoid
from .layers import Linear, Sigmoid
from .progress import progress


def _softplus(x):
    """log(1 + e^x) without overflow."""
    return np.logaddexp(0.0, x)


def _logsumexp(x):
    m = np.max(x)
    return float(m + np.log(np.sum(np.exp(x - m))))


def all_states(n, values=(0.0, 1.0)):
    """Every binary vector of length n, (2^n, n), in counting order (first coordinate slowest)."""
    if n > 24:
        raise ValueError(f"all_states: 2^{n} states are too many to enumerate")
    return np.array(list(itertools.product(values, repeat=n)), dtype=np.float64).reshape(-1, n)


# ---------------------------------------------------------------------------- Hopfield

class Hopfield:
    """A Hopfield network of ``n`` ±1 units with symmetric weights and no self-connections.

    ``store(patterns)`` sets the Hebbian weights W = (1/n) Σ_μ ξ^μ ξ^μᵀ with zero diagonal
    (patterns (P, n) of ±1).  States are batches s (B, n) of ±1.  Energy E(s) = −½ sᵀ W s, which
    an asynchronous update (one unit at a time, s_i ← sign(Σ_j W_ij s_j)) never increases.
    A unit whose local field is exactly 0 keeps its state.

    Exact ties: for an even number of patterns a field can be exactly 0, but 1/n is not a binary
    fraction, so Σ_j W_ij s_j summed in floating point would come out as ±1e-17 with a sign set by
    the BLAS's summation order.  So for weights set by ``store`` every field and energy is computed
    from the integer counts n·W (exact in any order) and only then divided by n.  Weights
    assigned to ``W`` directly (``net.W = ...``) are used as they are.
    """

    def __init__(self, n):
        self.n = int(n)
        self.W = np.zeros((self.n, self.n))

    @property
    def W(self):
        """The weights (n, n); assigning new ones drops the exact Hebbian counts of ``store``."""
        return self._W

    @W.setter
    def W(self, value):
        self._W = np.asarray(value, dtype=np.float64)
        self._counts = None

    def _h(self, s, i=slice(None), divide=True):
        """Fields h_i = Σ_j W_ij s_j of units i for states s (B, n): (B, n), or (B,) for one
        unit i.  With the integer counts of ``store`` they are computed exactly as n·h, divided
        by n only if ``divide`` (the sign needs no division)."""
        if self._counts is None:
            return s @ self._W[i].T
        h = s @ self._counts[i].T
        return h / self.n if divide else h

    def _energy(self, s):
        """−½ sᵀ W s per row of s (B, n); with the counts, the integer sum is divided last."""
        e = -0.5 * np.sum(self._h(s, divide=False) * s, axis=1)
        return e if self._counts is None else e / self.n

    def _check(self, s, who):
        s = as_float_array(s, f"Hopfield({self.n}).{who}")
        if s.ndim == 1:
            s = s[None, :]
        check_last_dim(s, self.n, f"Hopfield({self.n}).{who}", "units")
        if not np.all(np.abs(s) == 1.0):
            raise ValueError(f"Hopfield({self.n}).{who}: states must be ±1")
        return s

    def store(self, patterns):
        """patterns (P, n) of ±1 → sets W (n, n) by the Hebb rule; returns self."""
        xi = self._check(patterns, "store")
        counts = xi.T @ xi             # integers: exact whatever the summation order
        np.fill_diagonal(counts, 0.0)  # no self-coupling: otherwise every state leans towards itself
        self.W = counts / self.n
        self._counts = counts          # after W: assigning W clears the counts
        return self

    def energy(self, s):
        """s (B, n) or (n,) → E (B,) = −½ sᵀ W s for each row."""
        return self._energy(self._check(s, "energy"))

    def field(self, s):
        """Local fields h = s Wᵀ (B, n): h_i = Σ_j W_ij s_j."""
        return self._h(self._check(s, "field"))

    def step_sync(self, s):
        """One synchronous update of every unit at once: s (B, n) → new s (B, n).
        (Synchronous updates may end in a 2-cycle instead of a fixed point.)"""
        s = self._check(s, "step_sync")
        h = self._h(s, divide=False)
        return np.where(h > 0, 1.0, np.where(h < 0, -1.0, s))

    def sweep_async(self, s, rng, energies=None):
        """One asynchronous sweep: visit the units in a random order (one order for the whole
        batch), setting s_i ← sign(h_i) with the current state.  s (B, n) → new s (B, n).
        If ``energies`` is a list, the batch energies (B,) after every single-unit update are
        appended to it (for plotting the descent)."""
        s = self._check(s, "sweep_async").copy()
        for i in rng.permutation(self.n):
            h = self._h(s, i, divide=False)
            s[:, i] = np.where(h > 0, 1.0, np.where(h < 0, -1.0, s[:, i]))
            if energies is not None:
                energies.append(self._energy(s))
        return s

    def recall(self, s, rng=None, max_sweeps=50, mode="async"):
        """Update until nothing changes (a fixed point) or ``max_sweeps`` sweeps.

        s (B, n) → (final states (B, n), sweeps used).  mode "async" needs ``rng`` for the order
        of the units; "sync" updates all units at once.
        """
        if mode not in ("async", "sync"):
            raise ValueError(f"Hopfield.recall: mode must be 'async' or 'sync', got {mode!r}")
        if mode == "async" and rng is None:
            raise ValueError("Hopfield.recall: asynchronous updates need an rng for the unit order")
        s = self._check(s, "recall")
        for sweep in range(1, max_sweeps + 1):
            new = self.sweep_async(s, rng) if mode == "async" else self.step_sync(s)
            if np.array_equal(new, s):
                return new, sweep
            s = new
        return s, max_sweeps


def overlap(s, patterns):
    """m = s · ξ / n for matching rows: 1 for perfect recall, −1 for the inverted pattern.
    s, patterns (B, n) → (B,)."""
    s, patterns = np.atleast_2d(s), np.atleast_2d(patterns)
    return np.sum(s * patterns, axis=1) / s.shape[1]


# --------------------------------------------------------------------- Boltzmann machine

class BoltzmannMachine:
    """A fully connected Boltzmann machine of ``n`` binary {0, 1} units, all visible.

    E(s) = −½ sᵀ W s − bᵀ s with W symmetric, zero diagonal; p(s) ∝ exp(−E(s)/T).
    Unit i is on with probability σ((W s + b)_i / T) given the others (Gibbs sampling).
    W (n, n), b (n,); ``rng`` draws the initial weights N(0, scale²) (symmetrised).
    """

    def __init__(self, n, rng, scale=1.0):
        self.n = int(n)
        A = rng.normal(0.0, scale, (self.n, self.n))
        self.W = np.triu(A, 1) + np.triu(A, 1).T
        self.b = rng.normal(0.0, scale, self.n)

    def energy(self, s):
        """s (B, n) of {0, 1} → E (B,)."""
        s = np.atleast_2d(np.asarray(s, dtype=np.float64))
        return -0.5 * np.einsum("bi,ij,bj->b", s, self.W, s) - s @ self.b

    def exact_distribution(self, T=1.0):
        """(states (2^n, n), probabilities (2^n,)) of the Boltzmann distribution, by enumeration."""
        S = all_states(self.n)
        logits = -self.energy(S) / T
        p = np.exp(logits - logits.max())
        return S, p / p.sum()

    def gibbs(self, s, sweeps, rng, T=1.0):
        """Run ``sweeps`` Gibbs sweeps (units in order 0..n−1) on a batch of chains s (B, n).
        Returns the final states (B, n)."""
        s = np.array(s, dtype=np.float64, ndmin=2)
        for _ in range(sweeps):
            for i in range(self.n):
                p_on = sigmoid((s @ self.W[i] + self.b[i]) / T)
                s[:, i] = (rng.random(len(s)) < p_on).astype(np.float64)
        return s


# ------------------------------------------------------------ restricted Boltzmann machine

class RBM(Module):
    """Restricted Boltzmann machine with Bernoulli (0/1) visible and hidden units.

    E(v, h) = −aᵀv − bᵀh − hᵀ W v, W (n_hidden, n_visible), a (n_visible,), b (n_hidden,).
    (The nndl book writes vᵀ W h with W (n_visible, n_hidden); W is stored transposed here, as
    ``Linear.W``, so ``Linear(n_visible, n_hidden)`` can take W and b unchanged.)
    p(h_j = 1 | v) = σ(W v + b)_j,  p(v_i = 1 | h) = σ(Wᵀ h + a)_i.
    Batches are rows: v (N, n_visible), h (N, n_hidden).  ``forward(v)`` returns p(h = 1 | v),
    the features a deep belief net passes up.  Initialised W ~ N(0, 0.01²), biases zero
    (Hinton's practical guide).
    """

    def __init__(self, n_visible, n_hidden, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        self.n_visible, self.n_hidden = int(n_visible), int(n_hidden)
        self.W = Parameter(rng.normal(0.0, 0.01, (self.n_hidden, self.n_visible)))
        self.a = Parameter(np.zeros(self.n_visible))
        self.b = Parameter(np.zeros(self.n_hidden))

    def extra_repr(self):
        return f"n_visible={self.n_visible}, n_hidden={self.n_hidden}"

    def _v(self, v):
        v = as_float_array(v, self._name())
        check_last_dim(v, self.n_visible, self._name(), "visible units")
        return v

    def _h(self, h):
        h = as_float_array(h, self._name())
        check_last_dim(h, self.n_hidden, self._name(), "hidden units")
        return h

    # ----------------------------------------------------------- conditionals and sampling
    def hidden_probs(self, v):
        """v (N, n_visible) → p(h = 1 | v) (N, n_hidden)."""
        return sigmoid(self._v(v) @ self.W.data.T + self.b.data)

    def visible_probs(self, h):
        """h (N, n_hidden) → p(v = 1 | h) (N, n_visible)."""
        return sigmoid(self._h(h) @ self.W.data + self.a.data)

    def sample_hidden(self, v, rng):
        """v (N, n_visible) → (probabilities, 0/1 samples), each (N, n_hidden)."""
        p = self.hidden_probs(v)
        return p, (rng.random(p.shape) < p).astype(np.float64)

    def sample_visible(self, h, rng):
        """h (N, n_hidden) → (probabilities, 0/1 samples), each (N, n_visible)."""
        p = self.visible_probs(h)
        return p, (rng.random(p.shape) < p).astype(np.float64)

    def forward(self, v):
        return self.hidden_probs(v)

    def reconstruct(self, v):
        """Mean-field reconstruction v → p(h|v) → p(v|h): (N, n_visible) → (N, n_visible)."""
        return self.visible_probs(self.hidden_probs(v))

    # ----------------------------------------------------------------------- energies
    def energy(self, v, h):
        """v (N, n_visible), h (N, n_hidden) → E(v, h) (N,)."""
        v, h = self._v(v), self._h(h)
        return -v @ self.a.data - h @ self.b.data - np.sum((h @ self.W.data) * v, axis=1)

    def free_energy(self, v):
        """F(v) = −log Σ_h e^{−E(v, h)} = −aᵀv − Σ_j log(1 + e^{(W v + b)_j}); v (N, n_visible) → (N,).
        The sum over the 2^n_hidden hidden states factorises because hidden units do not interact."""
        v = self._v(v)
        return -v @ self.a.data - np.sum(_softplus(v @ self.W.data.T + self.b.data), axis=1)

    def log_partition(self):
        """log Z = log Σ_v e^{−F(v)}, by enumerating the 2^n_visible visible states (small RBMs only)."""
        return _logsumexp(-self.free_energy(all_states(self.n_visible)))

    def log_likelihood(self, v):
        """Mean exact log p(v) = −F(v) − log Z over the rows of v (small RBMs only)."""
        return float(np.mean(-self.free_energy(v)) - self.log_partition())

    # ---------------------------------------------------------------------- gradients
    def _stats(self, v, ph):
        """Mean sufficient statistics (⟨h vᵀ⟩, ⟨v⟩, ⟨h⟩) over the rows."""
        n = len(v)
        return ph.T @ v / n, v.mean(axis=0), ph.mean(axis=0)

    def exact_gradient(self, v):
        """Gradient of the mean exact log-likelihood over the rows of v, as (dW, da, db):
        ⟨h vᵀ⟩_data − ⟨h vᵀ⟩_model (and likewise for v and h), the model expectation by
        enumerating every visible state (small RBMs only)."""
        v = self._v(v)
        pos = self._stats(v, self.hidden_probs(v))
        S = all_states(self.n_visible)
        logits = -self.free_energy(S)
        p = np.exp(logits - logits.max())
        p /= p.sum()
        ph = self.hidden_probs(S)
        neg = ((ph * p[:, None]).T @ S, p @ S, p @ ph)
        return tuple(x - y for x, y in zip(pos, neg))

    def gibbs_transition_matrix(self):
        """T (2^nv, 2^nv) with T[v, v'] = Σ_h p(h|v) p(v'|h): one step v → h → v' of the Gibbs
        chain over the visible states of ``all_states`` (small RBMs only).  CD-k's expected
        negative phase starts from the data distribution and applies T k times."""
        V, H = all_states(self.n_visible), all_states(self.n_hidden)
        ph = self.hidden_probs(V)                                # (2^nv, nh)
        p_h_given_v = np.prod(np.where(H[None] == 1, ph[:, None], 1 - ph[:, None]), axis=2)
        pv = self.visible_probs(H)                               # (2^nh, nv)
        p_v_given_h = np.prod(np.where(V[None] == 1, pv[:, None], 1 - pv[:, None]), axis=2)
        return p_h_given_v @ p_v_given_h

    def contrastive_divergence(self, v0, k, rng):
        """CD-k on a batch v0 (N, n_visible) of 0/1 (or [0, 1]) data.

        Positive phase: p(h|v0).  Negative phase: k steps of block Gibbs sampling
        v0 → h0 → v1 → ... → v_k (binary samples throughout), then p(h|v_k).
        Estimate of the log-likelihood gradient: ⟨h vᵀ⟩_0 − ⟨h vᵀ⟩_k (means over the batch).
        Adds the *negative* of it into W.grad, a.grad, b.grad, so that an nnlib optimiser that
        minimises (SGD, Adam) climbs the likelihood.  Returns the chains' end states v_k (N, n_visible).
        """
        if k < 1:
            raise ValueError(f"{self._name()}.contrastive_divergence: k must be ≥ 1, got {k}")
        v0 = self._v(v0)
        ph0 = self.hidden_probs(v0)
        h = (rng.random(ph0.shape) < ph0).astype(np.float64)
        for step in range(k):
            _, vk = self.sample_visible(h, rng)
            phk, h = self.sample_hidden(vk, rng)
        pos, neg = self._stats(v0, ph0), self._stats(vk, phk)
        for p, plus, minus in zip((self.W, self.a, self.b), pos, neg):
            p.grad -= plus - minus
        return vk


def train_rbm(rbm, X, epochs, optimizer, rng, batch_size=32, k=1, desc="RBM"):
    """Train ``rbm`` with CD-k on the rows of X (N, n_visible) for ``epochs`` epochs of shuffled
    minibatches, stepping ``optimizer`` (built on ``rbm.parameters()``).
    Returns the per-epoch mean squared reconstruction error per pixel, mean over rows of
    |v − p(v | p(h | v))|² / n_visible, measured on all of X after each epoch."""
    X = as_float_array(X, f"train_rbm({rbm._name()})")
    return _minibatch_epochs(X, epochs, optimizer, rng, batch_size, desc, "recon",
                             step=lambda batch: rbm.contrastive_divergence(batch, k, rng),
                             measure=lambda: float(np.mean((X - rbm.reconstruct(X)) ** 2)))


def _minibatch_epochs(X, epochs, optimizer, rng, batch_size, desc, measure_name, step, measure):
    """The loop ``train_rbm`` and ``train_up_down`` share: each epoch, ``step(batch)`` (which adds
    into .grad) then ``optimizer.step()`` on shuffled minibatches of X; then ``measure()`` on all
    of X.  Returns the per-epoch measurements."""
    history = []
    for _ in (bar := progress(range(epochs), desc=desc)):
        order = rng.permutation(len(X))
        for start in range(0, len(X), batch_size):
            optimizer.zero_grad()
            step(X[order[start:start + batch_size]])
            optimizer.step()
        history.append(measure())
        bar.set_postfix(**{measure_name: history[-1]})
    return history


class DBN:
    """A deep belief net as a stack of RBMs, trained greedily layer by layer.

    sizes: (n_visible, n_hidden_1, n_hidden_2, ...); ``self.rbms[l]`` is RBM(sizes[l], sizes[l+1]).
    ``pretrain`` trains the first RBM on the data and each next one on the hidden probabilities
    p(h = 1 | v) of the one below.  ``to_mlp(n_classes, rng)`` copies the recognition weights W
    and hidden biases b into ``Linear`` layers of a sigmoid MLP and adds a freshly initialised
    output layer.

    The generative model: the top two layers (sizes[-2], sizes[-1]) are the undirected RBM
    ``rbms[-1]``; every lower level l is directed, layer h_l (h_0 = v) generated from h_{l+1} by
    p(h_l = 1 | h_{l+1}) = σ(h_{l+1} G_l + a_l), and inferred from below by the recognition
    weights, q(h_{l+1} = 1 | h_l) = σ(h_l R_lᵀ + b_l); G_l and R_l are (sizes[l+1], sizes[l]).
    After greedy training both are the RBM's own (tied: G_l = R_l = rbms[l].W, a_l = rbms[l].a,
    b_l = rbms[l].b).  ``untie()`` makes them separate Parameters for ``up_down`` to train;
    ``sample`` draws from the model, ``recognise`` and ``generate`` are the two passes.
    """

    def __init__(self, sizes, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        self.sizes = tuple(int(s) for s in sizes)
        if len(self.sizes) < 2:
            raise ValueError(f"DBN needs at least two layer sizes, got {self.sizes}")
        self.rbms = [RBM(m, n, rng=rng) for m, n in zip(self.sizes[:-1], self.sizes[1:])]
        self.recognition = self.generative = None   # lists of (W, bias) Parameters after untie()

    def pretrain(self, X, epochs, make_optimizer, rng, batch_size=32, k=1):
        """X (N, sizes[0]).  make_optimizer(params) → an nnlib optimiser, one per RBM.
        Returns one list of per-epoch reconstruction errors per RBM."""
        histories, data = [], as_float_array(X, "DBN.pretrain")
        for level, rbm in enumerate(self.rbms):
            histories.append(train_rbm(rbm, data, epochs, make_optimizer(rbm.parameters()), rng,
                                       batch_size=batch_size, k=k, desc=f"RBM {level + 1}"))
            data = rbm.hidden_probs(data)  # the next RBM models the features of this one
        return histories

    def to_mlp(self, n_classes, rng):
        """Sequential(Linear, Sigmoid, ..., Linear(sizes[-1], n_classes)) initialised from the
        recognition weights (the RBMs' own until ``untie``) and the top RBM's W and b."""
        layers = []
        for W, b in self._up() + [(self.rbms[-1].W, self.rbms[-1].b)]:
            lin = Linear(W.shape[1], W.shape[0], rng=rng)
            lin.W.data[...] = W.data  # both (n_hidden, n_visible): no transpose
            lin.b.data[...] = b.data
            layers += [lin, Sigmoid()]
        layers.append(Linear(self.sizes[-1], n_classes, rng=rng))
        return Sequential(*layers)

    # ------------------------------------------------------------------ generative side
    def untie(self):
        """Copy each lower RBM's (W, b) into ``recognition`` and its (W, a) into ``generative``,
        new Parameters that ``up_down`` trains separately; returns self."""
        lower = self.rbms[:-1]
        self.recognition = [(Parameter(r.W.data), Parameter(r.b.data)) for r in lower]
        self.generative = [(Parameter(r.W.data), Parameter(r.a.data)) for r in lower]
        return self

    def _up(self):
        return self.recognition or [(r.W, r.b) for r in self.rbms[:-1]]

    def _down(self):
        return self.generative or [(r.W, r.a) for r in self.rbms[:-1]]

    def parameters(self):
        """Recognition and generative Parameters (after ``untie``), then the top RBM's W, a, b."""
        if self.recognition is None:
            raise ValueError("DBN.parameters: call untie() first (before it, the RBMs hold the weights)")
        lower = [p for pair in self.recognition + self.generative for p in pair]
        return lower + self.rbms[-1].parameters()

    def recognise(self, v, rng=None):
        """Up pass with the recognition weights: v (N, sizes[0]) → [h_1, ..., h_{L−1}], the layers
        below the top RBM's hidden one, (N, sizes[l]) each.  With ``rng`` every layer is sampled
        (0/1) from q(h_{l+1} = 1 | h_l); without, the probabilities are passed up (mean field)."""
        h, states = as_float_array(v, "DBN.recognise"), []
        check_last_dim(h, self.sizes[0], "DBN.recognise", "visible units")
        for W, b in self._up():
            h = sigmoid(h @ W.data.T + b.data)
            if rng is not None:
                h = (rng.random(h.shape) < h).astype(np.float64)
            states.append(h)
        return states

    def generate(self, h, rng=None):
        """Top-down pass with the generative weights from a state h (N, sizes[−2]) of the top RBM's
        visible layer → p(v = 1 | h_1) (N, sizes[0]).  With ``rng`` each layer between is sampled
        from p(h_l = 1 | h_{l+1}); without, the probabilities are passed down."""
        h = as_float_array(h, "DBN.generate")
        check_last_dim(h, self.sizes[-2], "DBN.generate", "units of the top RBM's visible layer")
        levels = self._down()
        for level in reversed(range(len(levels))):
            W, a = levels[level]
            h = sigmoid(h @ W.data + a.data)
            if rng is not None and level > 0:
                h = (rng.random(h.shape) < h).astype(np.float64)
        return h

    def reconstruction_loglik(self, v):
        """Mean over the rows of v (N, sizes[0]) of log p(v | h_1) under the generative weights,
        with the layers above v set by a mean-field up pass (recognition probabilities) and passed
        down as probabilities: how well the top-down weights regenerate what the bottom-up weights
        perceive, the term of the variational bound that the wake phase of ``up_down`` raises."""
        v = as_float_array(v, "DBN.reconstruction_loglik")
        states = self.recognise(v)
        p = self.generate(states[-1]) if states else self.rbms[0].reconstruct(v)
        p = np.clip(p, 1e-12, 1.0 - 1e-12)  # a saturated sigmoid must not give log(0)
        return float(np.mean(np.sum(v * np.log(p) + (1.0 - v) * np.log(1.0 - p), axis=1)))

    def sample(self, n, gibbs_steps, rng):
        """n samples of the model: ``gibbs_steps`` ≥ 1 steps of block Gibbs sampling in the top RBM,
        started at random 0/1 states of its visible layer, then one sampled top-down pass.
        Returns p(v = 1 | h_1) (n, sizes[0]) for each sample (pixel means, for display)."""
        if gibbs_steps < 1:
            raise ValueError(f"DBN.sample: gibbs_steps must be ≥ 1, got {gibbs_steps}")
        top = self.rbms[-1]
        h = (rng.random((n, top.n_visible)) < 0.5).astype(np.float64)
        for _ in range(gibbs_steps):
            _, t = top.sample_hidden(h, rng)
            p, h = top.sample_visible(t, rng)
        return self.generate(h, rng) if len(self.rbms) > 1 else p

    def up_down(self, v, k, rng):
        """One step of the up-down algorithm (contrastive wake-sleep; Hinton, Osindero and Teh
        2006) on a batch v (N, sizes[0]); needs ``untie()``.

        Wake (up) pass: sample h_1, ..., h_{L−1} with the recognition weights; each generative
        level learns to predict the layer below from the one above (delta rule: the gradient of
        log p(h_l | h_{l+1}) is h_{l+1}ᵀ (h_l − σ(h_{l+1} G_l + a_l)) for G_l, its column sums for a_l).
        Top: CD-k on the top RBM, started at the wake states h_{L−1}.
        Sleep (down) pass: from the chain's end state, generate a "dream" down with the generative
        weights (sampled layers; probabilities for v); each recognition level learns to recover
        the dream's layer above from the one below (the same rule, upwards).
        Random draws in this order: wake samples bottom up, CD-k, sleep samples top down.  Adds
        the *negative* estimates (means over the batch) into .grad of ``parameters()``, as
        ``RBM.contrastive_divergence`` does, for a minimising optimiser.  Returns the dream's v.
        """
        if self.recognition is None:
            raise ValueError("DBN.up_down: call untie() first")
        v = as_float_array(v, "DBN.up_down")
        check_last_dim(v, self.sizes[0], "DBN.up_down", "visible units")
        n = len(v)
        wake = [v] + self.recognise(v, rng)
        for (G, a), below, above in zip(self.generative, wake[:-1], wake[1:]):
            err = below - sigmoid(above @ G.data + a.data)      # (N, sizes[l])
            G.grad -= above.T @ err / n
            a.grad -= err.mean(axis=0)
        dream = [self.rbms[-1].contrastive_divergence(wake[-1], k, rng)]
        for level in reversed(range(len(self.generative))):
            G, a = self.generative[level]
            p = sigmoid(dream[0] @ G.data + a.data)
            dream.insert(0, p if level == 0 else (rng.random(p.shape) < p).astype(np.float64))
        for (R, b), below, above in zip(self.recognition, dream[:-1], dream[1:]):
            err = above - sigmoid(below @ R.data.T + b.data)    # (N, sizes[l+1])
            R.grad -= err.T @ below / n
            b.grad -= err.mean(axis=0)
        return dream[0]


def train_up_down(dbn, X, epochs, optimizer, rng, batch_size=32, k=1, desc="up-down"):
    """Fine-tune an untied ``dbn`` with ``DBN.up_down`` (CD-k at the top) on shuffled minibatches
    of X (N, sizes[0]) for ``epochs`` epochs, stepping ``optimizer`` (built on ``dbn.parameters()``).
    Returns the per-epoch ``dbn.reconstruction_loglik(X)``, measured after each epoch."""
    X = as_float_array(X, "train_up_down")
    return _minibatch_epochs(X, epochs, optimizer, rng, batch_size, desc, "loglik",
                             step=lambda batch: dbn.up_down(batch, k, rng),
                             measure=lambda: dbn.reconstruction_loglik(X))
