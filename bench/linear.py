"""Linear forward + backward, float64, nnlib vs torch.nn.Linear."""
import numpy as np
import torch

import nnlib

SIZES = [(64, 100, 100), (128, 784, 256), (256, 1024, 1024)]  # (N, in, out)


def cases():
    rng = np.random.default_rng(0)
    for n, d_in, d_out in SIZES:
        x = rng.standard_normal((n, d_in))
        dout = rng.standard_normal((n, d_out))
        ours = nnlib.Linear(d_in, d_out, rng=rng)

        def run_ours(ours=ours, x=x, dout=dout):
            ours.zero_grad()
            ours(x)
            ours.backward(dout)

        theirs = torch.nn.Linear(d_in, d_out, dtype=torch.float64)
        tx = torch.tensor(x, requires_grad=True)
        tdout = torch.tensor(dout)

        def run_theirs(theirs=theirs, tx=tx, tdout=tdout):
            theirs.zero_grad(set_to_none=False)
            tx.grad = None
            theirs(tx).backward(tdout)

        yield f"Linear fwd+bwd N={n} {d_in}->{d_out}", run_ours, run_theirs
