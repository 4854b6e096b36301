"""Parameters, modules and containers: the skeleton every nnlib layer hangs on.

A ``Module`` does two things: ``forward(x)`` computes the output and keeps what the
backward pass needs in ``self.cache``, a tuple (a named tuple where a reader may want its
parts, such as an LSTM's gates); ``backward(dout)`` returns the gradient with respect to the input and
*adds* the parameter gradients into ``p.grad`` (so gradients from several uses accumulate,
as in PyTorch, until ``zero_grad()``).  Explained in the chapter "Matrix notation and why
nonlinearity"; backpropagation itself in "Backpropagation".
"""
import numpy as np


class Parameter:
    """A trainable array: ``.data`` (float64) and ``.grad`` (same shape, starts at zero).

    ``grad_rows`` is None for an ordinary (dense) gradient.  A layer whose gradient touches
    only a few rows of a large table (``Embedding(sparse=True)``, torch's sparse gradient)
    keeps there the sorted rows written since the last ``zero_grad``: the optimiser then
    clears and ``SparseAdam`` updates only those rows instead of scanning the whole table.
    """

    def __init__(self, data):
        self.data = np.array(data, dtype=np.float64)
        self.grad = np.zeros_like(self.data)
        self.grad_rows = None

    def zero_grad(self):
        if self.grad_rows is None:
            self.grad[...] = 0.0
        else:  # a sparse gradient: only these rows were written
            self.grad[self.grad_rows] = 0.0
            self.grad_rows = self.grad_rows[:0]

    @property
    def shape(self):
        return self.data.shape

    def __repr__(self):
        return f"Parameter(shape={self.data.shape})"


class Module:
    """Base class of layers and models. Subclasses define ``forward`` and ``backward``.

    Parameters and sub-modules are found by looking at the instance's attributes in the
    order they were assigned (lists and tuples of modules count too), so a subclass needs
    no registration calls and no ``super().__init__()``.
    """

    training = True  # class default; train()/eval() set it per instance
    cache = None  # what forward stores for backward: a tuple (``x, = cached(self)`` reads it back)

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def forward(self, x):
        raise NotImplementedError(f"{type(self).__name__} has no forward")

    def backward(self, dout):
        raise NotImplementedError(f"{type(self).__name__} has no backward")

    def named_children(self):
        """Yield ``(name, module)`` for direct sub-modules, in assignment order."""
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if isinstance(item, Module):
                        yield f"{name}.{i}", item

    def named_parameters(self, prefix=""):
        """Yield ``(dotted_name, Parameter)`` recursively, each parameter once."""
        seen = set()
        for name, p in self._named_parameters(prefix):
            if id(p) not in seen:
                seen.add(id(p))
                yield name, p

    def _named_parameters(self, prefix):
        for name, value in vars(self).items():
            if isinstance(value, Parameter):
                yield prefix + name, value
        for name, child in self.named_children():
            yield from child._named_parameters(prefix + name + ".")

    def parameters(self):
        """All Parameters of this module and its sub-modules, in registration order."""
        return [p for _, p in self.named_parameters()]

    def num_parameters(self):
        """The total number of scalars in ``parameters()`` (each shared Parameter once)."""
        return sum(p.data.size for p in self.parameters())

    def zero_grad(self):
        for p in self.parameters():
            p.zero_grad()

    def train(self, mode=True):
        """Switch this module and its sub-modules to training (or, with False, eval) mode."""
        self.training = mode
        for _, child in self.named_children():
            child.train(mode)
        return self

    def eval(self):
        return self.train(False)

    def extra_repr(self):
        """The arguments shown in this module's repr, e.g. ``in_features=4, out_features=3, bias=True``:
        the one string method a layer defines (error messages name a layer by it too)."""
        return ""

    def _name(self):
        """How error messages name this module: ``Linear(in_features=4, out_features=3, bias=True)``."""
        return f"{type(self).__name__}({self.extra_repr()})"

    def __repr__(self):
        children = list(self.named_children())
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"  ({name}): " + repr(child).replace("\n", "\n  ") for name, child in children]
        return f"{type(self).__name__}(\n" + "\n".join(lines) + "\n)"


class Sequential(Module):
    """Apply modules one after another; backward runs them in reverse order."""

    def __init__(self, *modules):
        for m in modules:
            if not isinstance(m, Module):
                raise TypeError(f"Sequential takes Modules, got {type(m).__name__}")
        self.layers = list(modules)

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def backward(self, dout):
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout

    def __getitem__(self, i):
        return self.layers[i]

    def __len__(self):
        return len(self.layers)

    def named_children(self):
        for i, layer in enumerate(self.layers):
            yield str(i), layer


# ---------------------------------------------------------------- input checking

def as_float_array(x, who):
    """Return ``x`` as a float64 array, or raise a TypeError naming the layer ``who``."""
    if isinstance(x, np.ndarray) and x.dtype == np.float64:
        return x
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"{who}: cannot turn input of type {type(x).__name__} into an array ({exc})")
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{who}: expected a numeric array, got dtype {arr.dtype} "
                        f"(type {type(x).__name__})")
    return arr.astype(np.float64)


def check_last_dim(x, size, who, name="features"):
    """Raise a ValueError naming ``who`` unless ``x`` is (..., size) with at least 2 dims."""
    if x.ndim < 2 or x.shape[-1] != size:
        raise ValueError(f"{who} expects input of shape (N, {size}) with {size} {name}, "
                         f"got shape {x.shape}")


def check_same_shape(dout, shape, who):
    """Raise a ValueError unless the upstream gradient has the forward output's shape."""
    if dout.shape != tuple(shape):
        raise ValueError(f"{who}.backward: dout has shape {dout.shape}, "
                         f"but the forward output had shape {tuple(shape)}")


def cached(module):
    """``module.cache``, the tuple forward stored for backward, or a RuntimeError if backward
    came before forward."""
    if module.cache is None:
        raise RuntimeError(f"{type(module).__name__}.backward called before forward")
    return module.cache
