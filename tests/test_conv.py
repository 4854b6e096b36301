"""Conv2d, MaxPool2d, AvgPool2d, im2col/col2im: float64 gradient checks, naive-loop references,
the adjoint identity, the output-size formula, hand-computed cases, errors, and PyTorch."""
import numpy as np
import pytest

import nnlib
from nnlib import layers
from nnlib.conv import AvgPool2d, Conv2d, MaxPool2d, col2im, conv_output_size, im2col
from nnlib import reference
from nnlib.gradcheck import check_module, relative_error

TOL = 1e-7


def rng():
    return np.random.default_rng(0)


def distinct(shape, spacing=0.1):
    """Values at least ``spacing`` apart in random order: no two window entries are within
    the finite-difference step of each other, so a max pool's argmax cannot flip."""
    return (rng().permutation(int(np.prod(shape))) * spacing - 1.0).reshape(shape)


# ------------------------------------------------------------------ gradient checks

def make_modules():
    r = rng()
    return {
        "Conv2d": (Conv2d(1, 1, 3, rng=r), (2, 1, 5, 5)),
        "Conv2d-C3-F4": (Conv2d(3, 4, 3, rng=r), (2, 3, 6, 5)),
        "Conv2d-stride2": (Conv2d(2, 3, 3, stride=2, rng=r), (2, 2, 7, 8)),
        "Conv2d-padding": (Conv2d(2, 3, 3, padding=1, rng=r), (2, 2, 5, 4)),
        "Conv2d-rect": (Conv2d(2, 3, (2, 3), stride=(2, 1), padding=(1, 2), rng=r), (2, 2, 5, 6)),
        "Conv2d-nobias": (Conv2d(3, 2, 2, bias=False, rng=r), (2, 3, 4, 4)),
        "Conv2d-1x1": (Conv2d(4, 2, 1, rng=r), (3, 4, 3, 2)),
        "Conv2d-kernel=input": (Conv2d(2, 3, (4, 3), rng=r), (2, 2, 4, 3)),
        "MaxPool2d": (MaxPool2d(2), (2, 3, 6, 6)),
        "MaxPool2d-overlap": (MaxPool2d(3, stride=2), (2, 2, 7, 8)),
        "MaxPool2d-rect": (MaxPool2d((2, 3), stride=(1, 2)), (2, 2, 5, 7)),
        "AvgPool2d": (AvgPool2d(2), (2, 3, 5, 7)),
        "AvgPool2d-overlap": (AvgPool2d(3, stride=2), (2, 2, 7, 8)),
        "AvgPool2d-rect": (AvgPool2d((3, 2), stride=(2, 3)), (2, 2, 7, 8)),
        "LeNet-like": (nnlib.Sequential(Conv2d(1, 3, 3, padding=1, rng=r), layers.Tanh(), MaxPool2d(2),
                                        Conv2d(3, 4, 2, rng=r), layers.Tanh(), AvgPool2d(2),
                                        layers.Flatten(), layers.Linear(4, 2, rng=r)), (2, 1, 6, 6)),
    }


@pytest.mark.parametrize("name", sorted(make_modules()))
def test_gradcheck(name):
    module, shape = make_modules()[name]
    errors = check_module(module, distinct(shape))
    assert set(errors) == {"x"} | {n for n, _ in module.named_parameters()}
    assert max(errors.values()) < TOL, errors


# ------------------------------------------------------------------ forward vs loops

@pytest.mark.parametrize("c_in, c_out, kernel, stride, padding, bias, shape", [
    (1, 2, 3, 1, 0, True, (2, 1, 6, 5)),
    (3, 4, 2, 2, 1, True, (2, 3, 7, 6)),
    (2, 3, (3, 2), (1, 2), (2, 0), False, (3, 2, 5, 8)),
    (2, 2, 5, 3, 2, True, (1, 2, 9, 9)),
    (3, 2, 2, 3, 0, True, (2, 3, 8, 7)),  # stride > kernel: some pixels are in no window
])
def test_conv_forward_matches_loops(c_in, c_out, kernel, stride, padding, bias, shape):
    conv = Conv2d(c_in, c_out, kernel, stride, padding, bias, rng=rng())
    x = rng().standard_normal(shape)
    expected = reference.conv2d_loops(x, conv.W.data, None if conv.b is None else conv.b.data,
                            conv.stride, conv.padding)
    assert conv(x).shape == expected.shape
    assert relative_error(conv(x), expected) < 1e-13


@pytest.mark.parametrize("kernel, stride, shape", [
    (2, None, (2, 3, 6, 6)), (3, 2, (2, 2, 7, 8)), ((2, 3), (1, 2), (1, 2, 5, 7)), (3, 1, (1, 1, 3, 4)),
    (2, 3, (2, 2, 8, 7)),
])
def test_pools_match_loops(kernel, stride, shape):
    x = rng().standard_normal(shape)
    x[0, 0, :2, :] = 0.0  # ties, as after a ReLU
    for module, reduce in [(MaxPool2d(kernel, stride), np.max), (AvgPool2d(kernel, stride), np.mean)]:
        assert relative_error(module(x), reference.pool_loops(x, module.kernel_size, module.stride, reduce)) < 1e-15
    pool = MaxPool2d(kernel, stride)
    dout = rng().standard_normal(pool(x).shape)
    assert np.array_equal(pool.backward(dout), reference.maxpool_backward_loops(x, dout, pool.kernel_size, pool.stride))


# ------------------------------------------------------------------ im2col / col2im

@pytest.mark.parametrize("shape, kh, kw, stride, pad", [
    ((2, 3, 6, 5), 3, 3, 1, 0), ((2, 2, 7, 8), 3, 2, 2, 1), ((1, 1, 5, 5), 5, 5, 1, 2),
    ((3, 2, 9, 6), 2, 4, (3, 1), (0, 2)),
])
def test_im2col_layout_and_adjoint(shape, kh, kw, stride, pad):
    x = rng().standard_normal(shape)
    cols = im2col(x, kh, kw, stride, pad)
    N, C, H, W = shape
    (sh, sw), (ph, pw) = np.broadcast_to(stride, 2), np.broadcast_to(pad, 2)
    OH, OW = conv_output_size(H, kh, sh, ph), conv_output_size(W, kw, sw, pw)
    assert cols.shape == (C * kh * kw, OH * OW * N)
    # column (a, b, n) is the receptive field at (s_h a, s_w b) of padded image n, read in (c, i, j) order
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    for n, a, b in [(0, 0, 0), (N - 1, OH - 1, OW // 2), (N // 2, OH // 2, OW - 1)]:
        window = xp[n, :, sh * a:sh * a + kh, sw * b:sw * b + kw]
        assert np.array_equal(cols[:, (a * OW + b) * N + n], window.ravel())
    # col2im is the adjoint: <im2col(x), Y> = <x, col2im(Y)> for every x and Y
    Y = rng().standard_normal(cols.shape)
    back = col2im(Y, shape, kh, kw, stride, pad)
    assert back.shape == shape
    assert np.sum(cols * Y) == pytest.approx(np.sum(x * back), rel=1e-12)


def test_conv_is_a_matrix_product_on_im2col():
    conv = Conv2d(3, 4, 3, stride=2, padding=1, rng=rng())
    x = rng().standard_normal((2, 3, 7, 6))
    y = conv(x)
    cols = im2col(x, 3, 3, 2, 1)
    expected = (conv.W.data.reshape(4, -1) @ cols + conv.b.data[:, None]).reshape(4, *y.shape[2:], 2)
    assert relative_error(y, expected.transpose(3, 0, 1, 2)) < 1e-14


def test_conv_refills_its_im2col_buffer_correctly():
    conv, fresh = Conv2d(2, 3, 3, padding=1, rng=rng()), Conv2d(2, 3, 3, padding=1, rng=rng())
    r = rng()
    x1, x2, x3 = r.standard_normal((2, 2, 5, 5)), r.standard_normal((2, 2, 5, 5)), r.standard_normal((3, 2, 5, 5))
    conv(x1)
    buffer = conv.cache[3]  # the im2col matrix with its row of ones, cache[0] a view of its top
    for x in (x2, x3):  # same shape: the buffer is refilled; new batch size: a new one
        y = conv(x)
        dout = r.standard_normal(y.shape)
        conv.zero_grad()
        fresh.zero_grad()
        assert np.array_equal(y, fresh(x))
        assert np.array_equal(conv.backward(dout), fresh.backward(dout))
        assert np.array_equal(conv.W.grad, fresh.W.grad)
        assert (conv.cache[3] is buffer) == (x is x2)
        assert np.array_equal(conv.cache[0], im2col(x, 3, 3, 1, 1)) and np.all(conv.cache[3][-1] == 1)
    cols = np.empty((2 * 9, 5 * 5 * 3))
    assert im2col(x3, 3, 3, 1, 1, out=cols) is cols and np.array_equal(cols, im2col(x3, 3, 3, 1, 1))


def test_memory_layouts_do_not_change_the_numbers():
    """Conv2d returns batch-last views and the pools keep their input's layout, so a network
    passes batch-last arrays along; the same layers fed C-order copies must give the same numbers."""
    r = rng()
    chain = [Conv2d(2, 3, 3, padding=1, rng=r), layers.ReLU(), MaxPool2d(2), Conv2d(3, 4, 2, rng=r),
             AvgPool2d(2), layers.Flatten(), layers.Linear(4, 2, rng=r)]
    x = r.standard_normal((5, 2, 6, 6))
    acts = [x]
    for layer in chain:
        acts.append(layer(acts[-1]))
    for a in (acts[1], acts[4]):  # the two Conv2d outputs: (N, F, OH, OW) stored as (F, OH, OW, N)
        assert not a.flags.c_contiguous and a.transpose(1, 2, 3, 0).flags.c_contiguous
    assert acts[3].transpose(1, 2, 3, 0).flags.c_contiguous  # the max pool kept the layout
    grads = [r.standard_normal(acts[-1].shape)]
    for layer in reversed(chain):
        grads.append(layer.backward(grads[-1]))
    grads = grads[::-1]  # grads[i]: the gradient with respect to acts[i]
    assert grads[0].strides[0] == 8  # dx of Conv2d: batch last as well (a view into the padded image)
    params = [p for layer in chain for p in layer.parameters()]
    param_grads = [p.grad.copy() for p in params]
    # each layer again, on its own, with C-order input and upstream gradient
    for i, layer in enumerate(chain):
        layer.zero_grad()
        assert np.array_equal(layer(np.ascontiguousarray(acts[i])), acts[i + 1])
        assert np.array_equal(layer.backward(np.ascontiguousarray(grads[i + 1])), grads[i])
    assert all(np.array_equal(g, p.grad) for g, p in zip(param_grads, params))
    x_c = np.ascontiguousarray(x)
    assert np.array_equal(im2col(acts[1], 2, 2), im2col(np.ascontiguousarray(acts[1]), 2, 2))
    assert np.array_equal(im2col(x_c, 3, 3, 1, 1), im2col(x_c.transpose(3, 2, 1, 0).copy().transpose(3, 2, 1, 0), 3, 3, 1, 1))


# ------------------------------------------------------------------ output size

def test_output_size_formula_matches_actual_shapes():
    checked = 0
    for n in range(1, 12):
        for k in range(1, 6):
            for s in range(1, 4):
                for p in range(0, 3):
                    if n + 2 * p < k:
                        continue
                    expected = len(range(0, n + 2 * p - k + 1, s))  # window start positions
                    assert conv_output_size(n, k, s, p) == expected
                    y = Conv2d(1, 1, (k, 1), stride=(s, 1), padding=(p, 0), rng=rng())(np.ones((1, 1, n, 2)))
                    assert y.shape == (1, 1, expected, 2)
                    if p == 0:
                        assert MaxPool2d((1, k), (1, s))(np.ones((1, 1, 2, n))).shape == (1, 1, 2, expected)
                        assert AvgPool2d((1, k), (1, s))(np.ones((1, 1, 2, n))).shape == (1, 1, 2, expected)
                    checked += 1
    assert checked > 400
    # LeNet-5 on MNIST: 28 → conv 5 → 24 → pool 2 → 12 → conv 5 → 8 → pool 2 → 4
    assert [conv_output_size(28, 5), conv_output_size(24, 2, 2), conv_output_size(12, 5),
            conv_output_size(8, 2, 2)] == [24, 12, 8, 4]
    assert conv_output_size(32, 3, 1, 1) == 32  # "same" padding for a 3×3 kernel


# ------------------------------------------------------------------ hand-computed cases

def conv_with(W, b=0.0, **kw):
    """A Conv2d(1 → 1) with the given kernel and bias."""
    W = np.asarray(W, dtype=np.float64)
    conv = Conv2d(1, 1, W.shape, **kw)
    conv.W.data[...] = W
    conv.b.data[...] = b
    return conv


def test_1d_example_as_a_1_by_n_image():
    # the notes' 1-D example: slide the kernel along the signal, multiply and sum; the first
    # step is 1·1 + 1·1 = 2 and the result is [2, 3, 2, 1]
    signal = np.array([1.0, 1.0, 2.0, 0.0, 1.0]).reshape(1, 1, 1, 5)
    conv = conv_with([[1.0, 1.0]])
    assert np.array_equal(conv(signal).ravel(), [2.0, 3.0, 2.0, 1.0])
    # zero padding at both ends: one more output at each end
    assert np.array_equal(conv_with([[1.0, 1.0]], padding=(0, 1))(signal).ravel(), [1, 2, 3, 2, 1, 1])
    # stride 2 keeps every second output
    assert np.array_equal(conv_with([[1.0, 1.0]], stride=(1, 2))(signal).ravel(), [2.0, 2.0])
    # PyTorch's convention: cross-correlation, the kernel is not flipped
    assert np.array_equal(conv_with([[1.0, 2.0]])(np.array([[[[1.0, 0.0, 0.0]]]])).ravel(), [1.0, 0.0])


def test_2d_hand_computed():
    x = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)  # [[1 2 3] [4 5 6] [7 8 9]]
    # a diagonal difference: x[a, b] − x[a+1, b+1] = −4 everywhere
    assert np.array_equal(conv_with([[1, 0], [0, -1]])(x), np.full((1, 1, 2, 2), -4.0))
    # a 2×2 kernel, stride 2, padding 1: windows at the padded rows/columns (0, 1) and (2, 3)
    #   [0 0; 0 1]·W, [0 0; 2 3]·W, [0 4; 0 7]·W, [5 6; 8 9]·W  with W = [1 2; 3 4], bias 0.5
    conv = conv_with([[1, 2], [3, 4]], b=0.5, stride=2, padding=1)
    y = conv(x)
    assert np.array_equal(y, [[[[4.5, 18.5], [36.5, 77.5]]]])
    # dout = 1: each pixel lies in exactly one window, at offset ((h+1) mod 2, (w+1) mod 2)
    dx = conv.backward(np.ones_like(y))
    assert np.array_equal(dx, [[[[4, 3, 4], [2, 1, 2], [4, 3, 4]]]])
    # dW[i, j] sums offset (i, j) over the windows: 0+0+0+5, 0+0+4+6, 0+2+0+8, 1+3+7+9
    assert np.array_equal(conv.W.grad, [[[[5, 10], [10, 20]]]])
    assert conv.b.grad[0] == 4.0


def test_pools_hand_computed():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    assert np.array_equal(MaxPool2d(2)(x), [[[[5, 7], [13, 15]]]])
    assert np.array_equal(AvgPool2d(2)(x), [[[[2.5, 4.5], [10.5, 12.5]]]])
    assert np.array_equal(MaxPool2d(3, stride=1)(x), [[[[10, 11], [14, 15]]]])
    avg = AvgPool2d(2)
    avg(x)
    assert np.array_equal(avg.backward(np.full((1, 1, 2, 2), 4.0)), np.ones((1, 1, 4, 4)))


def test_maxpool_ties_go_to_the_first_maximum():
    pool = MaxPool2d(2)
    x = np.array([[[[0.0, 0.0], [0.0, 0.0]], [[1.0, 3.0], [3.0, 3.0]]]]).reshape(1, 2, 2, 2)
    assert np.array_equal(pool(x).ravel(), [0.0, 3.0])
    dx = pool.backward(np.array([5.0, 7.0]).reshape(1, 2, 1, 1))
    assert np.array_equal(dx, [[[[5, 0], [0, 0]], [[0, 7], [0, 0]]]])
    # overlapping windows: a pixel that is the maximum of two windows gets both gradients
    pool = MaxPool2d((1, 2), stride=1)
    pool(np.array([[[[1.0, 9.0, 2.0]]]]))
    assert np.array_equal(pool.backward(np.array([[[[1.0, 10.0]]]])), [[[[0.0, 11.0, 0.0]]]])
    # as in PyTorch a NaN is the maximum, the last one if a window holds two
    pool = MaxPool2d(2)
    y = pool(np.array([[[[1.0, np.nan, 5.0, 2.0], [np.nan, 0.0, 1.0, 3.0]]]]))
    assert np.isnan(y[0, 0, 0, 0]) and y[0, 0, 0, 1] == 5.0
    assert np.array_equal(pool.backward(np.ones_like(y)), [[[[0, 0, 1, 0], [1, 0, 0, 0]]]])


# ------------------------------------------------------------------ parameters and modules

def test_conv_shapes_and_init_bound_as_torch():
    conv = Conv2d(3, 8, 5, rng=rng())
    assert conv.W.shape == (8, 3, 5, 5) and conv.b.shape == (8,)
    bound = 1 / np.sqrt(3 * 5 * 5)
    assert np.abs(conv.W.data).max() <= bound and np.abs(conv.b.data).max() <= bound
    # uniform on [-bound, bound] has standard deviation bound/sqrt(3)
    assert conv.W.data.std() == pytest.approx(bound / np.sqrt(3), rel=0.05)
    assert Conv2d(3, 8, 5, bias=False).b is None
    assert [n for n, _ in Conv2d(1, 2, 3).named_parameters()] == ["W", "b"]
    assert MaxPool2d(2).parameters() == [] and MaxPool2d(3).stride == (3, 3)
    assert AvgPool2d((2, 3), stride=1).stride == (1, 1)


def test_conv_backward_accumulates_and_is_float64():
    conv = Conv2d(2, 3, 3, padding=1, rng=rng())
    x = rng().integers(-3, 3, (2, 2, 4, 4))  # integers are promoted
    y = conv(x)
    assert y.dtype == np.float64
    dout = rng().standard_normal(y.shape)
    conv.backward(dout)
    once = conv.W.grad.copy()
    conv.backward(dout)
    assert np.allclose(conv.W.grad, 2 * once) and np.allclose(conv.b.grad, 2 * dout.sum(axis=(0, 2, 3)))


# ------------------------------------------------------------------ errors

def test_conv_errors():
    conv = Conv2d(3, 8, 5)
    with pytest.raises(ValueError, match=r"Conv2d\(3, 8, kernel_size=\(5, 5\), stride=\(1, 1\), padding=\(0, 0\), bias=True\) expects input \(N, 3, H, W\), "
                                         r"got \(2, 1, 28, 28\)"):
        conv(np.ones((2, 1, 28, 28)))
    with pytest.raises(ValueError, match=r"expects input \(N, 3, H, W\), got \(3, 28, 28\)"):
        conv(np.ones((3, 28, 28)))
    with pytest.raises(ValueError, match=r"Conv2d\(3, 8, kernel_size=\(5, 5\), stride=\(1, 1\), padding=\(0, 0\), bias=True\): kernel 5×5 is larger than the padded "
                                         r"input 4×6"):
        conv(np.ones((1, 3, 4, 6)))
    with pytest.raises(ValueError, match=r"padding=\(1, 1\), bias=True\): kernel 5×5 .* padded input 4×4 "
                                         r"\(input 2×2, padding 1×1\)"):
        Conv2d(3, 8, 5, padding=1)(np.ones((1, 3, 2, 2)))
    with pytest.raises(TypeError, match="Conv2d.*numeric"):
        conv(np.array([["a"]]))
    with pytest.raises(RuntimeError, match="Conv2d.backward called before forward"):
        conv.backward(np.ones((1, 8, 1, 1)))
    conv(np.ones((2, 3, 6, 6)))
    with pytest.raises(ValueError, match=r"Conv2d\(3, 8, kernel_size=\(5, 5\), stride=\(1, 1\), padding=\(0, 0\), bias=True\).backward: dout has shape "
                                         r"\(2, 8, 1, 1\), but the forward output had shape \(2, 8, 2, 2\)"):
        conv.backward(np.ones((2, 8, 1, 1)))
    with pytest.raises(ValueError, match="kernel_size must be an int ≥ 1 or a pair"):
        Conv2d(3, 8, 0)
    with pytest.raises(ValueError, match=r"stride must be .* got \(1, 2, 3\)"):
        Conv2d(3, 8, 3, stride=(1, 2, 3))
    with pytest.raises(ValueError, match="padding must be an int ≥ 0"):
        Conv2d(3, 8, 3, padding=-1)


def test_pool_errors():
    pool = MaxPool2d(2)
    with pytest.raises(ValueError, match=r"MaxPool2d\(kernel_size=\(2, 2\), stride=\(2, 2\), padding=\(0, 0\)\) expects input \(N, C, H, W\), "
                                         r"got \(6, 24, 24\)"):
        pool(np.ones((6, 24, 24)))
    with pytest.raises(ValueError, match=r"AvgPool2d\(kernel_size=\(3, 3\), stride=\(1, 1\), padding=\(0, 0\)\): kernel 3×3 is larger than "
                                         r"the padded input 2×5"):
        AvgPool2d(3, stride=1)(np.ones((1, 1, 2, 5)))
    with pytest.raises(RuntimeError, match="AvgPool2d.backward called before forward"):
        AvgPool2d(2).backward(np.ones((1, 1, 1, 1)))
    pool(np.ones((1, 2, 4, 4)))
    with pytest.raises(ValueError, match=r"MaxPool2d\(kernel_size=\(2, 2\), stride=\(2, 2\), padding=\(0, 0\)\).backward: dout has shape "
                                         r"\(1, 2, 4, 4\), but the forward output had shape \(1, 2, 2, 2\)"):
        pool.backward(np.ones((1, 2, 4, 4)))
    with pytest.raises(ValueError, match="MaxPool2d: stride must be an int ≥ 1"):
        MaxPool2d(2, stride=0)


def test_im2col_col2im_errors():
    with pytest.raises(ValueError, match=r"im2col expects x of shape \(N, C, H, W\), got \(4, 4\)"):
        im2col(np.ones((4, 4)), 2, 2)
    with pytest.raises(ValueError, match="im2col: kernel 3×3 is larger than the padded input 2×2"):
        im2col(np.ones((1, 1, 2, 2)), 3, 3)
    with pytest.raises(ValueError, match=r"col2im: cols .* must have shape \(C·kh·kw, OH·OW·N\) = \(4, 9\), "
                                         r"got \(9, 4\)"):
        col2im(np.ones((9, 4)), (1, 1, 4, 4), 2, 2)
    with pytest.raises(ValueError, match=r"im2col: out must be a C-contiguous float64 array of shape \(4, 9\)"):
        im2col(np.ones((1, 1, 4, 4)), 2, 2, out=np.empty((4, 8)))


# ------------------------------------------------------------------ PyTorch, if installed

def test_against_torch():
    torch = pytest.importorskip("torch")
    tF = torch.nn.functional
    r = rng()
    for c_in, c_out, kernel, stride, padding, bias, shape in [
            (1, 6, 5, 1, 0, True, (4, 1, 12, 12)), (3, 4, (3, 2), (2, 1), (1, 2), True, (2, 3, 9, 7)),
            (6, 5, 3, 2, 0, False, (3, 6, 8, 9))]:
        conv = Conv2d(c_in, c_out, kernel, stride, padding, bias, rng=r)
        x = r.standard_normal(shape)
        y = conv(x)
        dout = r.standard_normal(y.shape)
        dx = conv.backward(dout)
        tx, tW = torch.tensor(x, requires_grad=True), torch.tensor(conv.W.data, requires_grad=True)
        tb = torch.tensor(conv.b.data, requires_grad=True) if bias else None
        ty = tF.conv2d(tx, tW, tb, stride=conv.stride, padding=conv.padding)
        ty.backward(torch.tensor(dout))
        assert relative_error(y, ty.detach().numpy()) < 1e-13
        assert relative_error(dx, tx.grad.numpy()) < 1e-13
        assert relative_error(conv.W.grad, tW.grad.numpy()) < 1e-13
        if bias:
            assert relative_error(conv.b.grad, tb.grad.numpy()) < 1e-13
    x = r.standard_normal((2, 3, 9, 8))
    x[:, :, :3] = np.maximum(x[:, :, :3], 0.0)  # ReLU zeros: ties that PyTorch breaks towards the first
    for kernel, stride in [(2, None), (3, 2), ((2, 3), (1, 2))]:
        for ours, theirs in [(MaxPool2d(kernel, stride), tF.max_pool2d),
                             (AvgPool2d(kernel, stride), tF.avg_pool2d)]:
            y = ours(x)
            dout = r.standard_normal(y.shape)
            dx = ours.backward(dout)
            tx = torch.tensor(x, requires_grad=True)
            ty = theirs(tx, kernel, stride)
            ty.backward(torch.tensor(dout))
            assert relative_error(y, ty.detach().numpy()) < 1e-15
            assert relative_error(dx, tx.grad.numpy()) < 1e-15
    # a NaN counts as the maximum, the last one if a window holds two
    x = np.array([[[[1.0, np.nan, 5.0, 2.0], [np.nan, 0.0, 1.0, 3.0]]]])
    pool = MaxPool2d(2)
    y = pool(x)
    tx = torch.tensor(x, requires_grad=True)
    ty = tF.max_pool2d(tx, 2)
    ty.backward(torch.ones_like(ty))
    assert np.array_equal(y, ty.detach().numpy(), equal_nan=True)
    assert np.array_equal(pool.backward(np.ones_like(y)), tx.grad.numpy())


@pytest.mark.parametrize("pool", [MaxPool2d(3, stride=2, padding=1), MaxPool2d((2, 3), stride=1, padding=(1, 1)),
                                  AvgPool2d(3, stride=2, padding=1),
                                  AvgPool2d(3, stride=2, padding=1, count_include_pad=False),
                                  AvgPool2d((3, 2), stride=(1, 2), padding=(1, 0), count_include_pad=False)])
def test_padded_pools_gradcheck_and_naive(pool):
    r = rng()
    x = r.standard_normal((2, 3, 5, 6))
    errors = check_module(pool, x)
    assert max(errors.values()) < 1e-8, errors
    # the naive definition: one window at a time over the padded input
    (kh, kw), (sh, sw), (ph, pw) = pool.kernel_size, pool.stride, pool.padding
    fill = -np.inf if isinstance(pool, MaxPool2d) else 0.0
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=fill)
    real = np.pad(np.ones((5, 6)), ((ph, ph), (pw, pw)))
    y = pool(x)
    for i in range(y.shape[2]):
        for j in range(y.shape[3]):
            window = xp[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw]
            if isinstance(pool, MaxPool2d):
                expected = window.max(axis=(2, 3))
            else:
                count = kh * kw if pool.count_include_pad else real[i * sh:i * sh + kh, j * sw:j * sw + kw].sum()
                expected = window.sum(axis=(2, 3)) / count
            assert np.allclose(y[:, :, i, j], expected, rtol=1e-14)


def test_pool_padding_limits():
    with pytest.raises(ValueError, match=r"MaxPool2d: padding \(2, 2\) must be at most half the kernel size \(3, 3\)"):
        MaxPool2d(3, padding=2)
    with pytest.raises(ValueError, match="padding must be an int ≥ 0"):
        AvgPool2d(2, padding=-1)
    assert repr(MaxPool2d(3, 2, 1)) == MaxPool2d(3, 2, 1)._name() == "MaxPool2d(kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))"


def test_padded_pools_against_torch():
    torch = pytest.importorskip("torch")
    r = rng()
    for make, tmake in [(lambda: MaxPool2d(3, 2, 1), lambda: torch.nn.MaxPool2d(3, 2, 1)),
                        (lambda: MaxPool2d((3, 2), (1, 2), (1, 1)), lambda: torch.nn.MaxPool2d((3, 2), (1, 2), (1, 1))),
                        (lambda: AvgPool2d(3, 2, 1), lambda: torch.nn.AvgPool2d(3, 2, 1)),
                        (lambda: AvgPool2d(3, 2, 1, count_include_pad=False),
                         lambda: torch.nn.AvgPool2d(3, 2, 1, count_include_pad=False)),
                        (lambda: AvgPool2d((2, 3), 1, (1, 1), count_include_pad=False),
                         lambda: torch.nn.AvgPool2d((2, 3), 1, (1, 1), count_include_pad=False))]:
        pool, tpool = make(), tmake()
        x = r.standard_normal((2, 3, 7, 6))
        y = pool(x)
        dout = r.standard_normal(y.shape)
        dx = pool.backward(dout)
        tx = torch.tensor(x, requires_grad=True)
        ty = tpool(tx)
        ty.backward(torch.tensor(dout))
        assert y.shape == tuple(ty.shape)
        assert np.allclose(y, ty.detach().numpy(), rtol=1e-13, atol=1e-15)
        assert np.allclose(dx, tx.grad.numpy(), rtol=1e-13, atol=1e-15)
