"""Learning-rate schedulers and parameter groups: torch.optim's semantics, rate for rate."""
import math

import numpy as np
import pytest

import nnlib
from nnlib.optim import SGD, Adam, NAdam, RMSprop
from nnlib.optim.lr_scheduler import CosineAnnealingLR, ExponentialLR, ReduceLROnPlateau, StepLR


def params(n=2, seed=0):
    r = np.random.default_rng(seed)
    return [nnlib.Parameter(r.standard_normal((3, 2))) for _ in range(n)]


def step_both(r, torch, pairs, opt, topt):
    """Give each (nnlib, torch) parameter pair the same random gradient, then step both optimisers."""
    for x, tx in pairs:
        g = r.standard_normal(x.shape)
        x.grad[...] = g
        tx.grad = torch.tensor(g)
    opt.step()
    topt.step()


def test_closed_forms():
    opt = SGD(params(), lr=0.5)
    s = StepLR(opt, step_size=3, gamma=0.1)
    rates = [s.get_last_lr()[0]] + [(s.step(), s.get_last_lr()[0])[1] for _ in range(8)]
    assert rates == pytest.approx([0.5] * 3 + [0.05] * 3 + [0.005] * 3, rel=1e-14)
    opt = SGD(params(), lr=0.5)
    s = ExponentialLR(opt, gamma=0.9)
    for _ in range(5):
        s.step()
    assert opt.lr == pytest.approx(0.5 * 0.9 ** 5, rel=1e-14)
    opt = SGD(params(), lr=1.0)
    s = CosineAnnealingLR(opt, T_max=10, eta_min=0.1)
    got = []
    for _ in range(25):
        s.step()
        got.append(opt.lr)
    closed = [0.1 + 0.9 * (1 + math.cos(math.pi * t / 10)) / 2 for t in range(1, 26)]
    assert got == pytest.approx(closed, rel=1e-12, abs=1e-15)


def test_reduce_on_plateau_patience_and_cooldown():
    opt = SGD(params(), lr=1.0)
    s = ReduceLROnPlateau(opt, factor=0.5, patience=2, cooldown=1, min_lr=0.2)
    rates = []
    for loss in [5, 4, 4, 4, 4, 4, 4, 4, 4, 4, 1]:
        s.step(loss)
        rates.append(opt.lr)
    # best 4 at epoch 2; epochs 3-5 bad -> halve after the third; cooldown 1; then 3 more bad -> halve
    assert rates == [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25]
    for _ in range(10):
        s.step(10)
    assert opt.lr == 0.2  # never below min_lr
    with pytest.raises(ValueError, match="factor must be < 1"):
        ReduceLROnPlateau(opt, factor=1.0)


def test_param_groups_take_defaults_and_their_own_values():
    a, b = params()
    opt = SGD([{"params": [a]}, {"params": [b], "lr": 0.01, "weight_decay": 0.1}], lr=0.5, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.5, 0.01]
    assert [g["momentum"] for g in opt.param_groups] == [0.9, 0.9]
    a.grad[...] = b.grad[...] = 1.0
    a0, b0 = a.data.copy(), b.data.copy()
    opt.step()
    assert np.allclose(a.data, a0 - 0.5 * 1.0)
    assert np.allclose(b.data, b0 - 0.01 * (1.0 + 0.1 * b0))
    with pytest.raises(ValueError, match=r"unknown option\(s\) \['betas'\]"):
        SGD([{"params": [a], "betas": (0.9, 0.99)}], lr=0.1)
    with pytest.raises(ValueError, match="more than one group"):
        SGD([{"params": [a]}, {"params": [a]}], lr=0.1)
    with pytest.raises(ValueError, match="invalid learning rate"):
        Adam([{"params": [a], "lr": -1.0}])


@pytest.mark.parametrize("make, tmake", [
    (lambda p: StepLR(SGD(p, lr=0.3, momentum=0.9), 4, 0.5), lambda t, o: t.optim.lr_scheduler.StepLR(o, 4, 0.5)),
    (lambda p: ExponentialLR(SGD(p, lr=0.3, momentum=0.9), 0.93),
     lambda t, o: t.optim.lr_scheduler.ExponentialLR(o, 0.93)),
    (lambda p: CosineAnnealingLR(SGD(p, lr=0.3, momentum=0.9), 7, 0.01),
     lambda t, o: t.optim.lr_scheduler.CosineAnnealingLR(o, 7, 0.01)),
])
def test_schedulers_equal_torch(make, tmake):
    torch = pytest.importorskip("torch")
    p = params(1)
    sched = make(p)
    tp = torch.tensor(p[0].data.copy(), requires_grad=True)
    topt = torch.optim.SGD([tp], lr=0.3, momentum=0.9)
    tsched = tmake(torch, topt)
    r = np.random.default_rng(1)
    for epoch in range(30):
        g = r.standard_normal(p[0].shape)
        p[0].grad[...] = g
        tp.grad = torch.tensor(g)
        sched.optimizer.step()
        topt.step()
        sched.step()
        tsched.step()
        assert sched.get_last_lr() == tsched.get_last_lr()  # bit for bit
    assert np.allclose(p[0].data, tp.detach().numpy(), rtol=1e-12)


def test_reduce_on_plateau_and_groups_equal_torch():
    torch = pytest.importorskip("torch")
    a, b = params()
    opt = RMSprop([{"params": [a]}, {"params": [b], "lr": 0.003, "momentum": 0.5}], lr=0.01, weight_decay=0.01)
    sched = ReduceLROnPlateau(opt, mode="max", factor=0.3, patience=1, threshold=0.05, threshold_mode="abs",
                              cooldown=2, min_lr=[1e-4, 1e-3])
    ta, tb = (torch.tensor(x.data.copy(), requires_grad=True) for x in (a, b))
    topt = torch.optim.RMSprop([{"params": [ta]}, {"params": [tb], "lr": 0.003, "momentum": 0.5}], lr=0.01,
                               weight_decay=0.01)
    tsched = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, mode="max", factor=0.3, patience=1, threshold=0.05,
                                                        threshold_mode="abs", cooldown=2, min_lr=[1e-4, 1e-3])
    r = np.random.default_rng(2)
    for metric in r.uniform(0, 1, 25):
        step_both(r, torch, ((a, ta), (b, tb)), opt, topt)
        sched.step(metric)
        tsched.step(metric)
        assert sched.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=1e-15)
    assert np.allclose(a.data, ta.detach().numpy(), rtol=1e-12) and np.allclose(b.data, tb.detach().numpy(), rtol=1e-12)


def test_groups_equal_torch_for_every_optimiser():
    torch = pytest.importorskip("torch")
    for ours, theirs, kw in [(SGD, torch.optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True)),
                             (Adam, torch.optim.Adam, dict(lr=0.01)), (NAdam, torch.optim.NAdam, dict(lr=0.01))]:
        a, b = params()
        opt = ours([{"params": [a], "weight_decay": 0.05}, {"params": [b], "lr": 0.002}], **kw)
        ta, tb = (torch.tensor(x.data.copy(), requires_grad=True) for x in (a, b))
        topt = theirs([{"params": [ta], "weight_decay": 0.05}, {"params": [tb], "lr": 0.002}], **kw)
        r = np.random.default_rng(3)
        for _ in range(10):
            step_both(r, torch, ((a, ta), (b, tb)), opt, topt)
        assert np.allclose(a.data, ta.detach().numpy(), rtol=1e-12), ours
        assert np.allclose(b.data, tb.detach().numpy(), rtol=1e-12), ours


def test_fit_steps_the_scheduler_and_stops_on_nan():
    r = np.random.default_rng(0)
    X, y = r.standard_normal((40, 3)), r.integers(0, 2, 40)
    model = nnlib.Linear(3, 2, rng=r)
    opt = SGD(model.parameters(), lr=0.1)
    sched = StepLR(opt, step_size=2, gamma=0.5)
    nnlib.fit(model, nnlib.softmax_cross_entropy, opt, (X, y), epochs=5, batch_size=8, show_progress=False,
              scheduler=sched)
    assert sched.last_epoch == 5 and opt.lr == pytest.approx(0.1 * 0.5 ** 2)
    plateau = ReduceLROnPlateau(SGD(model.parameters(), lr=0.1), patience=0, factor=0.5)
    nnlib.fit(model, nnlib.softmax_cross_entropy, plateau.optimizer, (X, y), epochs=3, batch_size=8,
              val=(X, y), show_progress=False, scheduler=plateau)
    assert plateau.last_epoch == 3
    X_bad = X.copy()
    X_bad[5, 0] = np.nan
    with pytest.raises(FloatingPointError, match=r"training loss became nan in epoch 1, step \d; try a smaller") as info:
        nnlib.fit(model, nnlib.softmax_cross_entropy, SGD(model.parameters(), lr=0.1), (X_bad, y), epochs=2,
                  batch_size=8, show_progress=False)
    assert info.value.epoch == 1 and info.value.history == {}

    class BlowsUp(nnlib.Linear):  # finite for its first 12 forward passes (two epochs of 5 steps + val), then nan
        calls = 0

        def forward(self, x):
            self.calls += 1
            out = super().forward(x)
            return out if self.calls <= 12 else out * np.nan

    late = BlowsUp(3, 2, rng=r)
    with pytest.raises(FloatingPointError, match="in epoch 3, step 1") as info:
        nnlib.fit(late, nnlib.softmax_cross_entropy, SGD(late.parameters(), lr=0.1), (X, y), epochs=5, batch_size=8,
                  val=(X, y), show_progress=False)
    assert info.value.epoch == 3 and len(info.value.history["train_loss"]) == len(info.value.history["val_loss"]) == 2
