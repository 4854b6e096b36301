"""RNN, LSTM, GRU and clip_grad_norm: hand-unrolled references, float64 gradient checks through
time (x, every parameter, h0, c0, with gradient entering through out and the final state),
gate order by construction, closed forms, errors, and torch.nn where torch is installed."""
import warnings

import numpy as np
import pytest

import nnlib

from nnlib import reference
from nnlib.core import Parameter
from nnlib.gradcheck import numerical_gradient, relative_error
from nnlib.rnn import GRU, LSTM, RNN, clip_grad_norm

TOL = 1e-7
T, N, D, H = 4, 3, 5, 4  # T ≥ 3 steps, N ≥ 2 sequences

CELLS = {
    "RNN-tanh": lambda rng: RNN(D, H, rng=rng),
    "RNN-relu": lambda rng: RNN(D, H, nonlinearity="relu", rng=rng),
    "LSTM": lambda rng: LSTM(D, H, rng=rng),
    "GRU": lambda rng: GRU(D, H, rng=rng),
}


def rng():
    return np.random.default_rng(0)


@pytest.mark.parametrize("name", sorted(CELLS))
@pytest.mark.parametrize("given_state", [True, False], ids=["state", "zeros"])
def test_forward_matches_unrolled_reference(name, given_state):
    r = rng()
    cell = CELLS[name](r)
    x = r.standard_normal((T, N, D))
    h0, c0 = r.standard_normal((N, H)), r.standard_normal((N, H))
    if not given_state:
        h0, c0 = np.zeros((N, H)), np.zeros((N, H))
    if isinstance(cell, LSTM):
        out, (h_T, c_T) = cell(x, (h0, c0) if given_state else None)
        ref_out, ref_h, ref_c = reference.lstm_steps(cell, x, h0, c0)
        assert np.allclose(c_T, ref_c, rtol=0, atol=1e-14)
    else:
        out, h_T = cell(x, h0 if given_state else None)
        ref_out, ref_h = (reference.rnn_steps if isinstance(cell, RNN) else reference.gru_steps)(cell, x, h0)
    assert out.shape == (T, N, H) and h_T.shape == (N, H)
    assert np.allclose(out, ref_out, rtol=0, atol=1e-14)
    assert np.array_equal(h_T, out[-1])


# ------------------------------------------------- gradient checks through time

def state_args(cell, states):
    """(h0,) for RNN and GRU, ((h0, c0),) for LSTM: the way forward takes them."""
    return (tuple(states),) if isinstance(cell, LSTM) else (states[0],)


def finals(cell, result):
    """The final state(s) of forward's result as a list: [h_T] or [h_T, c_T]."""
    return list(result[1]) if isinstance(cell, LSTM) else [result[1]]


@pytest.mark.parametrize("name", sorted(CELLS))
@pytest.mark.parametrize("flow", ["out+final", "out", "final"])
def test_gradcheck_through_time(name, flow):
    """L = Σ out·dout + Σ h_T·dh_T (+ Σ c_T·dc_T): backward against central differences for
    x, every parameter and the initial state(s)."""
    r = rng()
    cell = CELLS[name](r)
    n_states = 2 if isinstance(cell, LSTM) else 1
    x = r.standard_normal((T, N, D))
    states = [r.standard_normal((N, H)) for _ in range(n_states)]
    dout = r.standard_normal((T, N, H))
    dfinal = [r.standard_normal((N, H)) for _ in range(n_states)]
    if flow == "out":  # None means no gradient arrives there
        dfinal = [None] * n_states
    if flow == "final":
        dout = None

    def loss(_):
        result = cell(x, *state_args(cell, states))
        value = np.sum(result[0] * dout) if dout is not None else 0.0
        for s, ds in zip(finals(cell, result), dfinal):
            value += np.sum(s * ds) if ds is not None else 0.0
        return value

    cell.zero_grad()
    cell(x, *state_args(cell, states))
    upstream = tuple(dfinal) if isinstance(cell, LSTM) else dfinal[0]
    dx = cell.backward(dout, upstream)
    errors = {"x": relative_error(dx, numerical_gradient(loss, x)),
              "h0": relative_error(cell.dh0, numerical_gradient(loss, states[0]))}
    if isinstance(cell, LSTM):
        errors["c0"] = relative_error(cell.dc0, numerical_gradient(loss, states[1]))
    for pname, p in cell.named_parameters():
        errors[pname] = relative_error(p.grad, numerical_gradient(loss, p.data))
    assert len(errors) == 6 + (n_states - 1)
    assert max(errors.values()) < TOL, errors


def test_backward_accumulates_and_leaves_inputs_alone():
    r = rng()
    cell = LSTM(D, H, rng=r)
    x, h0, c0 = r.standard_normal((T, N, D)), r.standard_normal((N, H)), r.standard_normal((N, H))
    x_copy, h0_copy, c0_copy = x.copy(), h0.copy(), c0.copy()
    dout = r.standard_normal((T, N, H))
    out, _ = cell(x, (h0, c0))
    out[:] = 0.0  # the returned arrays are the caller's: editing them must not change backward
    cell.backward(dout)
    once = [p.grad.copy() for p in cell.parameters()]
    cell.backward(dout)
    for p, g in zip(cell.parameters(), once):
        assert np.allclose(p.grad, 2 * g)
    assert np.array_equal(x, x_copy) and np.array_equal(h0, h0_copy) and np.array_equal(c0, c0_copy)


# ------------------------------------------------- gate order and closed forms

def zero_weights(cell):
    for p in cell.parameters():
        p.data[...] = 0.0
    return cell


def test_lstm_gate_order_i_f_g_o():
    x = rng().standard_normal((3, N, D))
    c0 = rng().uniform(-1, 1, (N, H))
    cell = zero_weights(LSTM(D, H))
    blocks = cell.b_ih.data.reshape(4, H)  # rows i, f, g, o
    blocks[0], blocks[1], blocks[2], blocks[3] = 40.0, -40.0, np.arctanh(0.3), 0.0
    out, (h_T, c_T) = cell(x, (np.zeros((N, H)), c0))
    # i = 1 writes g = 0.3, f = 0 forgets c0, o = 1/2 halves the output
    assert np.allclose(c_T, 0.3, rtol=0, atol=1e-15)
    assert np.allclose(out, 0.5 * np.tanh(0.3), rtol=0, atol=1e-15)


def test_lstm_large_forget_bias_keeps_c_and_its_gradient():
    """i = 0, f = 1: c_T = c_0, and ∂L/∂c_0 = ∂L/∂c_T (the gradient does not vanish)."""
    x = rng().standard_normal((6, N, D))
    c0, dc_T = rng().uniform(-1, 1, (N, H)), rng().standard_normal((N, H))
    cell = zero_weights(LSTM(D, H))
    cell.b_hh.data.reshape(4, H)[[0, 1, 3]] = [[-40.0], [40.0], [0.0]]
    _, (h_T, c_T) = cell(x, (np.zeros((N, H)), c0))
    assert np.allclose(c_T, c0, rtol=0, atol=1e-15)
    assert np.allclose(h_T, 0.5 * np.tanh(c0), rtol=0, atol=1e-15)
    cell.backward(None, (None, dc_T))
    assert np.allclose(cell.dc0, dc_T, rtol=0, atol=1e-15)
    assert np.allclose(cell.dh0, 0.0)


def test_gru_update_gate_z_one_keeps_h():
    x, h0 = rng().standard_normal((5, N, D)), rng().standard_normal((N, H))
    cell = zero_weights(GRU(D, H))
    cell.b_ih.data[H:2 * H] = 40.0  # z = 1: torch's convention h' = (1 − z) n + z h keeps h
    _, h_T = cell(x, h0)
    assert np.allclose(h_T, h0, rtol=0, atol=1e-15)


@pytest.mark.parametrize("r_bias, expected", [(40.0, lambda h0: np.tanh(0.2 + h0 + 0.5)),
                                              (-40.0, lambda h0: np.tanh(0.2 + 0 * h0))])
def test_gru_reset_gate_scales_hidden_term_and_its_bias(r_bias, expected):
    """z = 0 so h_1 = n; W_hn = I, b_hn = 0.5, b_in = 0.2: r = 1 gives tanh(0.2 + h0 + 0.5),
    r = 0 removes both W_hn h0 and b_hn, leaving tanh(0.2)."""
    x, h0 = rng().standard_normal((1, N, D)), rng().standard_normal((N, H))
    cell = zero_weights(GRU(D, H))
    cell.b_ih.data[:H], cell.b_ih.data[H:2 * H], cell.b_ih.data[2 * H:] = r_bias, -40.0, 0.2
    cell.W_hh.data[2 * H:] = np.eye(H)
    cell.b_hh.data[2 * H:] = 0.5
    _, h_1 = cell(x, h0)
    assert np.allclose(h_1, expected(h0), rtol=0, atol=1e-15)


def test_relu_rnn_gradient_shrinks_geometrically():
    """W_ih = 0, W_hh = a·I, b = 0, h0 > 0: h_T = a^T h0 and ∂L/∂h0 = a^T ∂L/∂h_T."""
    a, steps = 0.5, 10
    cell = zero_weights(RNN(D, H, nonlinearity="relu"))
    cell.W_hh.data[...] = a * np.eye(H)
    h0 = rng().uniform(0.5, 1.0, (N, H))
    dh_T = rng().standard_normal((N, H))
    _, h_T = cell(rng().standard_normal((steps, N, D)), h0)
    assert np.allclose(h_T, a ** steps * h0, rtol=1e-14, atol=0)
    cell.backward(None, dh_T)
    assert np.allclose(cell.dh0, a ** steps * dh_T, rtol=1e-14, atol=0)


def test_rnn_zero_weights_closed_form():
    cell = zero_weights(RNN(D, H))
    cell.b_ih.data[:] = 0.3
    cell.b_hh.data[:] = 0.2
    out, _ = cell(np.ones((3, N, D)))
    assert np.allclose(out, np.tanh(0.5), rtol=0, atol=1e-15)


def test_parameters_shapes_order_and_init():
    for cell, G in [(RNN(D, H, rng=rng()), 1), (LSTM(D, H, rng=rng()), 4), (GRU(D, H, rng=rng()), 3)]:
        assert [(n, p.shape) for n, p in cell.named_parameters()] == [
            ("W_ih", (G * H, D)), ("W_hh", (G * H, H)), ("b_ih", (G * H,)), ("b_hh", (G * H,))]
    big = LSTM(20, 100, rng=rng())
    bound = 1 / np.sqrt(100)  # torch: every parameter U(±1/√hidden_size)
    for p in big.parameters():
        assert np.abs(p.data).max() <= bound
    # uniform on [-bound, bound] has standard deviation bound/sqrt(3)
    assert big.W_ih.data.std() == pytest.approx(bound / np.sqrt(3), rel=0.05)
    assert repr(big) == "LSTM(20, 100)"
    assert repr(RNN(3, 2, nonlinearity="relu")) == "RNN(3, 2, nonlinearity='relu')"


@pytest.mark.parametrize("name", sorted(CELLS))
def test_saturated_gates_stay_finite_without_warnings(name):
    """Pre-activations of ±1e4 saturate every gate to exactly 0 or 1 without overflow."""
    r = rng()
    cell = CELLS[name](r)
    x = 1e4 * r.standard_normal((T, N, D))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow in exp would raise here
        result = cell(x)
        dx = cell.backward(np.ones((T, N, H)))
    assert np.isfinite(result[0]).all() and np.isfinite(dx).all()
    if not isinstance(cell, RNN) or cell.nonlinearity == "tanh":
        assert np.abs(result[0]).max() <= 1.0


def test_integer_input_and_default_state():
    cell = GRU(2, 3, rng=rng())
    out, h_T = cell([[[1, 2]], [[0, 1]]])
    assert out.dtype == np.float64 and out.shape == (2, 1, 3)
    ref, _ = reference.gru_steps(cell, np.array([[[1.0, 2.0]], [[0.0, 1.0]]]), np.zeros((1, 3)))
    assert np.allclose(out, ref, rtol=0, atol=1e-14)


# ------------------------------------------------- clip_grad_norm

def params_with_grads(*grads):
    ps = [Parameter(np.zeros(np.shape(g))) for g in grads]
    for p, g in zip(ps, grads):
        p.grad[...] = g
    return ps


def test_clip_grad_norm_scales_down_to_max_norm():
    ps = params_with_grads([3.0, 0.0], [[4.0]])
    total = clip_grad_norm(ps, 1.0)
    assert isinstance(total, float) and total == pytest.approx(5.0, rel=1e-15)
    scale = 1.0 / (5.0 + 1e-6)
    assert np.allclose(ps[0].grad, [3 * scale, 0.0], rtol=1e-15)
    assert np.allclose(ps[1].grad, [[4 * scale]], rtol=1e-15)


def test_clip_grad_norm_leaves_small_gradients_alone():
    ps = params_with_grads([[1.0, 2.0], [2.0, 0.0]], [4.0])  # norm √(1 + 4 + 4 + 16) = 5
    assert clip_grad_norm(ps, 5.0) == pytest.approx(5.0, rel=1e-15)  # not above: unchanged
    assert np.array_equal(ps[0].grad, [[1.0, 2.0], [2.0, 0.0]]) and ps[1].grad[0] == 4.0


def test_clip_grad_norm_on_a_module():
    cell = LSTM(D, H, rng=rng())
    for p in cell.parameters():
        p.grad[...] = 1.0
    count = sum(p.data.size for p in cell.parameters())
    assert clip_grad_norm(cell.parameters(), 2.0) == pytest.approx(np.sqrt(count), rel=1e-14)
    after = np.sqrt(sum(np.sum(p.grad ** 2) for p in cell.parameters()))
    assert after == pytest.approx(2.0 * np.sqrt(count) / (np.sqrt(count) + 1e-6), rel=1e-14)


# ------------------------------------------------- errors

def test_input_shape_errors():
    lstm = LSTM(10, 20)
    with pytest.raises(ValueError, match=r"^LSTM\(10, 20\) expects x of shape \(T, N, 10\), got \(5, 3, 7\)$"):
        lstm(np.ones((5, 3, 7)))
    with pytest.raises(ValueError, match=r"LSTM\(10, 20\) expects x.*got \(3, 10\)"):
        lstm(np.ones((3, 10)))
    with pytest.raises(ValueError, match=r"LSTM\(10, 20\) expects h0 of shape \(N, H\) = \(3, 20\), "
                                         r"got \(1, 3, 20\) \(no layer axis"):
        lstm(np.ones((5, 3, 10)), (np.ones((1, 3, 20)), np.ones((3, 20))))
    with pytest.raises(ValueError, match=r"expects c0 of shape \(N, H\) = \(3, 20\), got \(3, 21\)"):
        lstm(np.ones((5, 3, 10)), (np.ones((3, 20)), np.ones((3, 21))))
    with pytest.raises(ValueError, match=r"GRU\(4, 2\) expects h0 .* got \(2, 2\)"):
        GRU(4, 2)(np.ones((5, 3, 4)), np.ones((2, 2)))
    with pytest.raises(TypeError, match=r"RNN\(4, 2\).*numeric"):
        RNN(4, 2)(np.array([[["a"] * 4]]))
    with pytest.raises(ValueError, match="nonlinearity must be 'tanh' or 'relu', got 'sigmoid'"):
        RNN(4, 2, nonlinearity="sigmoid")


def test_backward_errors():
    for cell in (RNN(4, 2), LSTM(4, 2), GRU(4, 2)):
        with pytest.raises(RuntimeError, match=f"{type(cell).__name__}.backward called before forward"):
            cell.backward(np.ones((5, 3, 2)))
    gru = GRU(4, 2)
    gru(np.ones((5, 3, 4)))
    with pytest.raises(ValueError, match=r"GRU\(4, 2\).backward: dout has shape \(5, 2, 3\).*\(5, 3, 2\)"):
        gru.backward(np.ones((5, 2, 3)))
    with pytest.raises(ValueError, match=r"GRU\(4, 2\).backward: dh_T has shape \(1, 3, 2\).*\(3, 2\)"):
        gru.backward(np.ones((5, 3, 2)), np.ones((1, 3, 2)))
    lstm = LSTM(4, 2)
    lstm(np.ones((5, 3, 4)))
    with pytest.raises(ValueError, match=r"LSTM\(4, 2\).backward: dc_T has shape \(3,\)"):
        lstm.backward(np.ones((5, 3, 2)), (None, np.ones(3)))


# ------------------------------------------------- torch.nn as the reference

TORCH_PAIRS = [("W_ih", "weight_ih_l0"), ("W_hh", "weight_hh_l0"), ("b_ih", "bias_ih_l0"), ("b_hh", "bias_hh_l0")]


@pytest.mark.parametrize("name", sorted(CELLS))
def test_matches_torch(name):
    torch = pytest.importorskip("torch")
    r = rng()
    cell = CELLS[name](r)
    kind = name.split("-")[0]
    kwargs = {"nonlinearity": name.split("-")[1]} if kind == "RNN" else {}
    theirs = getattr(torch.nn, kind)(D, H, dtype=torch.float64, **kwargs)
    with torch.no_grad():
        for ours_name, torch_name in TORCH_PAIRS:
            getattr(theirs, torch_name).copy_(torch.from_numpy(getattr(cell, ours_name).data))
    x = r.standard_normal((T, N, D))
    states = [r.standard_normal((N, H)) for _ in range(2 if kind == "LSTM" else 1)]
    dout = r.standard_normal((T, N, H))
    dfinal = [r.standard_normal((N, H)) for _ in states]

    tx = torch.tensor(x, requires_grad=True)
    tstates = [torch.tensor(s[None], requires_grad=True) for s in states]  # torch's layer axis
    t_out, t_final = theirs(tx, tuple(tstates) if kind == "LSTM" else tstates[0])
    t_finals = list(t_final) if kind == "LSTM" else [t_final]
    loss = (t_out * torch.from_numpy(dout)).sum()
    for s, ds in zip(t_finals, dfinal):
        loss = loss + (s[0] * torch.from_numpy(ds)).sum()
    loss.backward()

    result = cell(x, *state_args(cell, states))
    assert np.allclose(result[0], t_out.detach().numpy(), rtol=0, atol=1e-13)
    for ours, t in zip(finals(cell, result), t_finals):
        assert np.allclose(ours, t[0].detach().numpy(), rtol=0, atol=1e-13)
    dx = cell.backward(dout, tuple(dfinal) if kind == "LSTM" else dfinal[0])
    assert relative_error(dx, tx.grad.numpy()) < 1e-13
    assert relative_error(cell.dh0, tstates[0].grad[0].numpy()) < 1e-13
    if kind == "LSTM":
        assert relative_error(cell.dc0, tstates[1].grad[0].numpy()) < 1e-13
    for ours_name, torch_name in TORCH_PAIRS:
        assert relative_error(getattr(cell, ours_name).grad, getattr(theirs, torch_name).grad.numpy()) < 1e-13


def test_clip_grad_norm_matches_torch():
    torch = pytest.importorskip("torch")
    r = rng()
    grads = [r.standard_normal((3, 4)) * 10, r.standard_normal(5)]
    ps = params_with_grads(*grads)
    tps = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for tp, g in zip(tps, grads):
        tp.grad = torch.tensor(g)
    expected = float(torch.nn.utils.clip_grad_norm_(tps, 3.0))
    assert clip_grad_norm(ps, 3.0) == pytest.approx(expected, rel=1e-14)
    for p, tp in zip(ps, tps):
        assert np.allclose(p.grad, tp.grad.numpy(), rtol=1e-14, atol=0)


STACKS = [(1, True), (2, False), (2, True)]


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("num_layers, bidirectional", STACKS)
def test_stacked_and_bidirectional_gradcheck(cls, num_layers, bidirectional):
    r = np.random.default_rng(5)
    layer = getattr(nnlib, cls)(3, 4, rng=r, num_layers=num_layers, bidirectional=bidirectional)
    dirs = 2 if bidirectional else 1
    suffixes = [f"_l{k}" + ("_reverse" if d else "") for k in range(num_layers) for d in range(dirs)]
    assert [n for n, _ in layer.named_parameters()] == [w + s for s in suffixes for w in ("W_ih", "W_hh", "b_ih", "b_hh")]
    T, N, L = 5, 2, num_layers * dirs
    x = r.standard_normal((T, N, 3))
    h0 = r.standard_normal((L, N, 4))
    state = (h0, r.standard_normal((L, N, 4))) if cls == "LSTM" else h0
    out, final = layer(x, state)
    assert out.shape == (T, N, dirs * 4)
    finals = final if cls == "LSTM" else (final,)
    assert all(f.shape == (L, N, 4) for f in finals)
    # the scalar: the outputs and the final states, weighted
    w_out = r.standard_normal(out.shape)
    w_fin = [r.standard_normal(f.shape) for f in finals]

    def loss(_=None):
        o, fin = layer(x, state)
        fin = fin if cls == "LSTM" else (fin,)
        return float(np.sum(o * w_out) + sum(np.sum(f * w) for f, w in zip(fin, w_fin)))

    layer.zero_grad()
    layer(x, state)
    dx = layer.backward(w_out, tuple(w_fin) if cls == "LSTM" else w_fin[0])
    assert relative_error(dx, numerical_gradient(loss, x)) < 1e-8
    assert relative_error(layer.dh0, numerical_gradient(loss, h0)) < 1e-8
    if cls == "LSTM":
        assert relative_error(layer.dc0, numerical_gradient(loss, state[1])) < 1e-8
    for name, p in layer.named_parameters():
        assert relative_error(p.grad, numerical_gradient(loss, p.data)) < 1e-8, name


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_stacked_bidirectional_against_torch(cls):
    torch = pytest.importorskip("torch")
    r = np.random.default_rng(6)
    layer = getattr(nnlib, cls)(3, 5, rng=r, num_layers=2, bidirectional=True)
    tlayer = getattr(torch.nn, cls)(3, 5, num_layers=2, bidirectional=True).double()
    with torch.no_grad():
        for name, p in layer.named_parameters():
            tname = name.replace("W_ih", "weight_ih").replace("W_hh", "weight_hh").replace("b_ih", "bias_ih") \
                        .replace("b_hh", "bias_hh")
            getattr(tlayer, tname).copy_(torch.tensor(p.data))
    x = r.standard_normal((6, 3, 3))
    h0 = r.standard_normal((4, 3, 5))
    c0 = r.standard_normal((4, 3, 5))
    state = (h0, c0) if cls == "LSTM" else h0
    out, final = layer(x, state)
    tx = torch.tensor(x, requires_grad=True)
    th0, tc0 = torch.tensor(h0, requires_grad=True), torch.tensor(c0, requires_grad=True)
    tout, tfinal = tlayer(tx, (th0, tc0) if cls == "LSTM" else th0)
    assert np.allclose(out, tout.detach().numpy(), rtol=1e-12, atol=1e-13)
    finals, tfinals = (final, tfinal) if cls == "LSTM" else ((final,), (tfinal,))
    for f, tf in zip(finals, tfinals):
        assert np.allclose(f, tf.detach().numpy(), rtol=1e-12, atol=1e-13)
    dout = r.standard_normal(out.shape)
    dfin = [r.standard_normal(f.shape) for f in finals]
    dx = layer.backward(dout, tuple(dfin) if cls == "LSTM" else dfin[0])
    torch.autograd.backward([tout] + list(tfinals), [torch.tensor(dout)] + [torch.tensor(d) for d in dfin])
    assert np.allclose(dx, tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    assert np.allclose(layer.dh0, th0.grad.numpy(), rtol=1e-10, atol=1e-12)
    if cls == "LSTM":
        assert np.allclose(layer.dc0, tc0.grad.numpy(), rtol=1e-10, atol=1e-12)
    tparams = dict(tlayer.named_parameters())
    for name, p in layer.named_parameters():
        tname = name.replace("W_ih", "weight_ih").replace("W_hh", "weight_hh").replace("b_ih", "bias_ih") \
                    .replace("b_hh", "bias_hh")
        assert np.allclose(p.grad, tparams[tname].grad.numpy(), rtol=1e-10, atol=1e-12), name


def test_stack_state_shape_errors():
    lstm = nnlib.LSTM(3, 4, num_layers=2)
    with pytest.raises(ValueError, match=r"LSTM\(3, 4, num_layers=2\) expects h0 of shape \(num_layers·directions, N, H\) = \(2, 5, 4\), got \(5, 4\)"):
        lstm(np.zeros((7, 5, 3)), (np.zeros((5, 4)), np.zeros((5, 4))))
    gru = nnlib.GRU(3, 4, bidirectional=True)
    out, h = gru(np.zeros((7, 5, 3)))
    assert out.shape == (7, 5, 8) and h.shape == (2, 5, 4)
    with pytest.raises(ValueError, match="num_layers must be at least 1"):
        nnlib.RNN(3, 4, num_layers=0)
    assert repr(nnlib.RNN(3, 4, num_layers=2, bidirectional=True)) == "RNN(3, 4, num_layers=2, bidirectional=True)"


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_stack_matches_reference_layer_by_layer(cls):
    """A two-layer bidirectional stack is the reference steps composed by hand: each layer reads
    the layer below's [forward; reverse] states, the reverse direction reads time backwards, and
    the final states are stacked layer by layer, forward direction first (h_n[1] belongs to
    step 1 of the reverse direction: it is the state after reading x_T … x_1)."""
    r = np.random.default_rng(7)
    layer = getattr(nnlib, cls)(3, 4, rng=r, num_layers=2, bidirectional=True)
    x = r.standard_normal((5, 2, 3))
    h0, c0 = r.standard_normal((4, 2, 4)), r.standard_normal((4, 2, 4))
    out, final = layer(x, (h0, c0) if cls == "LSTM" else h0)
    steps = {"RNN": reference.rnn_steps, "LSTM": reference.lstm_steps, "GRU": reference.gru_steps}[cls]
    inputs, h_n, c_n = x, [], []
    for k in range(2):
        outs = []
        for d, suffix in enumerate((f"_l{k}", f"_l{k}_reverse")):
            i = 2 * k + d
            seq = inputs if d == 0 else inputs[::-1]
            state = (h0[i], c0[i]) if cls == "LSTM" else (h0[i],)
            o, *fin = steps(layer, seq, *state, suffix=suffix)
            outs.append(o if d == 0 else o[::-1])
            h_n.append(fin[0])
            c_n.extend(fin[1:])
        inputs = np.concatenate(outs, axis=2)
    assert np.allclose(out, inputs, rtol=0, atol=1e-14)
    finals = final if cls == "LSTM" else (final,)
    assert np.allclose(finals[0], np.stack(h_n), rtol=0, atol=1e-14)
    if cls == "LSTM":
        assert np.allclose(finals[1], np.stack(c_n), rtol=0, atol=1e-14)
    assert np.array_equal(finals[0][2], out[-1, :, :4]) and np.array_equal(finals[0][3], out[0, :, 4:])
