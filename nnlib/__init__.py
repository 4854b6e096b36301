"""nnlib: a small numpy neural-network library with PyTorch's names, shapes and semantics,
written to be read alongside the chapters of the book in ``chapters/``."""
# nnlib.ner is a command-line program (python -m nnlib.ner): import it explicitly.
from . import (autograd, cascade, conv, core, data, energy, functional, gradcheck, init, layers, losses,
               models, optim, pinn, plot, progress, reference, rnn, som, train)
from .autograd import Value
from .conv import AvgPool2d, Conv2d, MaxPool2d, col2im, conv_output_size, im2col
from .core import Module, Parameter, Sequential
from .gradcheck import check_module, numerical_gradient, relative_error
from .layers import (GELU, BatchNorm1d, BatchNorm2d, Dropout, Embedding, Flatten, LayerNorm, LeakyReLU, Linear,
                     PReLU, ReLU, Residual, Sigmoid, Tanh)
from .losses import max_margin_loss, mse_loss, softmax_cross_entropy
from .optim import SGD, Adadelta, Adagrad, Adam, NAdam, RMSprop, SparseAdam, clip_grad_norm
from .optim.lr_scheduler import CosineAnnealingLR, ExponentialLR, ReduceLROnPlateau, StepLR
from .rnn import GRU, LSTM, RNN
from .train import fit

__version__ = "1.0.0"
