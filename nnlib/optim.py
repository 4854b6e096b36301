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
            g = p.grad + self.weight_decay * p.data if self.weight_decay else p.grad.copy()
            if self.momentum:
                buf = state.get("momentum_buffer")
                if buf is None:
                    buf = state["momentum_buffer"] = g.copy()
                else:
                    buf *= self.momentum
                    buf += (1.0 - self.dampening) * g
                g = g + self.momentum * buf if self.nesterov else buf
            p.data -= self.lr * g
