"""LSTM / GRU / RNN forward + backward, T=35 N=32 D=H=128, float64, nnlib vs torch.nn."""
import numpy as np
import torch

import nnlib.rnn

T, N, D, H = 35, 32, 128, 128
CELLS = [("LSTM", nnlib.rnn.LSTM, torch.nn.LSTM), ("GRU", nnlib.rnn.GRU, torch.nn.GRU),
         ("RNN", nnlib.rnn.RNN, torch.nn.RNN)]


def cases():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((T, N, D))
    dout = rng.standard_normal((T, N, H))
    for name, ours_cls, theirs_cls in CELLS:
        ours = ours_cls(D, H, rng=rng)

        def run_ours(ours=ours):
            ours.zero_grad()
            ours(x)
            ours.backward(dout)

        theirs = theirs_cls(D, H, dtype=torch.float64)
        tx = torch.tensor(x, requires_grad=True)
        tdout = torch.tensor(dout)

        def run_theirs(theirs=theirs, tx=tx):
            theirs.zero_grad(set_to_none=False)
            tx.grad = None
            theirs(tx)[0].backward(tdout)

        yield f"{name} fwd+bwd T={T} N={N} {D}->{H}", run_ours, run_theirs
