"""Recurrent layers RNN, LSTM and GRU (sequence first, as ``torch.nn``, with ``num_layers`` and
``bidirectional``) with full backpropagation through time, and ``clip_grad_norm``.  Chapters:
"Recurrent networks" (RNN, clipping, bidirectional and stacked layers), "LSTM and GRU".

Shapes follow PyTorch with ``batch_first=False``: x (T, N, D), out (T, N, H).  A single-layer,
one-directional layer takes and returns states of shape (N, H); with ``num_layers`` > 1 or
``bidirectional=True`` it is a stack of such layers (layer k + 1 reads layer k's outputs, the
reverse direction reads the sequence backwards) whose states have PyTorch's shape
(num_layers·directions, N, H) and whose parameters PyTorch's names: ``W_ih_l0``, ``W_hh_l0``, …,
``W_ih_l0_reverse``, … .  The
G gate blocks of H rows are stacked in ``W_ih`` (G·H, D), ``W_hh`` (G·H, H), ``b_ih`` and
``b_hh`` (G·H,), in PyTorch's order: LSTM i, f, g, o; GRU r, z, n.

Inside, states are columns, h (H, N), and the equations read as in PyTorch's documentation,
h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh).  The reason is speed: a gate is then a
block of H whole rows of the (G·H, N) pre-activation, contiguous in memory, whereas in the
row layout (N, G·H) it would be a strided slice, on which numpy's element-wise ops, most of
the time at these sizes, run up to 3× slower.  The only Python loop runs over time
steps: all T input projections are one matmul call before the loop (batched over t, which
here beats one big GEMM followed by a strided copy per step), and after the loop dx, dW_ih
and dW_hh are one GEMM each, so a step costs one GEMM and a dozen element-wise ops on
(H, N) blocks that stay in cache.
"""
import math
from collections import namedtuple

import numpy as np

from .core import Module, Parameter, as_float_array, cached, check_same_shape
from .optim import clip_grad_norm  # noqa: F401  (its old home: nnlib.rnn.clip_grad_norm still works)


# What LSTM and GRU keep for backward, by name, since a reader may want to look at the gates.
# All states and gates are columns: hs, cs (T + 1, H, N) hold h_0 … h_T and c_0 … c_T;
# LSTM gates (T, 4H, N) hold the activations i, f, g, o of every step; tanh_c (T, H, N);
# GRU gates (T, 3H, N) hold r, z, n; hn (T, H, N) is W_hn h_{t-1} + b_hn.
LSTMCache = namedtuple("LSTMCache", "x hs cs gates tanh_c")
GRUCache = namedtuple("GRUCache", "x hs gates hn")


def _sigmoid_(a):
    """σ(a) in place, as 0.5·(1 + tanh(a/2)): the same function, overflow-free for any a and
    one transcendental pass (1/(1 + e^{-a}) needs a branch on the sign to avoid overflow)."""
    a *= 0.5
    np.tanh(a, out=a)
    a *= 0.5
    a += 0.5
    return a


class _Recurrent(Module):
    """What RNN, LSTM and GRU share: the parameters, input checks and the GEMMs around the loop."""

    G = 1  # gate blocks stacked in the weights

    def __init__(self, input_size, hidden_size, rng=None, num_layers=1, bidirectional=False, **cell_options):
        rng = np.random.default_rng() if rng is None else rng
        self.input_size, self.hidden_size = input_size, hidden_size
        self.num_layers, self.directions = num_layers, 2 if bidirectional else 1
        self.dh0 = None
        if num_layers < 1:
            raise ValueError(f"{type(self).__name__}: num_layers must be at least 1, got {num_layers}")
        self.cells = []  # the single-layer layers of a stack, layer by layer, forward direction first
        if num_layers > 1 or bidirectional:
            for k in range(num_layers):
                for d in range(self.directions):
                    size = input_size if k == 0 else self.directions * hidden_size
                    cell = type(self)(size, hidden_size, rng=rng, **cell_options)
                    suffix = f"_l{k}" + ("_reverse" if d else "")
                    for name in ("W_ih", "W_hh", "b_ih", "b_hh"):  # torch's names and order
                        setattr(self, name + suffix, getattr(cell, name))
                    self.cells.append(cell)
            return
        G, H, D = self.G, hidden_size, input_size
        bound = 1.0 / math.sqrt(hidden_size)  # torch's init: every parameter U(±1/√H)
        self.W_ih = Parameter(rng.uniform(-bound, bound, (G * H, D)))
        self.W_hh = Parameter(rng.uniform(-bound, bound, (G * H, H)))
        self.b_ih = Parameter(rng.uniform(-bound, bound, G * H))
        self.b_hh = Parameter(rng.uniform(-bound, bound, G * H))

    def extra_repr(self):
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers > 1:
            text += f", num_layers={self.num_layers}"
        return text + (", bidirectional=True" if self.directions == 2 else "")

    def named_children(self):
        return iter(())  # a stack's parameters are its own attributes (W_ih_l0, ...), in torch's order

    # -------------------------------------------------------------- stacks of layers
    def _stack_states(self, s, n, name):
        """A stack's initial state (L·dirs, N, H), or None, → one (N, H) array (or None) per cell."""
        if s is None:
            return [None] * len(self.cells)
        s = as_float_array(s, self._name())
        shape = (len(self.cells), n, self.hidden_size)
        if s.shape != shape:
            raise ValueError(f"{self._name()} expects {name} of shape (num_layers·directions, N, H) = {shape}, "
                             f"got {s.shape}")
        return list(s)

    def _stack_forward(self, x, initial):
        """Run the cells layer by layer; ``initial`` holds each cell's initial state (or None).
        Returns the last layer's output (T, N, directions·H) and each cell's final state."""
        x = self._check_x(x)
        self.cache = (x,)  # the cells keep their own caches
        finals = []
        for k in range(self.num_layers):
            outs = []
            for d in range(self.directions):
                i = k * self.directions + d
                out, final = self.cells[i].forward(x if d == 0 else x[::-1], initial[i])
                outs.append(out if d == 0 else out[::-1])  # the reverse direction's h_t back in time order
                finals.append(final)
            x = outs[0] if self.directions == 1 else np.concatenate(outs, axis=2)
        return x, finals

    def _stack_forward_h(self, x, h0):
        """RNN and GRU stacks: one state h, (num_layers·directions, N, H)."""
        N = np.shape(x)[1] if np.ndim(x) == 3 else 0
        out, finals = self._stack_forward(x, self._stack_states(h0, N, "h0"))
        return out, np.stack(finals)

    def _stack_backward_h(self, dout, dh_T):
        N = cached(self)[0].shape[1]
        return self._stack_backward(dout, self._stack_states(dh_T, N, "dh_T"))

    def _stack_backward(self, dout, final_grads):
        """Backward through the cells, top layer first; returns dx (T, N, D)."""
        H = self.hidden_size
        if dout is not None:
            dout = np.asarray(dout, dtype=np.float64)
            T, N = cached(self)[0].shape[:2]
            check_same_shape(dout, (T, N, self.directions * H), self._name())
        for k in reversed(range(self.num_layers)):
            dx = None
            for d in range(self.directions):
                i = k * self.directions + d
                part = None if dout is None else dout[:, :, d * H:(d + 1) * H]
                if d == 1:
                    part = None if part is None else part[::-1]
                    dx_cell = self.cells[i].backward(part, final_grads[i])[::-1]
                else:
                    dx_cell = self.cells[i].backward(part, final_grads[i])
                dx = dx_cell if dx is None else dx + dx_cell
            dout = dx
        self.dh0 = np.stack([cell.dh0 for cell in self.cells])
        return dout

    def _check_x(self, x):
        x = as_float_array(x, self._name())
        if x.ndim != 3 or x.shape[2] != self.input_size:
            raise ValueError(f"{self._name()} expects x of shape (T, N, {self.input_size}), got {x.shape}")
        return x

    def _initial_column(self, s, n, name):
        """The initial state ``s`` (N, H), or zeros if None, as a column block (H, N)."""
        if s is None:
            return np.zeros((self.hidden_size, n))
        s = as_float_array(s, self._name())
        if s.shape != (n, self.hidden_size):
            raise ValueError(f"{self._name()} expects {name} of shape (N, H) = ({n}, {self.hidden_size}), "
                             f"got {s.shape} (no layer axis: only a stack, num_layers > 1 or bidirectional, "
                             f"takes states of shape (num_layers·directions, N, H))")
        return s.T

    def _final_grad_column(self, g, n, name):
        """The upstream gradient of a final state, (N, H) or None (zeros), as a fresh (H, N) array."""
        if g is None:
            return np.zeros((self.hidden_size, n))
        g = np.asarray(g, dtype=np.float64)
        if g.shape != (n, self.hidden_size):
            raise ValueError(f"{self._name()}.backward: {name} has shape {g.shape}, "
                             f"but the final state had shape {(n, self.hidden_size)}")
        return g.T.copy()  # a copy: backward updates it in place

    def _dout_columns(self, dout, T, n):
        """dout (T, N, H) viewed as (T, H, N), or None: the loss reads only the final state."""
        if dout is None:
            return None
        dout = np.asarray(dout, dtype=np.float64)
        check_same_shape(dout, (T, n, self.hidden_size), self._name())
        return dout.transpose(0, 2, 1)

    def _project(self, x, bias):
        """W_ih x_t + bias for every step, as columns: x (T, N, D) → (T, G·H, N), one matmul call."""
        a = np.matmul(self.W_ih.data, x.transpose(0, 2, 1))
        a += bias[:, None]
        return a

    def _parameter_grads(self, x, hs, da, da_xn=None):
        """After the loop: add all four parameter gradients, one GEMM each, and return dx (T, N, D).

        x (T, N, D); hs (T + 1, H, N) the states h_0 … h_T as columns; da (G·H, T, N) the
        gradients of the pre-activations, step t in da[:, t].  Both sides, W_ih x_t + b_ih and
        W_hh h_{t-1} + b_hh, share them, except in the GRU, whose input side of n is da_xn
        (H, T, N): it is written into da's last block once the hidden side is done."""
        T, N, D = x.shape
        da = da.reshape(da.shape[0], T * N)
        h_prev = hs[:-1].transpose(0, 2, 1).reshape(T * N, self.hidden_size)  # rows h_{t-1}^T
        self.W_hh.grad += da @ h_prev
        db = da.sum(axis=1)
        self.b_hh.grad += db
        if da_xn is not None:
            da[-self.hidden_size:] = da_xn.reshape(self.hidden_size, T * N)
            db = da.sum(axis=1)
        self.b_ih.grad += db
        self.W_ih.grad += da @ x.reshape(T * N, D)
        return (da.T @ self.W_ih.data).reshape(T, N, D)


class RNN(_Recurrent):
    """Elman RNN: h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh), or relu.

    Shapes: x (T, N, D), h0 (N, H) or None (zeros) → out (T, N, H) = h_1 … h_T, h_T (N, H).
    W_ih (H, D), W_hh (H, H), b_ih and b_hh (H,).  As ``torch.nn.RNN(D, H, nonlinearity)``.
    """

    G = 1

    def __init__(self, input_size, hidden_size, nonlinearity="tanh", rng=None, *, num_layers=1, bidirectional=False):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, rng, num_layers, bidirectional, nonlinearity=nonlinearity)

    def extra_repr(self):
        return super().extra_repr() + (", nonlinearity='relu'" if self.nonlinearity == "relu" else "")

    def forward(self, x, h0=None):
        if self.cells:
            return self._stack_forward_h(x, h0)
        x = self._check_x(x)
        T, N, _ = x.shape
        hs = np.empty((T + 1, self.hidden_size, N))  # h_0 … h_T as columns
        hs[0] = self._initial_column(h0, N, "h0")
        a = self._project(x, self.b_ih.data + self.b_hh.data)
        W_hh = self.W_hh.data
        for t in range(T):
            h = hs[t + 1]
            np.matmul(W_hh, hs[t], out=h)
            h += a[t]
            if self.nonlinearity == "tanh":
                np.tanh(h, out=h)
            else:
                np.maximum(h, 0.0, out=h)
        self.cache = (x, hs)
        out = hs[1:].transpose(0, 2, 1).copy()  # back to rows (T, N, H), and a copy of the cache
        return out, hs[T].T.copy()

    def backward(self, dout, dh_T=None):
        """dout (T, N, H) (None: zeros), dh_T (N, H) or None → dx (T, N, D).

        Adds the gradients of W_ih, W_hh, b_ih, b_hh; stores ∂L/∂h_0 (N, H) as ``self.dh0``.
        A stack takes dh_T (num_layers·directions, N, H) and stores dh0 of that shape.
        """
        if self.cells:
            return self._stack_backward_h(dout, dh_T)
        x, hs = cached(self)
        T, N, _ = x.shape
        dout = self._dout_columns(dout, T, N)
        dh = self._final_grad_column(dh_T, N, "dh_T")
        # f' from the output h = f(a): tanh' = 1 − h², relu' = [h > 0]
        fprime = 1.0 - hs[1:] ** 2 if self.nonlinearity == "tanh" else (hs[1:] > 0).astype(np.float64)
        da = np.empty((self.hidden_size, T, N))  # ∂L/∂a_t in da[:, t]; the same for both sides
        W_hhT = np.ascontiguousarray(self.W_hh.data.T)  # row-major: the fastest GEMM here
        for t in reversed(range(T)):
            if dout is not None:
                dh += dout[t]  # h_t feeds both the output and step t + 1
            np.multiply(dh, fprime[t], out=da[:, t])
            np.matmul(W_hhT, da[:, t], out=dh)
        self.dh0 = dh.T.copy()
        return self._parameter_grads(x, hs, da)


class LSTM(_Recurrent):
    """Long short-term memory, as ``torch.nn.LSTM(D, H)``:

        i, f, o = σ(·), g = tanh(·) of the four blocks of  W_ih x_t + b_ih + W_hh h_{t-1} + b_hh
        c_t = f ⊙ c_{t-1} + i ⊙ g,    h_t = o ⊙ tanh(c_t)

    Shapes: x (T, N, D), state = (h0, c0), each (N, H), or None (zeros)
    → out (T, N, H), (h_T, c_T).  W_ih (4H, D), W_hh (4H, H), b_ih and b_hh (4H,),
    gate blocks in the order i, f, g, o.
    """

    G = 4

    def __init__(self, input_size, hidden_size, rng=None, *, num_layers=1, bidirectional=False):
        super().__init__(input_size, hidden_size, rng, num_layers, bidirectional)
        self.dc0 = None

    def forward(self, x, state=None):
        if self.cells:  # a stack: states (num_layers·directions, N, H)
            h0, c0 = (None, None) if state is None else state
            N = np.shape(x)[1] if np.ndim(x) == 3 else 0
            initial = list(zip(self._stack_states(h0, N, "h0"), self._stack_states(c0, N, "c0")))
            out, finals = self._stack_forward(x, [None if h is None and c is None else (h, c) for h, c in initial])
            return out, (np.stack([h for h, _ in finals]), np.stack([c for _, c in finals]))
        x = self._check_x(x)
        T, N, _ = x.shape
        H = self.hidden_size
        h0, c0 = (None, None) if state is None else state
        hs, cs = np.empty((T + 1, H, N)), np.empty((T + 1, H, N))  # columns, t = 0 … T
        hs[0], cs[0] = self._initial_column(h0, N, "h0"), self._initial_column(c0, N, "c0")
        gates = self._project(x, self.b_ih.data + self.b_hh.data)  # becomes i, f, g, o in place
        tanh_c = np.empty((T, H, N))
        W_hh = self.W_hh.data
        hw, ig = np.empty((4 * H, N)), np.empty((H, N))
        for t in range(T):
            a = gates[t]
            np.matmul(W_hh, hs[t], out=hw)
            a += hw
            _sigmoid_(a[:2 * H])  # i and f are adjacent
            np.tanh(a[2 * H:3 * H], out=a[2 * H:3 * H])
            _sigmoid_(a[3 * H:])
            i, f, g, o = a.reshape(4, H, N)
            c = cs[t + 1]
            np.multiply(f, cs[t], out=c)
            np.multiply(i, g, out=ig)
            c += ig
            np.tanh(c, out=tanh_c[t])
            np.multiply(o, tanh_c[t], out=hs[t + 1])
        self.cache = LSTMCache(x, hs, cs, gates, tanh_c)
        out = hs[1:].transpose(0, 2, 1).copy()
        return out, (hs[T].T.copy(), cs[T].T.copy())

    def backward(self, dout, dstate=None):
        """dout (T, N, H) (None: zeros), dstate = (dh_T, dc_T), each (N, H) or None → dx (T, N, D).

        Adds the gradients of W_ih, W_hh, b_ih, b_hh; stores ∂L/∂h_0 and ∂L/∂c_0 (N, H) as
        ``self.dh0`` and ``self.dc0``.
        """
        if self.cells:  # a stack: dstate and the stored dh0, dc0 are (num_layers·directions, N, H)
            T, N = cached(self)[0].shape[:2]
            dh_T, dc_T = (None, None) if dstate is None else dstate
            grads = zip(self._stack_states(dh_T, N, "dh_T"), self._stack_states(dc_T, N, "dc_T"))
            dx = self._stack_backward(dout, [None if h is None and c is None else (h, c) for h, c in grads])
            self.dc0 = np.stack([cell.dc0 for cell in self.cells])
            return dx
        x, hs, cs, gates, tanh_c = cached(self)
        T, N, _ = x.shape
        H = self.hidden_size
        dout = self._dout_columns(dout, T, N)
        dh_T, dc_T = (None, None) if dstate is None else dstate
        dh = self._final_grad_column(dh_T, N, "dh_T")
        dc = self._final_grad_column(dc_T, N, "dc_T")
        da = np.empty((4 * H, T, N))  # ∂L/∂(pre-activations) of step t in da[:, t]; both sides
        d = np.empty((4 * H, N))  # the same for the current step, contiguous
        d_i, d_f, d_g, d_o = d.reshape(4, H, N)
        W_hhT = np.ascontiguousarray(self.W_hh.data.T)  # (H, 4H) row-major: the fastest GEMM here
        tmp = np.empty((H, N))
        # Per step on (H, N) blocks that stay in cache; precomputing the local factors for all
        # steps at once is fewer calls but streams arrays through memory and is slower.
        for t in reversed(range(T)):
            if dout is not None:
                dh += dout[t]  # h_t feeds both the output and step t + 1
            s = gates[t]
            i, f, g, o = s.reshape(4, H, N)
            tc = tanh_c[t]
            np.subtract(1.0, s, out=d)  # σ' = s(1 − s) for i, f, o ...
            d *= s
            np.multiply(g, g, out=d_g)  # ... and tanh' = 1 − g² for g
            np.subtract(1.0, d_g, out=d_g)
            # h_t = o ⊙ tanh(c_t): ∂a_o = dh·tanh(c)·σ', and dc gains dh·o·(1 − tanh²(c))
            d_o *= tc
            d_o *= dh
            np.multiply(tc, tc, out=tmp)
            np.subtract(1.0, tmp, out=tmp)
            tmp *= o
            tmp *= dh
            dc += tmp
            # c_t = f ⊙ c_{t-1} + i ⊙ g: ∂a_i = dc·g·σ', ∂a_f = dc·c_{t-1}·σ', ∂a_g = dc·i·tanh'
            d_i *= g
            d_f *= cs[t]
            d_g *= i
            d_ifg = d[:3 * H].reshape(3, H, N)
            d_ifg *= dc
            dc *= f  # c_{t-1} reaches c_t only through f
            da[:, t] = d
            np.matmul(W_hhT, d, out=dh)
        self.dh0, self.dc0 = dh.T.copy(), dc.T.copy()
        return self._parameter_grads(x, hs, da)


class GRU(_Recurrent):
    """Gated recurrent unit, as ``torch.nn.GRU(D, H)`` (whose convention this is):

        r, z = σ(W_i{r,z} x_t + b_i{r,z} + W_h{r,z} h_{t-1} + b_h{r,z})
        n = tanh(W_in x_t + b_in + r ⊙ (W_hn h_{t-1} + b_hn))
        h_t = (1 − z) ⊙ n + z ⊙ h_{t-1}

    Note that r multiplies W_hn h + b_hn, bias included, and z = 1 keeps the old state.
    Shapes: x (T, N, D), h0 (N, H) or None (zeros) → out (T, N, H), h_T (N, H).
    W_ih (3H, D), W_hh (3H, H), b_ih and b_hh (3H,), gate blocks in the order r, z, n.
    """

    G = 3

    def __init__(self, input_size, hidden_size, rng=None, *, num_layers=1, bidirectional=False):
        super().__init__(input_size, hidden_size, rng, num_layers, bidirectional)

    def forward(self, x, h0=None):
        if self.cells:
            return self._stack_forward_h(x, h0)
        x = self._check_x(x)
        T, N, _ = x.shape
        H = self.hidden_size
        hs = np.empty((T + 1, H, N))
        hs[0] = self._initial_column(h0, N, "h0")
        bias = self.b_ih.data.copy()
        bias[:2 * H] += self.b_hh.data[:2 * H]  # b_hn sits inside r ⊙ (…), not here
        gates = self._project(x, bias)  # becomes r, z, n in place
        b_hn = self.b_hh.data[2 * H:, None]
        hn = np.empty((T, H, N))  # W_hn h_{t-1} + b_hn, which backward needs for ∂n/∂r
        W_hh = self.W_hh.data
        hw = np.empty((3 * H, N))
        for t in range(T):
            a = gates[t]
            np.matmul(W_hh, hs[t], out=hw)
            a[:2 * H] += hw[:2 * H]
            _sigmoid_(a[:2 * H])
            r, z, n = a.reshape(3, H, N)
            np.add(hw[2 * H:], b_hn, out=hn[t])
            np.multiply(r, hn[t], out=hw[2 * H:])  # hw's n block is free scratch now
            n += hw[2 * H:]
            np.tanh(n, out=n)
            h = hs[t + 1]  # (1 − z) n + z h = n + z (h − n): one multiply fewer
            np.subtract(hs[t], n, out=h)
            h *= z
            h += n
        self.cache = GRUCache(x, hs, gates, hn)
        out = hs[1:].transpose(0, 2, 1).copy()
        return out, hs[T].T.copy()

    def backward(self, dout, dh_T=None):
        """As ``RNN.backward``: dout (T, N, H), dh_T → dx (T, N, D); stores ``self.dh0``."""
        if self.cells:
            return self._stack_backward_h(dout, dh_T)
        x, hs, gates, hn = cached(self)
        T, N, _ = x.shape
        H = self.hidden_size
        dout = self._dout_columns(dout, T, N)
        dh = self._final_grad_column(dh_T, N, "dh_T")
        da = np.empty((3 * H, T, N))  # hidden-side pre-activation gradients, step t in da[:, t]
        da_xn = np.empty((H, T, N))  # input side of n; for r and z both sides agree
        d = np.empty((3 * H, N))  # the current step's, contiguous
        d_r, d_z, d_n = d.reshape(3, H, N)
        W_hhT = np.ascontiguousarray(self.W_hh.data.T)  # (H, 3H) row-major: the fastest GEMM here
        tmp = np.empty((H, N))
        for t in reversed(range(T)):
            if dout is not None:
                dh += dout[t]  # h_t feeds both the output and step t + 1
            s = gates[t]
            r, z, n = s.reshape(3, H, N)
            np.subtract(1.0, s, out=d)  # σ' = s(1 − s) for r and z; d_n is overwritten next
            d *= s
            # h_t = (1 − z) n + z h_{t-1}:  ∂a_n = dh (1 − z) tanh'(n),  ∂a_z = dh (h_{t-1} − n) σ'(z)
            np.multiply(n, n, out=d_n)
            np.subtract(1.0, d_n, out=d_n)
            np.subtract(1.0, z, out=tmp)
            d_n *= tmp
            d_n *= dh
            np.subtract(hs[t], n, out=tmp)
            d_z *= tmp
            d_z *= dh
            # n = tanh(… + r ⊙ hn):  ∂a_r = ∂a_n · hn · σ'(r); the hidden side of n sees ∂a_n · r
            d_r *= hn[t]
            d_r *= d_n
            da_xn[:, t] = d_n
            d_n *= r
            da[:, t] = d
            np.multiply(dh, z, out=tmp)  # h_{t-1} also reaches h_t directly, through z
            np.matmul(W_hhT, d, out=dh)
            dh += tmp
        self.dh0 = dh.T.copy()
        return self._parameter_grads(x, hs, da, da_xn)
