"""Optimisers with ``torch.optim``'s update rules. Each holds a list of Parameters,
``step()`` updates ``p.data`` from ``p.grad``, ``zero_grad()`` clears the gradients.
Chapters: "Matrix notation and why nonlinearity" (SGD), "Optimisers" (all of them).
"""
import numpy as np


class Optimizer:
    """Common part: the parameter list, per-parameter state, zero_grad."""

    def __init__(self, params, lr):
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        if lr < 0:
            raise ValueError(f"{type(self).__name__}: invalid learning rate {lr}")
        self.lr = lr
        self.state = [dict() for _ in self.params]  # one dict per parameter, same order

    def zero_grad(self):
        for p in self.params:
            p.grad[...] = 0.0

    def _grad(self, p):
        """p.grad plus the L2 term weight_decay·w (torch's coupled weight decay)."""
        decay = getattr(self, "weight_decay", 0.0)
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
        super().__init__(params, lr)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: Nesterov momentum requires momentum > 0 and zero dampening")
        self.momentum, self.nesterov = momentum, nesterov
        self.weight_decay, self.dampening = weight_decay, dampening

    def step(self):
        for p, state in zip(self.params, self.state):
            g = self._grad(p)
            if self.momentum:
                buf = state.get("momentum_buffer")
                if buf is None:
                    buf = state["momentum_buffer"] = g.copy()
                else:
                    buf *= self.momentum
                    buf += (1.0 - self.dampening) * g
                g = g + self.momentum * buf if self.nesterov else buf
            p.data -= self.lr * g


class Adagrad(Optimizer):
    """Per-coordinate step sizes that shrink with the sum of all past squared gradients.

    As ``torch.optim.Adagrad``:  g = grad + weight_decay·w;  sum += g²;
    w ← w − clr · g / (sqrt(sum) + eps),  clr = lr / (1 + (t − 1)·lr_decay).
    """

    def __init__(self, params, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10):
        super().__init__(params, lr)
        self.lr_decay, self.weight_decay, self.eps = lr_decay, weight_decay, eps
        for p, state in zip(self.params, self.state):
            state["step"] = 0
            state["sum"] = np.full_like(p.data, initial_accumulator_value)

    def step(self):
        for p, state in zip(self.params, self.state):
            state["step"] += 1
            g = self._grad(p)
            clr = self.lr / (1 + (state["step"] - 1) * self.lr_decay)
            state["sum"] += g * g
            p.data -= clr * g / (np.sqrt(state["sum"]) + self.eps)


class Adadelta(Optimizer):
    """Adagrad's step with running averages instead of sums, and units fixed by the running
    average of past updates (so lr = 1 works).

    As ``torch.optim.Adadelta``:  v = ρ v + (1 − ρ) g²;  Δ = sqrt(u + eps) / sqrt(v + eps) · g;
    u = ρ u + (1 − ρ) Δ²;  w ← w − lr · Δ.
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
        super().__init__(params, lr)
        self.rho, self.eps, self.weight_decay = rho, eps, weight_decay

    def step(self):
        for p, state in zip(self.params, self.state):
            g = self._grad(p)
            v = state.setdefault("square_avg", np.zeros_like(p.data))
            u = state.setdefault("acc_delta", np.zeros_like(p.data))
            v *= self.rho
            v += (1 - self.rho) * g * g
            delta = np.sqrt(u + self.eps) / np.sqrt(v + self.eps) * g
            u *= self.rho
            u += (1 - self.rho) * delta * delta
            p.data -= self.lr * delta


class RMSprop(Optimizer):
    """Divide the gradient by a running root-mean-square of recent gradients.

    As ``torch.optim.RMSprop``:  v = α v + (1 − α) g²;  (centered: subtract the squared
    running mean of g);  with momentum: buf = momentum·buf + g / (sqrt(v) + eps), w ← w − lr·buf;
    else w ← w − lr · g / (sqrt(v) + eps).
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                 centered=False):
        super().__init__(params, lr)
        self.alpha, self.eps, self.weight_decay = alpha, eps, weight_decay
        self.momentum, self.centered = momentum, centered

    def step(self):
        for p, state in zip(self.params, self.state):
            g = self._grad(p)
            v = state.setdefault("square_avg", np.zeros_like(p.data))
            v *= self.alpha
            v += (1 - self.alpha) * g * g
            if self.centered:
                g_avg = state.setdefault("grad_avg", np.zeros_like(p.data))
                g_avg += (1 - self.alpha) * (g - g_avg)
                avg = np.sqrt(v - g_avg * g_avg) + self.eps
            else:
                avg = np.sqrt(v) + self.eps
            if self.momentum > 0:
                buf = state.setdefault("momentum_buffer", np.zeros_like(p.data))
                buf *= self.momentum
                buf += g / avg
                p.data -= self.lr * buf
            else:
                p.data -= self.lr * g / avg


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
        super().__init__(params, lr)
        self.betas, self.eps, self.weight_decay = betas, eps, weight_decay
        for p, state in zip(self.params, self.state):
            state.update(step=0, exp_avg=np.zeros_like(p.data), exp_avg_sq=np.zeros_like(p.data))

    def step(self):
        beta1, beta2 = self.betas
        for p, state in zip(self.params, self.state):
            state["step"] += 1
            t = state["step"]
            g = self._grad(p)
            m, v = _update_moments(state, g, beta1, beta2)
            step_size = self.lr / (1 - beta1 ** t)
            denom = np.sqrt(v) / (1 - beta2 ** t) ** 0.5 + self.eps
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
        super().__init__(params, lr)
        self.betas, self.eps, self.weight_decay = betas, eps, weight_decay
        self.momentum_decay = momentum_decay
        for p, state in zip(self.params, self.state):
            state.update(step=0, mu_product=1.0, exp_avg=np.zeros_like(p.data),
                         exp_avg_sq=np.zeros_like(p.data))

    def step(self):
        beta1, beta2 = self.betas
        for p, state in zip(self.params, self.state):
            state["step"] += 1
            t = state["step"]
            g = self._grad(p)
            mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * self.momentum_decay))
            mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * self.momentum_decay))
            state["mu_product"] *= mu
            m, v = _update_moments(state, g, beta1, beta2)
            denom = np.sqrt(v / (1 - beta2 ** t)) + self.eps
            p.data -= self.lr * (1.0 - mu) / (1.0 - state["mu_product"]) * g / denom
            p.data -= self.lr * mu_next / (1.0 - state["mu_product"] * mu_next) * m / denom
