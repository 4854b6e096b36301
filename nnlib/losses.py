"""Loss functions. Each returns ``(loss, gradient(s))``: the loss as a Python float and the
gradient of that loss with respect to each input, ready to feed into ``backward``.
Chapters: "Matrix notation and why nonlinearity", "Max-margin objective", "Losses and
gradient descent".
"""
import numpy as np

from .functional import log_softmax


def _floats(x, who, name):
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{who}: {name} must be numeric ({exc})") from None
    return arr


def _sum_to_shape(grad, shape):
    """Undo numpy broadcasting: sum ``grad`` over the axes that were broadcast to reach it."""
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad


def mse_loss(pred, target):
    """Mean squared error over all elements, as ``torch.nn.functional.mse_loss``.

    pred, target: same shape.  Returns (loss, dpred) with dpred = 2 (pred − target) / size.
    """
    pred, target = _floats(pred, "mse_loss", "pred"), _floats(target, "mse_loss", "target")
    if pred.shape != target.shape:
        raise ValueError(f"mse_loss: pred has shape {pred.shape} but target has shape {target.shape}")
    diff = pred - target
    return float(np.mean(diff ** 2)), 2.0 * diff / diff.size


def softmax_cross_entropy(scores, labels):
    """Softmax followed by the negative log-likelihood, averaged over the batch
    (``torch.nn.functional.cross_entropy``).

    scores: (N, C) raw class scores; labels: (N,) integers in [0, C).
    Returns (loss, dscores) with dscores = (softmax(scores) − onehot(labels)) / N.
    Works through log-softmax, so scores of ±1000 give finite results and no warnings.
    """
    scores = _floats(scores, "softmax_cross_entropy", "scores")
    labels = np.asarray(labels)
    if scores.ndim != 2:
        raise ValueError(f"softmax_cross_entropy expects scores of shape (N, C), got shape {scores.shape}")
    n, c = scores.shape
    if labels.shape != (n,):
        raise ValueError(f"softmax_cross_entropy expects labels of shape ({n},) to match scores "
                         f"{scores.shape}, got shape {labels.shape}")
    if not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"softmax_cross_entropy: labels must be integers, got dtype {labels.dtype}")
    if n and (labels.min() < 0 or labels.max() >= c):
        raise ValueError(f"softmax_cross_entropy: labels must lie in [0, {c}), "
                         f"got values from {labels.min()} to {labels.max()}")
    logp = log_softmax(scores, axis=1)
    rows = np.arange(n)
    loss = -np.mean(logp[rows, labels])
    dscores = np.exp(logp)
    dscores[rows, labels] -= 1.0
    return float(loss), dscores / n


def max_margin_loss(s_true, s_corrupt, margin=1.0):
    """Hinge loss that wants each true window to outscore its corrupt one by ``margin``:
    J = mean(max(0, margin − s_true + s_corrupt)).

    s_true and s_corrupt broadcast against each other (e.g. (N, 1) and (N, K) for K
    corrupt windows per true one); the mean is over the broadcast shape.
    Returns (loss, ds_true, ds_corrupt), each gradient in its input's shape.
    """
    s_true = _floats(s_true, "max_margin_loss", "s_true")
    s_corrupt = _floats(s_corrupt, "max_margin_loss", "s_corrupt")
    try:
        hinge = margin - s_true + s_corrupt
    except ValueError:
        raise ValueError(f"max_margin_loss: s_true {s_true.shape} and s_corrupt {s_corrupt.shape} "
                         "do not broadcast") from None
    active = (hinge > 0).astype(np.float64) / max(hinge.size, 1)
    loss = float(np.mean(np.maximum(hinge, 0.0))) if hinge.size else 0.0
    return loss, _sum_to_shape(-active, s_true.shape), _sum_to_shape(active, s_corrupt.shape)
