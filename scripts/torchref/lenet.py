"""LeNet-5 (LeCun et al. 1998) in PyTorch with cnnbench's state-dict keys.

lenet5: the modern reading (dense C3, ReLU, max pooling, linear output).
lenet5_paper: the paper's network (scaled tanh, trainable subsampling, C3 wired
by Table I, Euclidean RBF output against fixed prototypes).
Layer names are the paper's: c1, s2, c3, s4, c5, f6, output.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

# Table I: the S2 maps each C3 map takes as input.
C3_TABLE = [
    [0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5], [4, 5, 0], [5, 0, 1],
    [0, 1, 2, 3], [1, 2, 3, 4], [2, 3, 4, 5], [3, 4, 5, 0], [4, 5, 0, 1], [5, 0, 1, 2],
    [0, 1, 3, 4], [1, 2, 4, 5], [0, 2, 3, 5],
    [0, 1, 2, 3, 4, 5],
]


class LeCunTanh(nn.Module):
    """1.7159 * tanh(2x/3), the paper's squashing function."""

    def forward(self, x):
        return 1.7159 * torch.tanh(2.0 * x / 3.0)


class Subsample(nn.Module):
    """S2/S4: sum of each k x k block times a per-map coefficient, plus a per-map bias."""

    def __init__(self, channels, k=2):
        super().__init__()
        self.k = k
        self.weight = nn.Parameter(torch.ones(channels) / (k * k))
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x):
        s = F.avg_pool2d(x, self.k) * (self.k * self.k)
        return s * self.weight.view(1, -1, 1, 1) + self.bias.view(1, -1, 1, 1)


class MaskedConv2d(nn.Conv2d):
    """C3: a conv whose absent connections (Table I) are masked out.

    The mask is a plain attribute, not a buffer, so it stays out of the
    state dict (cnnbench stores the full weight and masks it in the layer).
    """

    def __init__(self, cin, cout, k, table):
        super().__init__(cin, cout, k)
        mask = torch.zeros(cout, cin, 1, 1)
        for o, ins in enumerate(table):
            for i in ins:
                mask[o, i] = 1.0
        self.mask = mask

    def forward(self, x):
        return F.conv2d(x, self.weight * self.mask.to(self.weight.dtype), self.bias)


class RBF(nn.Module):
    """Output layer: squared Euclidean distance to fixed prototypes (a buffer)."""

    def __init__(self, inp, out):
        super().__init__()
        self.register_buffer("weight", torch.sign(torch.randn(out, inp)))

    def forward(self, x):
        return ((x.unsqueeze(1) - self.weight.unsqueeze(0)) ** 2).sum(-1)


class LeNet5(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, 5)
        self.s2 = nn.MaxPool2d(2, 2)
        self.c3 = nn.Conv2d(6, 16, 5)
        self.s4 = nn.MaxPool2d(2, 2)
        self.c5 = nn.Conv2d(16, 120, 5)
        self.f6 = nn.Linear(120, 84)
        self.output = nn.Linear(84, num_classes)

    def forward(self, x):
        x = self.s2(F.relu(self.c1(x)))
        x = self.s4(F.relu(self.c3(x)))
        x = torch.flatten(F.relu(self.c5(x)), 1)
        return self.output(F.relu(self.f6(x)))


class LeNet5Paper(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.act = LeCunTanh()
        self.c1 = nn.Conv2d(1, 6, 5)
        self.s2 = Subsample(6)
        self.c3 = MaskedConv2d(6, 16, 5, C3_TABLE)
        self.s4 = Subsample(16)
        self.c5 = nn.Conv2d(16, 120, 5)
        self.f6 = nn.Linear(120, 84)
        self.output = RBF(84, num_classes)

    def forward(self, x):
        a = self.act
        x = a(self.s2(a(self.c1(x))))
        x = a(self.s4(a(self.c3(x))))
        x = torch.flatten(a(self.c5(x)), 1)
        return self.output(a(self.f6(x)))


def _n(num_classes):
    return 10 if num_classes is None else num_classes


MODELS = {
    "lenet5": lambda num_classes=None: LeNet5(_n(num_classes)),
    "lenet5_paper": lambda num_classes=None: LeNet5Paper(_n(num_classes)),
}
