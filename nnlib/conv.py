"""Convolution and pooling: Conv2d, MaxPool2d, AvgPool2d, and the im2col/col2im pair that
turns a convolution into one matrix product.  Chapter: "Convolutional neural networks".

Shapes follow PyTorch: images are NCHW (batch, channels, height, width), ``Conv2d.W`` is
(F, C, kh, kw) and, as in PyTorch, the layer computes a cross-correlation (the kernel is
not flipped):  y[n, f, a, b] = b[f] + Σ_{c,i,j} W[f, c, i, j] · x_pad[n, c, s_h·a + i, s_w·b + j].

im2col copies every receptive field into one *column* of a (C·kh·kw, OH·OW·N) matrix, its
rows in the order (c, i, j) of ``W.reshape(F, C·kh·kw)``, its columns in the order (a, b, n):
output position first, batch index fastest.  Then
    forward   Y = W_mat @ cols                                     (F, OH·OW·N)
    backward  dW = dY @ colsᵀ,   dcols = W_matᵀ @ dY,   dx = col2im(dcols)
are three matrix products over the whole batch, one BLAS call each, and col2im, the
adjoint of im2col, adds every column back onto the pixels it was copied from.  Conv2d
also appends a row of ones to cols (the "bias trick"), so that b is one more column of
W_mat: the forward product adds the bias and the dW product yields db, with no extra pass.

Why the batch index fastest: the image is first copied to (C, H, W, N), batch last; then
for a kernel offset (i, j) the (i, j) pixels of all windows form a slice whose contiguous
runs are OW·N numbers long (for stride 1), not OW as in NCHW.  The im2col copy and
col2im's kh·kw slice-adds move whole runs, and on the LeNet layers they ran 1.3-4× faster
than with the batch index first.

Memory layout of the results: Y comes out of the product as (F, OH, OW, N), batch last.
Conv2d returns it as the transposed *view* Y.transpose(3, 0, 1, 2): an array of shape
(N, F, OH, OW) that indexes, broadcasts and computes exactly like any other, but is stored
batch last (PyTorch calls such an array non-contiguous; its ``channels_last`` format is the
same idea).  Copying it to NCHW order would cost as much as the matrix product itself on the
LeNet layers.  col2im returns dx the same way.  The next Conv2d reads a batch-last input
with no transposing copy; anything that needs C order (``reshape`` in Flatten) copies.
"""
import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .core import Module, Parameter, as_float_array, cached, check_same_shape


def conv_output_size(n, k, s=1, p=0):
    """Output length of a convolution or pooling along one axis: ⌊(n + 2p − k)/s⌋ + 1.

    n input length, k kernel size, s stride, p zero padding on each side.  The floor drops
    a last window that would stick out of the padded input, as PyTorch does (ceil_mode=False).
    """
    return (n + 2 * p - k) // s + 1


def _pair(value, name, minimum):
    """An int or an (h, w) pair of ints → (h, w), each at least ``minimum``; else a ValueError."""
    pair = (value, value) if isinstance(value, (int, np.integer)) else value
    try:
        ok = len(pair) == 2 and all(isinstance(v, (int, np.integer)) and v >= minimum for v in pair)
    except TypeError:  # not a sequence
        ok = False
    if not ok:
        raise ValueError(f"{name} must be an int ≥ {minimum} or a pair (h, w) of them, got {value!r}")
    return int(pair[0]), int(pair[1])


def _check_window(who, H, W, kh, kw, ph=0, pw=0):
    """Raise a ValueError naming ``who`` if a kh×kw window does not fit the padded input."""
    if H + 2 * ph < kh or W + 2 * pw < kw:
        padding = f" (input {H}×{W}, padding {ph}×{pw})" if ph or pw else ""
        raise ValueError(f"{who}: kernel {kh}×{kw} is larger than the padded input "
                         f"{H + 2 * ph}×{W + 2 * pw}{padding}")


def im2col(x, kh, kw, stride=1, pad=0, out=None):
    """Copy every kh×kw receptive field of ``x`` into one column of a matrix.

    x (N, C, H, W) → cols (C·kh·kw, OH·OW·N), OH = conv_output_size(H, kh, s_h, p_h) and OW
    likewise.  Row (c, i, j) holds pixel (i, j) of channel c of every window, so
    ``W.reshape(F, -1) @ cols`` is the convolution.  Column (a, b, n) is the window of
    image n whose top-left corner is at (s_h·a − p_h, s_w·b − p_w): the batch index
    varies fastest (see the module docstring for why).  stride and pad: int or (h, w).
    ``out``, if given, is a (C·kh·kw, OH·OW·N) float64 array to fill instead of a new one.
    """
    sh, sw = _pair(stride, "im2col: stride", 1)
    ph, pw = _pair(pad, "im2col: pad", 0)
    x = as_float_array(x, "im2col")
    if x.ndim != 4:
        raise ValueError(f"im2col expects x of shape (N, C, H, W), got {x.shape}")
    N, C, H, W = x.shape
    _check_window("im2col", H, W, kh, kw, ph, pw)
    OH, OW = conv_output_size(H, kh, sh, ph), conv_output_size(W, kw, sw, pw)
    # the zero-padded image with the batch index last, (C, H + 2p_h, W + 2p_w, N); no copy
    # when there is no padding and x already is batch last in memory (a Conv2d output)
    if ph or pw:
        xp = np.zeros((C, H + 2 * ph, W + 2 * pw, N))
        xp[:, ph:ph + H, pw:pw + W] = x.transpose(1, 2, 3, 0)
    else:
        xp = np.ascontiguousarray(x.transpose(1, 2, 3, 0))
    # a view (C, H', W', N, kh, kw) of every window, no copy; the stride keeps every s-th one
    windows = sliding_window_view(xp, (kh, kw), axis=(1, 2))[:, ::sh, ::sw]
    if out is None:
        cols = np.empty((C * kh * kw, OH * OW * N))
    elif out.shape == (C * kh * kw, OH * OW * N) and out.dtype == np.float64 and out.flags.c_contiguous:
        cols = out
    else:
        raise ValueError(f"im2col: out must be a C-contiguous float64 array of shape "
                         f"{(C * kh * kw, OH * OW * N)}, got {out.dtype} {out.shape}")
    # the one big copy; for stride 1 it reads runs of OW·N contiguous numbers
    cols.reshape(C, kh, kw, OH, OW, N)[...] = windows.transpose(0, 4, 5, 1, 2, 3)
    return cols


def col2im(cols, x_shape, kh, kw, stride=1, pad=0):
    """The adjoint of im2col: add every column back onto the pixels it was copied from.

    cols (C·kh·kw, OH·OW·N), laid out as im2col's → array of shape x_shape = (N, C, H, W),
    returned as a batch-last view (see the module docstring).
    A pixel in several windows receives the sum of its entries, so for any x and Y,
    ⟨im2col(x), Y⟩ = ⟨x, col2im(Y)⟩; this is how the gradient flows back from the columns
    to the input.  Padding entries are added to the zero border and then dropped.

    The loop runs over the kh·kw kernel offsets, not the output positions: for a fixed
    offset (i, j) the windows hit distinct pixels, so one strided ``+=`` adds a whole
    (C, OH, OW, N) block.  np.add.at (or np.bincount) with a precomputed index of every
    column entry would do the scatter in one call, but element by element: 15× (3×)
    slower on the LeNet layers.
    """
    sh, sw = _pair(stride, "col2im: stride", 1)
    ph, pw = _pair(pad, "col2im: pad", 0)
    N, C, H, W = x_shape
    _check_window("col2im", H, W, kh, kw, ph, pw)
    OH, OW = conv_output_size(H, kh, sh, ph), conv_output_size(W, kw, sw, pw)
    cols = np.asarray(cols, dtype=np.float64)
    if cols.shape != (C * kh * kw, OH * OW * N):
        raise ValueError(f"col2im: cols for x of shape {tuple(x_shape)} with a {kh}×{kw} kernel must have "
                         f"shape (C·kh·kw, OH·OW·N) = {(C * kh * kw, OH * OW * N)}, got {cols.shape}")
    blocks = cols.reshape(C, kh, kw, OH, OW, N)
    xp = np.zeros((C, H + 2 * ph, W + 2 * pw, N))  # batch last, as the columns
    with np.errstate():  # restores numpy's ufunc buffer size on exit
        # numpy (≥ 2.3) copies strided operands through its 8192-number ufunc buffer when
        # their contiguous runs are shorter than that; these runs (OW·N numbers for stride 1)
        # need no copy, and a small buffer size makes the adds 2× faster
        np.setbufsize(16)
        for i in range(kh):
            for j in range(kw):
                xp[:, i:i + sh * (OH - 1) + 1:sh, j:j + sw * (OW - 1) + 1:sw] += blocks[:, i, j]
    return xp[:, ph:ph + H, pw:pw + W].transpose(3, 0, 1, 2)


class Conv2d(Module):
    """2-D convolution (cross-correlation, as ``torch.nn.Conv2d``) over a batch of images.

    Shapes: x (N, C, H, W) → y (N, F, OH, OW) with OH = ⌊(H + 2p_h − kh)/s_h⌋ + 1 and OW
    likewise; W (F, C, kh, kw); b (F,).  kernel_size, stride and padding: int or (h, w);
    padding adds zeros on every side.  Initialised as PyTorch: W and b uniform in
    ±1/sqrt(C·kh·kw).  Forward keeps the im2col matrix for the weight gradient and returns
    y as a batch-last view; backward returns dx the same way (see the module docstring).
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _pair(kernel_size, "Conv2d: kernel_size", 1)
        self.stride = _pair(stride, "Conv2d: stride", 1)
        self.padding = _pair(padding, "Conv2d: padding", 0)
        kh, kw = self.kernel_size
        bound = 1.0 / math.sqrt(in_channels * kh * kw)  # torch's kaiming_uniform(a=√5) reduces to this
        self.W = Parameter(rng.uniform(-bound, bound, (out_channels, in_channels, kh, kw)))
        self.b = Parameter(rng.uniform(-bound, bound, out_channels)) if bias else None
        self.cache = None

    def extra_repr(self):
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}, bias={self.b is not None}")

    def forward(self, x):
        x = as_float_array(x, self._name())
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"{self._name()} expects input (N, {self.in_channels}, H, W), got {x.shape}")
        N, _, H, W = x.shape
        (kh, kw), (sh, sw), (ph, pw) = self.kernel_size, self.stride, self.padding
        _check_window(self._name(), H, W, kh, kw, ph, pw)
        OH, OW = conv_output_size(H, kh, sh, ph), conv_output_size(W, kw, sw, pw)
        F, K = self.out_channels, self.in_channels * kh * kw
        # cols with a last row of ones, refilled if the previous call's has the right shape:
        # a fresh array of 150 MB (the 64 → 64 layer on 32×32 images) costs ~12 ms of page
        # faults per call, and the row of ones is written only once
        ones_below = self.cache[3] if self.cache is not None else None
        if ones_below is None or ones_below.shape != (K + 1, OH * OW * N):
            ones_below = np.empty((K + 1, OH * OW * N))
            ones_below[K] = 1.0
        cols = im2col(x, kh, kw, self.stride, self.padding, out=ones_below[:K])
        W_b = np.empty((F, K + 1))  # [W_mat | b]: the bias trick
        W_b[:, :K] = self.W.data.reshape(F, K)
        W_b[:, K] = 0.0 if self.b is None else self.b.data
        y = W_b @ ones_below                                    # (F, OH·OW·N) = W_mat cols + b
        out = y.reshape(F, OH, OW, N).transpose(3, 0, 1, 2)    # (N, F, OH, OW), a batch-last view
        self.cache = (cols, x.shape, out.shape, ones_below)
        return out

    def backward(self, dout):
        """dout (N, F, OH, OW) → dx (N, C, H, W), a batch-last view; adds dW = dY colsᵀ and db = Σ dout."""
        cols, x_shape, y_shape, ones_below = cached(self)
        dout = np.asarray(dout, dtype=np.float64)
        check_same_shape(dout, y_shape, self._name())
        N, F, OH, OW = y_shape
        # dout laid out as the columns of cols, (F, OH·OW·N); no copy if it already is (a
        # gradient computed elementwise from this layer's output keeps its batch-last layout)
        dy = np.ascontiguousarray(dout.transpose(1, 2, 3, 0)).reshape(F, OH * OW * N)
        # [dW_mat | db]ᵀ = [cols; 1] dyᵀ, one product; dy [cols; 1]ᵀ is the same product, but
        # OpenBLAS splits this orientation well over its two threads and the other ran 3-10×
        # slower on the 64 → 64 layer
        grads = ones_below @ dy.T                               # (C·kh·kw + 1, F)
        self.W.grad += grads[:-1].T.reshape(self.W.shape)
        if self.b is not None:
            self.b.grad += grads[-1]
        return col2im(self.W.data.reshape(F, -1).T @ dy, x_shape, *self.kernel_size, self.stride, self.padding)


class _Pool2d(Module):
    """What MaxPool2d and AvgPool2d share: the window arguments, the checks, the kernel offsets.

    Both loop over the kh·kw kernel offsets (i, j), not over output positions: the (i, j)
    pixels of all windows form one strided slice x[:, :, i::s_h, j::s_w] of shape
    (N, C, OH, OW), so each step is one vectorised operation over the whole batch.
    """

    pad_value = 0.0  # what the border is filled with (MaxPool2d: −∞, so padding never wins)

    def __init__(self, kernel_size, stride=None, padding=0):
        who = type(self).__name__
        self.kernel_size = _pair(kernel_size, f"{who}: kernel_size", 1)
        self.stride = self.kernel_size if stride is None else _pair(stride, f"{who}: stride", 1)
        self.padding = _pair(padding, f"{who}: padding", 0)
        if any(p > k // 2 for p, k in zip(self.padding, self.kernel_size)):
            raise ValueError(f"{who}: padding {self.padding} must be at most half the kernel size "
                             f"{self.kernel_size} (as in PyTorch)")

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"

    def _check(self, x):
        """x as float64 (N, C, H, W), or a ValueError naming the layer."""
        x = as_float_array(x, self._name())
        if x.ndim != 4:
            raise ValueError(f"{self._name()} expects input (N, C, H, W), got {x.shape}")
        _check_window(self._name(), x.shape[2], x.shape[3], *self.kernel_size, *self.padding)
        return x

    def _pad(self, x):
        """x with ``padding`` rows and columns of pad_value on each side (x itself without padding)."""
        ph, pw = self.padding
        if not (ph or pw):
            return x
        return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=self.pad_value)

    def _crop(self, dx_padded):
        """The gradient of the padded input → the gradient of x (the border's share is dropped)."""
        ph, pw = self.padding
        if not (ph or pw):
            return dx_padded
        return dx_padded[:, :, ph:dx_padded.shape[2] - ph, pw:dx_padded.shape[3] - pw].copy()

    def _padded_shape(self):
        N, C, H, W = cached(self)[0].shape  # cache[0] is the input x
        return (N, C, H + 2 * self.padding[0], W + 2 * self.padding[1])

    def _offsets(self, x_shape):
        """For each kernel offset (i, j) in row-major order: the slices that pick pixel (i, j)
        of every window out of an array of shape x_shape = (N, C, H, W)."""
        (kh, kw), (sh, sw) = self.kernel_size, self.stride
        OH, OW = conv_output_size(x_shape[2], kh, sh), conv_output_size(x_shape[3], kw, sw)
        for i in range(kh):
            for j in range(kw):
                yield (slice(None), slice(None),
                       slice(i, i + sh * (OH - 1) + 1, sh), slice(j, j + sw * (OW - 1) + 1, sw))

    def _overlapping(self):
        """Whether windows share pixels (stride < kernel); then backward must add, not assign."""
        return self.stride[0] < self.kernel_size[0] or self.stride[1] < self.kernel_size[1]

    def _dout(self, dout):
        """dout as float64, checked against the output shape of the last forward and copied
        into the memory layout of its input x: numpy's loops over operands stored in
        different orders (a batch-last x, a C-order dout from Flatten) ran 3× slower."""
        x_shape = self._padded_shape()
        (kh, kw), (sh, sw) = self.kernel_size, self.stride
        y_shape = x_shape[:2] + (conv_output_size(x_shape[2], kh, sh), conv_output_size(x_shape[3], kw, sw))
        dout = np.asarray(dout, dtype=np.float64)
        check_same_shape(dout, y_shape, self._name())
        laid_out = np.empty_like(self.cache[0], shape=y_shape)  # order "K" keeps x's layout
        if dout.strides == laid_out.strides:
            return dout
        laid_out[...] = dout
        return laid_out


class MaxPool2d(_Pool2d):
    """Maximum over each kh×kw window, as ``torch.nn.MaxPool2d(kernel_size, stride, padding)``.

    Shapes: x (N, C, H, W) → y (N, C, OH, OW), OH = ⌊(H + 2p − kh)/s_h⌋ + 1; stride defaults
    to the kernel size; the border is −∞, so a window's maximum is always a real pixel.  Backward routes each window's gradient to the
    position of its maximum, the first one in row-major order on ties, as PyTorch does
    (ties are common: after a ReLU a window is often all zeros).  Overlapping windows
    (stride < kernel) add up at the pixels they share.  As in PyTorch, a NaN counts as
    the maximum (the last NaN, if a window holds several).
    """

    pad_value = -np.inf

    def forward(self, x):
        x = self._check(x)
        xp = self._pad(x)
        y, arg = self._max_and_index(xp, nan_wins=False)
        if np.isnan(y).any():  # redo with the extra NaN test only when there is a NaN
            y, arg = self._max_and_index(xp, nan_wins=True)
        self.cache = (x, arg)
        return y

    def _max_and_index(self, x, nan_wins):
        """The window maxima y (N, C, OH, OW) and arg, the offset index i·kw + j of each."""
        offsets = self._offsets(x.shape)
        y = x[next(offsets)].copy(order="K")  # "K": keep x's memory layout (a Conv2d's is batch last)
        # a small integer type, since every step reads and writes arg (kh·kw ≤ 256 for any
        # sensible kernel)
        kh, kw = self.kernel_size
        arg = np.zeros_like(y, dtype=np.uint8 if kh * kw <= 256 else np.intp)
        for k, window_pixel in enumerate(offsets, start=1):
            v = x[window_pixel]
            better = v > y  # strictly: an equal value later in the window does not take over
            if nan_wins:
                better |= np.isnan(v)
            np.maximum(y, v, out=y)  # propagates NaN
            # k exceeds every earlier index, so max(arg, k·better) sets arg = k exactly where
            # better: an order of magnitude faster than the masked assignment arg[better] = k
            np.maximum(arg, better * arg.dtype.type(k), out=arg)
        return y, arg

    def backward(self, dout):
        """dout (N, C, OH, OW) → dx (N, C, H, W): dout at each window's argmax, 0 elsewhere."""
        dout = self._dout(dout)
        x, arg = self.cache
        dx = np.zeros_like(x, shape=self._padded_shape())  # laid out as x: the layer below sees one layout
        overlapping = self._overlapping()
        for k, window_pixel in enumerate(self._offsets(dx.shape)):
            if overlapping:
                dx[window_pixel] += dout * (arg == k)
            else:  # disjoint windows: each pixel is written once, straight into dx
                np.multiply(dout, arg == k, out=dx[window_pixel])
        return self._crop(dx)


class AvgPool2d(_Pool2d):
    """Mean over each kh×kw window, as ``torch.nn.AvgPool2d(kernel_size, stride, padding,
    count_include_pad)``.

    Shapes: x (N, C, H, W) → y (N, C, OH, OW), OH = ⌊(H + 2p − kh)/s_h⌋ + 1; stride defaults
    to the kernel size.  The border is zero padding; count_include_pad=True divides every window
    by kh·kw, False divides by the number of real (unpadded) pixels in the window.  Backward
    spreads each window's dout over its pixels with the same weights; pixels that no window
    covers (H − kh not a multiple of the stride) get 0.
    """

    def __init__(self, kernel_size, stride=None, padding=0, count_include_pad=True):
        super().__init__(kernel_size, stride, padding)
        self.count_include_pad = count_include_pad

    def extra_repr(self):
        return super().extra_repr() + ("" if self.count_include_pad else ", count_include_pad=False")

    def _divisor(self, padded_shape):
        """kh·kw, or (count_include_pad=False) the (OH, OW) counts of real pixels per window."""
        (kh, kw), (ph, pw) = self.kernel_size, self.padding
        if self.count_include_pad or not (ph or pw):
            return float(kh * kw)
        real = np.zeros((1, 1) + padded_shape[2:])
        real[:, :, ph:padded_shape[2] - ph, pw:padded_shape[3] - pw] = 1.0
        offsets = self._offsets(real.shape)
        count = real[next(offsets)].copy()
        for window_pixel in offsets:
            count += real[window_pixel]
        return count[0, 0]

    def forward(self, x):
        x = self._check(x)
        xp = self._pad(x)
        offsets = self._offsets(xp.shape)
        y = xp[next(offsets)].copy(order="K")  # "K": keep x's memory layout (a Conv2d's is batch last)
        for window_pixel in offsets:
            y += xp[window_pixel]
        y *= 1.0 / self._divisor(xp.shape)
        self.cache = (x,)
        return y

    def backward(self, dout):
        """dout (N, C, OH, OW) → dx (N, C, H, W), each window's pixels getting dout/divisor."""
        dout = self._dout(dout)
        padded_shape = self._padded_shape()
        share = dout * (1.0 / self._divisor(padded_shape))
        dx = np.zeros_like(self.cache[0], shape=padded_shape)  # laid out as x: the layer below sees one layout
        overlapping = self._overlapping()
        for window_pixel in self._offsets(dx.shape):
            if overlapping:
                dx[window_pixel] += share
            else:  # disjoint windows: each pixel is written once
                dx[window_pixel] = share
        return self._crop(dx)
