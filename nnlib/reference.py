"""Slow, obvious reference implementations that the fast layers are checked against.

As CS231n keeps ``layers.py`` beside ``fast_layers.py``: convolution and pooling written as loops
over every output number, and the recurrent layers written as their equations, one time step and
one gate at a time, in rows (N, ·) as PyTorch's documentation writes them.  The tests compare
nnlib's im2col convolution, strided pools and column-major recurrent loops with these.  The chapter
"Recurrent networks" composes ``rnn_steps`` by hand into a bidirectional layer and a stack of layers.
"""
import numpy as np

from .functional import sigmoid


# ------------------------------------------------------------------ convolution and pooling

def conv2d_loops(x, W, b, stride=(1, 1), padding=(0, 0)):
    """y[n, f, a, b] = b[f] + Σ_{c,i,j} W[f, c, i, j] x_pad[n, c, s_h a + i, s_w b + j], by loops."""
    N, C, H, Wd = x.shape
    F, _, kh, kw = W.shape
    (sh, sw), (ph, pw) = stride, padding
    xp = np.zeros((N, C, H + 2 * ph, Wd + 2 * pw))
    xp[:, :, ph:ph + H, pw:pw + Wd] = x
    OH, OW = (H + 2 * ph - kh) // sh + 1, (Wd + 2 * pw - kw) // sw + 1
    y = np.zeros((N, F, OH, OW))
    for n in range(N):
        for f in range(F):
            for a in range(OH):
                for bb in range(OW):
                    total = 0.0 if b is None else b[f]
                    for c in range(C):
                        for i in range(kh):
                            for j in range(kw):
                                total += W[f, c, i, j] * xp[n, c, sh * a + i, sw * bb + j]
                    y[n, f, a, bb] = total
    return y


def pool_loops(x, kernel, stride, reduce):
    """reduce(window) for every kh×kw window, by loops."""
    N, C, H, W = x.shape
    (kh, kw), (sh, sw) = kernel, stride
    OH, OW = (H - kh) // sh + 1, (W - kw) // sw + 1
    y = np.zeros((N, C, OH, OW))
    for n in range(N):
        for c in range(C):
            for a in range(OH):
                for b in range(OW):
                    y[n, c, a, b] = reduce(x[n, c, sh * a:sh * a + kh, sw * b:sw * b + kw])
    return y


def maxpool_backward_loops(x, dout, kernel, stride):
    """Each dout entry added at its window's first maximum in row-major order, by loops."""
    (kh, kw), (sh, sw) = kernel, stride
    dx = np.zeros_like(x)
    N, C, OH, OW = dout.shape
    for n in range(N):
        for c in range(C):
            for a in range(OH):
                for b in range(OW):
                    best = None
                    for i in range(kh):
                        for j in range(kw):
                            v = x[n, c, sh * a + i, sw * b + j]
                            if best is None or v > best[0]:
                                best = (v, i, j)
                    dx[n, c, sh * a + best[1], sw * b + best[2]] += dout[n, c, a, b]
    return dx


# ------------------------------------------------------------------ recurrent layers, step by step

def _weights(cell, suffix):
    """W_ih, W_hh, b_ih, b_hh of one layer and direction of ``cell``: suffix "" for a single layer,
    or PyTorch's "_l0", "_l1_reverse", ... for one layer and direction of a stack."""
    return [getattr(cell, name + suffix).data for name in ("W_ih", "W_hh", "b_ih", "b_hh")]


def rnn_steps(cell, x, h, suffix=""):
    """h_t = f(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), one step at a time.

    x (T, N, D), h (N, H) the initial state → (out (T, N, H), h_T (N, H)).  With ``suffix`` (e.g.
    "_l1_reverse"), the weights of that layer and direction of a stack; the reverse direction
    reads the sequence backwards, so pass it ``x[::-1]`` and flip its output back."""
    f = np.tanh if cell.nonlinearity == "tanh" else (lambda a: np.maximum(a, 0.0))
    W_ih, W_hh, b_ih, b_hh = _weights(cell, suffix)
    out = []
    for x_t in x:
        h = f(x_t @ W_ih.T + b_ih + h @ W_hh.T + b_hh)
        out.append(h)
    return np.array(out), h


def lstm_steps(cell, x, h, c, suffix=""):
    """torch.nn.LSTM's equations, gate by gate, with the blocks in the order i, f, g, o.
    x (T, N, D), h and c (N, H) → (out (T, N, H), h_T, c_T); ``suffix`` as in ``rnn_steps``."""
    W_ih, W_hh, b_ih, b_hh = _weights(cell, suffix)
    W_ii, W_if, W_ig, W_io = np.split(W_ih, 4)
    W_hi, W_hf, W_hg, W_ho = np.split(W_hh, 4)
    b_ii, b_if, b_ig, b_io = np.split(b_ih, 4)
    b_hi, b_hf, b_hg, b_ho = np.split(b_hh, 4)
    out = []
    for x_t in x:
        i = sigmoid(x_t @ W_ii.T + b_ii + h @ W_hi.T + b_hi)
        f = sigmoid(x_t @ W_if.T + b_if + h @ W_hf.T + b_hf)
        g = np.tanh(x_t @ W_ig.T + b_ig + h @ W_hg.T + b_hg)
        o = sigmoid(x_t @ W_io.T + b_io + h @ W_ho.T + b_ho)
        c = f * c + i * g
        h = o * np.tanh(c)
        out.append(h)
    return np.array(out), h, c


def gru_steps(cell, x, h, suffix=""):
    """torch.nn.GRU's equations, gate by gate, with the blocks in the order r, z, n.
    x (T, N, D), h (N, H) → (out (T, N, H), h_T (N, H)); ``suffix`` as in ``rnn_steps``."""
    W_ih, W_hh, b_ih, b_hh = _weights(cell, suffix)
    W_ir, W_iz, W_in = np.split(W_ih, 3)
    W_hr, W_hz, W_hn = np.split(W_hh, 3)
    b_ir, b_iz, b_in = np.split(b_ih, 3)
    b_hr, b_hz, b_hn = np.split(b_hh, 3)
    out = []
    for x_t in x:
        r = sigmoid(x_t @ W_ir.T + b_ir + h @ W_hr.T + b_hr)
        z = sigmoid(x_t @ W_iz.T + b_iz + h @ W_hz.T + b_hz)
        n = np.tanh(x_t @ W_in.T + b_in + r * (h @ W_hn.T + b_hn))
        h = (1 - z) * n + z * h
        out.append(h)
    return np.array(out), h
