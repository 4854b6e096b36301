"""nnlib.train.fit: it runs the same updates as a hand-written loop, and early-stops."""
import numpy as np
import pytest

import nnlib
from nnlib.losses import mse_loss, softmax_cross_entropy
from nnlib.train import accuracy, fit


def test_accuracy():
    assert accuracy(np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 1.0]]), np.array([0, 0, 0])) == pytest.approx(2 / 3)


def test_fit_equals_hand_written_loop():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((20, 3)), rng.standard_normal((20, 1))

    def model():
        return nnlib.Sequential(nnlib.Linear(3, 4, rng=np.random.default_rng(1)), nnlib.Tanh(),
                                nnlib.Linear(4, 1, rng=np.random.default_rng(2)))
    a = model()
    history = fit(a, mse_loss, nnlib.SGD(a.parameters(), lr=0.1), (X, y), epochs=3, batch_size=8,
                  rng=np.random.default_rng(5), show_progress=False)
    b = model()
    opt, order_rng, losses = nnlib.SGD(b.parameters(), lr=0.1), np.random.default_rng(5), []
    for _ in range(3):
        order, total = order_rng.permutation(20), 0.0
        for s in range(0, 20, 8):
            idx = order[s:s + 8]
            opt.zero_grad()
            loss, d = mse_loss(b(X[idx]), y[idx])
            b.backward(d)
            opt.step()
            total += loss * len(idx)
        losses.append(total / 20)
    assert np.allclose(history["train_loss"], losses)
    for p, q in zip(a.parameters(), b.parameters()):
        assert np.allclose(p.data, q.data)


def test_fit_with_a_list_of_optimizers_equals_one_over_all_parameters():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((20, 3)), rng.standard_normal((20, 1))
    nets = [nnlib.Sequential(nnlib.Linear(3, 4, rng=np.random.default_rng(1)), nnlib.Tanh(),
                             nnlib.Linear(4, 1, rng=np.random.default_rng(2))) for _ in range(2)]
    first, rest = nets[0].parameters()[:2], nets[0].parameters()[2:]
    fit(nets[0], mse_loss, [nnlib.Adam(first, lr=0.1), nnlib.Adam(rest, lr=0.1)], (X, y), epochs=2,
        batch_size=8, show_progress=False)
    fit(nets[1], mse_loss, nnlib.Adam(nets[1].parameters(), lr=0.1), (X, y), epochs=2, batch_size=8,
        show_progress=False)
    for p, q in zip(*(net.parameters() for net in nets)):
        assert np.array_equal(p.data, q.data)


def test_fit_learns_and_early_stops_restoring_best(capsys, monkeypatch):
    monkeypatch.setenv("NNLIB_PROGRESS", "plain")
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 2))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    Xv, yv = X[:10], y[:10]
    m = nnlib.Sequential(nnlib.Linear(2, 8, rng=rng), nnlib.ReLU(), nnlib.Linear(8, 2, rng=rng))
    # a huge learning rate makes validation loss bounce, so patience 2 triggers early
    h = fit(m, softmax_cross_entropy, nnlib.SGD(m.parameters(), lr=5.0), (X[10:], y[10:]), epochs=50,
            batch_size=10, val=(Xv, yv), early_stopping=2, metric=accuracy)
    stopped = len(h["val_loss"])
    assert stopped < 50 and stopped == h["best_epoch"] + 3
    assert softmax_cross_entropy(m(Xv), yv)[0] == pytest.approx(min(h["val_loss"]))
    out = capsys.readouterr().out
    assert out.startswith(f"train: stopped early at {stopped}/50 [")
    assert not m.training


def test_fit_rejects_early_stopping_without_val():
    m = nnlib.Linear(1, 1)
    with pytest.raises(ValueError, match="validation"):
        fit(m, mse_loss, nnlib.SGD(m.parameters(), lr=0.1), (np.ones((2, 1)), np.ones((2, 1))), 1, 1,
            early_stopping=3)
