"""Slow, obvious reference implementations that the fast layers are checked against.

As CS231n keeps ``layers.py`` beside ``fast_layers.py``: convolution and pooling written as loops
over every output number, and the recurrent layers written as their equations, one time step and
one gate at a time, in rows (N, ·) as PyTorch's documentation writes them.  The tests compare
nnlib's im2col convolution, strided pools and column-major recurrent loops with these; the chapters
"Convolution" and "LSTM and GRU" use them to show what the fast versions compute.
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

def rnn_steps(cell, x, h):
    """h_t = f(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), one step at a time."""
    f = np.tanh if cell.nonlinearity == "tanh" else (lambda a: np.maximum(a, 0.0))
    out = []
    for x_t in x:
        h = f(x_t @ cell.W_ih.data.T + cell.b_ih.data + h @ cell.W_hh.data.T + cell.b_hh.data)
        out.append(h)
    return np.array(out), h


def lstm_steps(cell, x, h, c):
    """torch.nn.LSTM's equations, gate by gate, with the blocks in the order i, f, g, o."""
    W_ii, W_if, W_ig, W_io = np.split(cell.W_ih.data, 4)
    W_hi, W_hf, W_hg, W_ho = np.split(cell.W_hh.data, 4)
    b_ii, b_if, b_ig, b_io = np.split(cell.b_ih.data, 4)
    b_hi, b_hf, b_hg, b_ho = np.split(cell.b_hh.data, 4)
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


def gru_steps(cell, x, h):
    """torch.nn.GRU's equations, gate by gate, with the blocks in the order r, z, n."""
    W_ir, W_iz, W_in = np.split(cell.W_ih.data, 3)
    W_hr, W_hz, W_hn = np.split(cell.W_hh.data, 3)
    b_ir, b_iz, b_in = np.split(cell.b_ih.data, 3)
    b_hr, b_hz, b_hn = np.split(cell.b_hh.data, 3)
    out = []
    for x_t in x:
        r = sigmoid(x_t @ W_ir.T + b_ir + h @ W_hr.T + b_hr)
        z = sigmoid(x_t @ W_iz.T + b_iz + h @ W_hz.T + b_hz)
        n = np.tanh(x_t @ W_in.T + b_in + r * (h @ W_hn.T + b_hn))
        h = (1 - z) * n + z * h
        out.append(h)
    return np.array(out), h
