"""A scalar reverse-mode autodiff engine in the spirit of micrograd: every ``Value``
remembers the values it was computed from and how to pass its gradient back to them.
Subtraction and division are built from +, × and ** so only a few backward rules exist.
Chapter: "Backpropagation" (the computational-graph view).
"""
import math


class Value:
    """A scalar node of a computational graph: ``.data``, ``.grad`` (∂output/∂this after
    ``backward()``), and the nodes it came from."""

    def __init__(self, data, _children=(), _op=""):
        self.data = float(data)
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = tuple(_children)
        self._op = _op

    @staticmethod
    def _wrap(other):
        return other if isinstance(other, Value) else Value(other)

    # ------------------------------------------------------------ primitives
    def __add__(self, other):
        other = self._wrap(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = self._wrap(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def __pow__(self, exponent):
        if not isinstance(exponent, (int, float)):
            raise TypeError("Value ** supports plain int/float exponents only")
        out = Value(self.data ** exponent, (self,), f"**{exponent}")

        def _backward():
            self.grad += exponent * self.data ** (exponent - 1) * out.grad
        out._backward = _backward
        return out

    def _unary(self, data, local_grad, op):
        """A one-input node whose derivative at this point is ``local_grad``."""
        out = Value(data, (self,), op)

        def _backward():
            self.grad += local_grad * out.grad
        out._backward = _backward
        return out

    def tanh(self):
        t = math.tanh(self.data)
        return self._unary(t, 1.0 - t * t, "tanh")

    def relu(self):
        return self._unary(max(self.data, 0.0), float(self.data > 0), "relu")

    def exp(self):
        e = math.exp(self.data)
        return self._unary(e, e, "exp")

    def log(self):
        return self._unary(math.log(self.data), 1.0 / self.data, "log")

    def sigmoid(self):
        # the stable form of σ, so large |x| neither overflows nor loses the gradient
        if self.data >= 0:
            s = 1.0 / (1.0 + math.exp(-self.data))
        else:
            e = math.exp(self.data)
            s = e / (1.0 + e)
        return self._unary(s, s * (1.0 - s), "sigmoid")

    # ------------------------------------------------ derived from primitives
    def __neg__(self):
        return self * -1

    def __sub__(self, other):
        return self + (-self._wrap(other))

    def __truediv__(self, other):
        return self * self._wrap(other) ** -1

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def __rsub__(self, other):
        return self._wrap(other) - self

    def __rtruediv__(self, other):
        return self._wrap(other) / self

    # ------------------------------------------------------------ backward
    def topological_order(self):
        """Every node this one depends on, inputs first and this node last: an iterative
        post-order depth-first search, so deep graphs do not hit the recursion limit."""
        order, seen, stack = [], set(), [(self, False)]
        while stack:
            node, children_done = stack.pop()
            if children_done:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((child, False) for child in reversed(node._prev))
        return order

    def backward(self):
        """Fill ``.grad`` of every node this one depends on, visiting nodes in reverse
        topological order so each node's gradient is complete before it is passed on.
        Gradients accumulate: calling it twice adds twice, as in PyTorch."""
        self.grad = 1.0
        for node in reversed(self.topological_order()):
            node._backward()

    def __repr__(self):
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g})"
