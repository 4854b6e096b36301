"""Optimisers with ``torch.optim``'s update rules. Each holds parameter groups (lists of
Parameters with their own hyperparameters), ``step()`` updates ``p.data`` from ``p.grad``,
``zero_grad()`` clears the gradients.  ``clip_grad_norm`` rescales gradients before a step;
``nnlib.optim.lr_scheduler`` changes the learning rate between epochs.
Chapters: "Matrix notation and why nonlinearity" (SGD), "Optimisers" (all of them),
"Recurrent networks" (clipping).
"""
import math

import numpy as np

from ..core import Parameter


class Optimizer:
    """Common part: parameter groups, per-parameter state, weight decay, zero_grad.

    ``params`` is an iterable of Parameters, or (as torch.optim) of dicts
    ``{"params": [...], "lr": ..., "weight_decay": ..., ...}``, one per parameter group; a
    key a group leaves out takes the constructor's value.  ``param_groups`` is that list of
    dicts: change a group's ``"lr"`` between steps (a scheduler does) and the next step uses it.
    ``state`` holds one dict per parameter, in the order of ``params`` (all groups in turn).
    """

    def __init__(self, params, defaults):
        name = type(self).__name__
        params = list(params)
        if not params:
            raise ValueError(f"{name} got an empty parameter list")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        self.defaults = dict(defaults)
        self.param_groups = []
        for group in groups:
            if not isinstance(group, dict) or "params" not in group:
                raise TypeError(f"{name}: give Parameters, or dicts with a 'params' list, not a mix")
            unknown = sorted(set(group) - set(defaults) - {"params"})
            if unknown:
                raise ValueError(f"{name}: unknown option(s) {unknown} in a parameter group")
            group = {**self.defaults, **group, "params": list(group["params"])}
            if not group["params"]:
                raise ValueError(f"{name} got a parameter group with no parameters")
            if group["lr"] < 0:
                raise ValueError(f"{name}: invalid learning rate {group['lr']}")
            self.param_groups.append(group)
        self.params = [p for group in self.param_groups for p in group["params"]]
        if len({id(p) for p in self.params}) != len(self.params):
            raise ValueError(f"{name}: a parameter appears in more than one group (or twice in one)")
        self.state = [dict() for _ in self.params]  # one dict per parameter, same order

    @property
    def lr(self):
        """The first group's learning rate; setting it sets every group's."""
        return self.param_groups[0]["lr"]

    @lr.setter
    def lr(self, value):
        for group in self.param_groups:
            group["lr"] = value

    def zero_grad(self):
        for p in self.params:
            p.zero_grad()

    def _groups(self):
        """Yield (group, [(parameter, its state), ...]) for every parameter group."""
        start = 0
        for group in self.param_groups:
            end = start + len(group["params"])
            yield group, list(zip(group["params"], self.state[start:end]))
            start = end

    def _start_moments(self, **extra):
        """The Adam family's state: a step count and zero first and second moments per parameter."""
        for p, state in zip(self.params, self.state):
            state.update(step=0, exp_avg=np.zeros_like(p.data), exp_avg_sq=np.zeros_like(p.data), **extra)

    @staticmethod
    def _grad(p, group):
        """p.grad plus the L2 term weight_decay·w (torch's coupled weight decay)."""
        decay = group["weight_decay"]
        return p.grad + decay * p.data if decay else p.grad

    def step(self):
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with (Nesterov) momentum and weight decay.

    As ``torch.optim.SGD``:  g = grad + weight_decay·w;
    with momentum: buf = g on the first step, then buf = momentum·buf + (1 − dampening)·g,
    and g = g + momentum·buf (Nesterov) or g = buf;  finally w ← w − lr·g.
    """

    def __init__(self, params, lr, momentum=0.0, nesterov=False, weight_decay=0.0, dampening=0.0):
        super().__init__(params, dict(lr=lr, momentum=momentum, nesterov=nesterov,
                                      weight_decay=weight_decay, dampening=dampening))
        for group in self.param_groups:
            if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
                raise ValueError("SGD: Nesterov momentum requires momentum > 0 and zero dampening")

    def step(self):
        for group, items in self._groups():
            momentum = group["momentum"]
            for p, state in items:
                g = self._grad(p, group)
                if momentum:
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = state["momentum_buffer"] = g.copy()
                    else:
                        buf *= momentum
                        buf += (1.0 - group["dampening"]) * g
                    g = g + momentum * buf if group["nesterov"] else buf
                p.data -= group["lr"] * g


class Adagrad(Optimizer):
    """Per-coordinate step sizes that shrink with the sum of all past squared gradients.

    As ``torch.optim.Adagrad``:  g = grad + weight_decay·w;  sum += g²;
    w ← w − clr · g / (sqrt(sum) + eps),  clr = lr / (1 + (t − 1)·lr_decay).
    """

    def __init__(self, params, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10):
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, eps=eps))
        for group, items in self._groups():
            for p, state in items:
                state["step"] = 0
                state["sum"] = np.full_like(p.data, group["initial_accumulator_value"])

    def step(self):
        for group, items in self._groups():
            for p, state in items:
                state["step"] += 1
                g = self._grad(p, group)
                clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
                state["sum"] += g * g
                p.data -= clr * g / (np.sqrt(state["sum"]) + group["eps"])


class Adadelta(Optimizer):
    """Adagrad's step with running averages instead of sums, and units fixed by the running
    average of past updates (so lr = 1 works).

    As ``torch.optim.Adadelta``:  v = ρ v + (1 − ρ) g²;  Δ = sqrt(u + eps) / sqrt(v + eps) · g;
    u = ρ u + (1 − ρ) Δ²;  w ← w − lr · Δ.
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay))

    def step(self):
        for group, items in self._groups():
            rho, eps = group["rho"], group["eps"]
            for p, state in items:
                g = self._grad(p, group)
                v = state.setdefault("square_avg", np.zeros_like(p.data))
                u = state.setdefault("acc_delta", np.zeros_like(p.data))
                v *= rho
                v += (1 - rho) * g * g
                delta = np.sqrt(u + eps) / np.sqrt(v + eps) * g
                u *= rho
                u += (1 - rho) * delta * delta
                p.data -= group["lr"] * delta


class RMSprop(Optimizer):
    """Divide the gradient by a running root-mean-square of recent gradients.

    As ``torch.optim.RMSprop``:  v = α v + (1 − α) g²;  (centered: subtract the squared
    running mean of g);  with momentum: buf = momentum·buf + g / (sqrt(v) + eps), w ← w − lr·buf;
    else w ← w − lr · g / (sqrt(v) + eps).
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                 centered=False):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered))

    def step(self):
        for group, items in self._groups():
            alpha, eps, momentum = group["alpha"], group["eps"], group["momentum"]
            for p, state in items:
                g = self._grad(p, group)
                v = state.setdefault("square_avg", np.zeros_like(p.data))
                v *= alpha
                v += (1 - alpha) * g * g
                if group["centered"]:
                    g_avg = state.setdefault("grad_avg", np.zeros_like(p.data))
                    g_avg += (1 - alpha) * (g - g_avg)
                    avg = np.sqrt(v - g_avg * g_avg) + eps
                else:
                    avg = np.sqrt(v) + eps
                if momentum > 0:
                    buf = state.setdefault("momentum_buffer", np.zeros_like(p.data))
                    buf *= momentum
                    buf += g / avg
                    p.data -= group["lr"] * buf
                else:
                    p.data -= group["lr"] * g / avg


def _update_moments(state, g, beta1, beta2):
    """Adam's running moments, in place: m = β1 m + (1 − β1) g (written as torch's lerp)
    and v = β2 v + (1 − β2) g²."""
    m, v = state["exp_avg"], state["exp_avg_sq"]
    m += (1 - beta1) * (g - m)
    v *= beta2
    v += (1 - beta2) * g * g
    return m, v


class Adam(Optimizer):
    """Momentum on the gradient (first moment) divided by the RMS of the gradient (second
    moment), both bias-corrected for their zero start.

    As ``torch.optim.Adam``:  m = β1 m + (1 − β1) g;  v = β2 v + (1 − β2) g²;
    w ← w − lr/(1 − β1^t) · m / (sqrt(v)/sqrt(1 − β2^t) + eps).
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))
        self._start_moments()

    def step(self):
        for group, items in self._groups():
            beta1, beta2 = group["betas"]
            for p, state in items:
                state["step"] += 1
                t = state["step"]
                g = self._grad(p, group)
                m, v = _update_moments(state, g, beta1, beta2)
                step_size = group["lr"] / (1 - beta1 ** t)
                denom = np.sqrt(v) / (1 - beta2 ** t) ** 0.5 + group["eps"]
                p.data -= step_size * m / denom


class NAdam(Optimizer):
    """Adam with Nesterov momentum: the step looks ahead with the next momentum
    coefficient μ_{t+1}, which warms up as μ_t = β1 (1 − 0.5 · 0.96^{t·momentum_decay}).

    As ``torch.optim.NAdam``:  w ← w − lr (1 − μ_t)/(1 − Πμ_{1..t}) · g / d
                                     − lr μ_{t+1}/(1 − Πμ_{1..t+1}) · m / d,
    with d = sqrt(v / (1 − β2^t)) + eps.
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 momentum_decay=4e-3):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay))
        self._start_moments(mu_product=1.0)

    def step(self):
        for group, items in self._groups():
            beta1, beta2 = group["betas"]
            lr, decay = group["lr"], group["momentum_decay"]
            for p, state in items:
                state["step"] += 1
                t = state["step"]
                g = self._grad(p, group)
                mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * decay))
                mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * decay))
                state["mu_product"] *= mu
                m, v = _update_moments(state, g, beta1, beta2)
                denom = np.sqrt(v / (1 - beta2 ** t)) + group["eps"]
                p.data -= lr * (1.0 - mu) / (1.0 - state["mu_product"]) * g / denom
                p.data -= lr * mu_next / (1.0 - state["mu_product"] * mu_next) * m / denom


class SparseAdam(Optimizer):
    """Adam that updates only the rows a step has a gradient for, as ``torch.optim.SparseAdam``
    does for the sparse gradient of an ``Embedding(sparse=True)``: the rows the batch used
    (``p.grad_rows``), or for an ordinary parameter the rows whose gradient is not all zero.
    Other rows (words the batch did not use) keep their value and their moments.

    A row's moments and value change only when the row is used; the step count t is the
    parameter's, so bias corrections use it for every row:
    m_r = β1 m_r + (1 − β1) g_r;  v_r = β2 v_r + (1 − β2) g_r²;
    w_r ← w_r − lr·sqrt(1 − β2^t)/(1 − β1^t) · m_r / (sqrt(v_r) + eps).
    A row is the first axis (an embedding's token); a 1-d parameter counts each entry as a row.
    Chapter: "NER and window classification" (training on a large vocabulary).
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps))
        self._start_moments()

    def step(self):
        for group, items in self._groups():
            beta1, beta2 = group["betas"]
            for p, state in items:
                if p.grad_rows is not None:  # Embedding(sparse=True): the rows the batch used
                    rows = p.grad_rows
                else:
                    grad = p.grad.reshape(len(p.grad), -1) if p.grad.ndim else p.grad.reshape(1, 1)
                    rows = np.flatnonzero(np.any(grad != 0, axis=1))
                state["step"] += 1
                if not len(rows):
                    continue
                t = state["step"]
                g = p.grad[rows]
                m, v = state["exp_avg"][rows], state["exp_avg_sq"][rows]  # copies: written back below
                m += (1 - beta1) * (g - m)
                v += (1 - beta2) * (g * g - v)
                state["exp_avg"][rows], state["exp_avg_sq"][rows] = m, v
                step_size = group["lr"] * math.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
                p.data[rows] -= step_size * m / (np.sqrt(v) + group["eps"])


def clip_grad_norm(parameters, max_norm):
    """Scale all gradients together so that their joint L2 norm is at most ``max_norm``.

    As ``torch.nn.utils.clip_grad_norm_``: total = sqrt(Σ_p ‖p.grad‖²); if total > max_norm,
    every grad is multiplied in place by max_norm / (total + 1e-6).  Returns total, the norm
    before clipping, as a float.  The direction of the update is kept; only its length
    shrinks, which tames the exploding gradients of recurrent networks.
    """
    if isinstance(parameters, Parameter):
        parameters = [parameters]
    grads = [p.grad for p in parameters]
    total = math.sqrt(sum(float(np.vdot(g, g)) for g in grads))
    if total > max_norm:
        scale = max_norm / (total + 1e-6)
        for g in grads:
            g *= scale
    return total
