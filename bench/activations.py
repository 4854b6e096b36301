"""GELU forward + backward, float64, nnlib (Cody's vectorised erf) vs torch.nn.GELU()."""
import numpy as np
import torch

import nnlib

SHAPES = [(64, 256), (256, 1024)]


def cases():
    rng = np.random.default_rng(0)
    for shape in SHAPES:
        x = rng.standard_normal(shape) * 3
        dout = rng.standard_normal(shape)
        ours = nnlib.GELU()

        def run_ours(ours=ours, x=x, dout=dout):
            ours(x)
            ours.backward(dout)

        theirs = torch.nn.GELU()
        tx = torch.tensor(x, requires_grad=True)
        tdout = torch.tensor(dout)

        def run_theirs(theirs=theirs, tx=tx, tdout=tdout):
            tx.grad = None
            theirs(tx).backward(tdout)

        yield f"GELU fwd+bwd {shape[0]}x{shape[1]}", run_ours, run_theirs
