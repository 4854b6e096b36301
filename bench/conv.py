"""Conv2d / MaxPool2d / AvgPool2d and a whole LeNet-5 forward + backward, float64, nnlib vs torch.nn."""
import numpy as np
import torch

from nnlib.conv import AvgPool2d, Conv2d, MaxPool2d
from nnlib.core import Sequential
from nnlib.layers import Flatten, Linear, ReLU

# (in, out, kernel, padding, input shape): LeNet-5 on 28×28 MNIST, a small LeNet on the 8×8
# digits, and one VGG-sized layer
CONVS = [(1, 6, 5, 0, (64, 1, 28, 28)), (6, 16, 5, 0, (64, 6, 12, 12)),
         (1, 6, 3, 1, (64, 1, 8, 8)), (6, 16, 3, 0, (64, 6, 4, 4)),
         (64, 64, 3, 1, (32, 64, 32, 32))]
POOLS = [(2, (64, 6, 24, 24)), (2, (64, 16, 8, 8))]  # (kernel = stride, input shape): LeNet's


def _lenet(conv, pool, relu, flatten, linear, rng=None):
    """LeNet-5 on 28×28 images (conv 5×5, 6 → 16 channels, 2×2 max pools, three linear layers) from
    one library's layer classes; nnlib's get ``rng``, torch's are copied from nnlib's."""
    kw = {} if rng is None else {"rng": rng}
    return [conv(1, 6, 5, **kw), relu(), pool(2), conv(6, 16, 5, **kw), relu(), pool(2), flatten(),
            linear(256, 120, **kw), relu(), linear(120, 84, **kw), relu(), linear(84, 10, **kw)]


def _pair(ours, theirs, x, rng):
    """The two timed closures: zero the gradients, forward, backward with a fixed dout."""
    dout = rng.standard_normal(ours(x).shape)
    tx = torch.tensor(x, requires_grad=True)
    tdout = torch.tensor(dout)

    def run_ours():
        ours.zero_grad()
        ours(x)
        ours.backward(dout)

    def run_theirs():
        theirs.zero_grad(set_to_none=False)
        tx.grad = None
        theirs(tx).backward(tdout)

    return run_ours, run_theirs


def cases():
    rng = np.random.default_rng(0)
    for c_in, c_out, k, p, shape in CONVS:
        x = rng.standard_normal(shape)
        ours = Conv2d(c_in, c_out, k, padding=p, rng=rng)
        theirs = torch.nn.Conv2d(c_in, c_out, k, padding=p, dtype=torch.float64)
        pad = f" p{p}" if p else ""
        yield (f"Conv2d {c_in}->{c_out} k{k}{pad} N={shape[0]} {shape[2]}x{shape[3]}",
               *_pair(ours, theirs, x, rng))
    for k, shape in POOLS:
        x = rng.standard_normal(shape)
        for ours, theirs in [(MaxPool2d(k), torch.nn.MaxPool2d(k)), (AvgPool2d(k), torch.nn.AvgPool2d(k))]:
            yield (f"{type(ours).__name__} {k} N={shape[0]} C={shape[1]} {shape[2]}x{shape[3]}",
                   *_pair(ours, theirs, x, rng))
    # the whole network: the layers hand each other their outputs' memory layouts
    ours = Sequential(*_lenet(Conv2d, MaxPool2d, ReLU, Flatten, Linear, rng))
    theirs = torch.nn.Sequential(*_lenet(torch.nn.Conv2d, torch.nn.MaxPool2d, torch.nn.ReLU, torch.nn.Flatten,
                                         torch.nn.Linear)).double()
    with torch.no_grad():  # same weights, so both networks compute the same numbers
        for p, q in zip(ours.parameters(), theirs.parameters()):
            q.copy_(torch.tensor(p.data))
    yield "LeNet-5 N=64 28x28", *_pair(ours, theirs, rng.standard_normal((64, 1, 28, 28)), rng)
