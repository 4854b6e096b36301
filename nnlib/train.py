"""A small training loop the chapters share once they have written one by hand.
Chapter: "Losses and gradient descent" (and every chapter after it)."""
import numpy as np

from .optim.lr_scheduler import ReduceLROnPlateau
from .progress import progress


def accuracy(scores, labels):
    """Fraction of rows of ``scores`` (N, C) whose arg-max equals ``labels`` (N,)."""
    return float(np.mean(np.argmax(scores, axis=1) == np.asarray(labels)))


def fit(model, loss_fn, optimizer, data, epochs, batch_size, val=None, early_stopping=None,
        metric=None, rng=None, show_progress=True, desc="train", scheduler=None,
        score=None, score_name="score", on_epoch_start=None):
    """Train ``model`` with minibatches and return its history.

    data, val: (X, y) pairs of arrays with N rows.  loss_fn(scores, y) -> (loss, dscores),
    as the functions in ``nnlib.losses``.  optimizer: one optimiser, or a list of them over
    disjoint parameters (as in torch: SparseAdam for embedding tables, Adam for the rest).  metric(scores, y) -> float, e.g. ``accuracy``.
    Each epoch calls ``on_epoch_start(epoch)`` if given (to change the data, say), shuffles
    with ``rng`` (default_rng(0) if None), then for every minibatch: zero_grad, forward, loss,
    backward, step.  After the epoch, in eval mode, the model is evaluated on ``val`` and by
    ``score(model) -> float`` (higher is better, e.g. a dev F1; recorded as ``score_name``).
    The best epoch is the one with the best score, or without ``score`` the lowest validation
    loss; early_stopping=k stops when it has not improved for k epochs and restores the
    parameters of the best epoch.  scheduler (from ``nnlib.optim.lr_scheduler``) steps once
    after every epoch; ReduceLROnPlateau gets the validation loss (the training loss without
    ``val``).  A loss that becomes nan or inf stops training with a FloatingPointError naming
    the epoch and step; its ``epoch`` attribute is that epoch (from 1) and ``history`` the
    history of the epochs completed before it.

    Returns a dict of per-epoch lists: train_loss (mean over the epoch's minibatches),
    train_metric, val_loss, val_metric, score_name (present only when computable), plus
    best_epoch (None without val or score).
    """
    if early_stopping is not None and val is None and score is None:
        raise ValueError("fit: early_stopping needs validation data (val=...) or a score function")
    rng = np.random.default_rng(0) if rng is None else rng
    optimizers = list(optimizer) if isinstance(optimizer, (list, tuple)) else [optimizer]
    X, y = data
    n = len(X)
    history = {"train_loss": [], "train_metric": [], "val_loss": [], "val_metric": [], score_name: []}
    best, best_epoch, best_params = -np.inf, None, None  # best of the monitored value, higher is better
    epochs_iter = progress(range(epochs), desc=desc) if show_progress else range(epochs)
    for epoch in epochs_iter:
        model.train()
        if on_epoch_start is not None:
            on_epoch_start(epoch)
        order = rng.permutation(n)
        total, hits = 0.0, 0.0
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            for opt in optimizers:
                opt.zero_grad()
            scores = model(X[idx])
            loss, dscores = loss_fn(scores, y[idx])
            if not np.isfinite(loss):
                error = FloatingPointError(f"fit: the training loss became {loss} in epoch {epoch + 1}, step "
                                           f"{start // batch_size + 1}; try a smaller learning rate")
                error.epoch = epoch + 1  # for experiments that expect divergence: where, and the epochs before it
                error.history = {k: v for k, v in history.items() if v}
                raise error
            model.backward(dscores)
            for opt in optimizers:
                opt.step()
            total += loss * len(idx)
            if metric is not None:
                hits += metric(scores, y[idx]) * len(idx)
        history["train_loss"].append(total / n)
        if metric is not None:
            history["train_metric"].append(hits / n)
        postfix = {"loss": total / n}
        monitored = None
        if val is not None:
            model.eval()
            val_scores = model(val[0])
            val_loss = loss_fn(val_scores, val[1])[0]
            history["val_loss"].append(val_loss)
            postfix["val_loss"] = val_loss
            monitored = -val_loss
            if metric is not None:
                history["val_metric"].append(metric(val_scores, val[1]))
        if score is not None:
            model.eval()
            value = float(score(model))
            history[score_name].append(value)
            postfix[score_name] = monitored = value
        if monitored is not None:
            if monitored > best:
                best, best_epoch = monitored, epoch
                best_params = [p.data.copy() for p in model.parameters()]
            elif early_stopping is not None and epoch - best_epoch >= early_stopping:
                break
        if scheduler is not None:
            if isinstance(scheduler, ReduceLROnPlateau):  # it watches a metric
                scheduler.step(history["val_loss"][-1] if val is not None else history["train_loss"][-1])
            else:
                scheduler.step()
        if show_progress:
            epochs_iter.set_postfix(**postfix)
    if early_stopping is not None and best_params is not None:
        for p, data_best in zip(model.parameters(), best_params):
            p.data[...] = data_best
    model.eval()
    history = {k: v for k, v in history.items() if v}
    history["best_epoch"] = best_epoch
    return history
