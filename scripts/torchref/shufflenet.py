"""ShuffleNet v1 (Zhang et al., arXiv:1707.01083) with cnnbench's state-dict keys.

torchvision has no ShuffleNet v1. This is the layout architectures/shufflenet.go builds
(osmr/imgclsmob's network with torchvision-ResNet-like names):

  conv1         Sequential(conv 3x3/2 no bias, BN, ReLU), then maxpool 3x3/2 pad 1
  stageS.U      ShuffleUnit: conv1 (1x1 group conv) bn1 ReLU, channel shuffle, conv2 (3x3 depthwise,
                stride 2 in unit 0) bn2, conv3 (1x1 group conv) bn3; unit 0 concatenates a 3x3/2
                average-pooled shortcut, the others add the input; then ReLU
  avgpool       AdaptiveAvgPool2d(1), then flatten
  fc            Linear with bias

Stage 2's first 1x1 is not grouped. Widths: int(c*s) with conv1 rounded up to a multiple of g
(conv1 fixed at 24 for 1.5x, as the authors' code) and bottlenecks (out/4) rounded down to a
multiple of g, exactly as shuffleNetV1Widths in Go.
"""
import torch
from torch import nn

STAGES = {1: (144, 288, 576), 2: (200, 400, 800), 3: (240, 480, 960), 4: (272, 544, 1088), 8: (384, 768, 1536)}
REPEATS = (4, 8, 4)
SCALES = {"0.25": 0.25, "0.5": 0.5, "1.0": 1.0, "1.5": 1.5, "2.0": 2.0}


def widths(groups, scale):
    conv1 = 24 if scale == 1.5 else int(24 * scale)
    conv1 = (conv1 + groups - 1) // groups * groups
    out = [int(c * scale) for c in STAGES[groups]]
    mid = [max(c // 4 // groups * groups, groups) for c in out]
    return conv1, out, mid


def channel_shuffle(x, groups):
    n, c, h, w = x.shape
    return x.view(n, groups, c // groups, h, w).transpose(1, 2).reshape(n, c, h, w)


class ShuffleUnit(nn.Module):
    def __init__(self, cin, cout, mid, groups, stride, first_groups):
        super().__init__()
        self.groups, self.stride = groups, stride
        branch = cout - cin if stride == 2 else cout
        self.conv1 = nn.Conv2d(cin, mid, 1, groups=first_groups, bias=False)
        self.bn1 = nn.BatchNorm2d(mid)
        self.conv2 = nn.Conv2d(mid, mid, 3, stride, 1, groups=mid, bias=False)
        self.bn2 = nn.BatchNorm2d(mid)
        self.conv3 = nn.Conv2d(mid, branch, 1, groups=groups, bias=False)
        self.bn3 = nn.BatchNorm2d(branch)
        self.relu = nn.ReLU(inplace=True)
        if stride == 2:
            self.shortcut = nn.AvgPool2d(3, 2, 1)

    def forward(self, x):
        y = self.relu(self.bn1(self.conv1(x)))
        if self.groups > 1:
            y = channel_shuffle(y, self.groups)
        y = self.bn2(self.conv2(y))
        y = self.bn3(self.conv3(y))
        if self.stride == 2:
            y = torch.cat([y, self.shortcut(x)], 1)
        else:
            y = y + x
        return self.relu(y)


class ShuffleNetV1(nn.Module):
    def __init__(self, groups=3, scale=1.0, num_classes=1000, in_channels=3):
        super().__init__()
        c1, out, mid = widths(groups, scale)
        self.conv1 = nn.Sequential(
            nn.Conv2d(in_channels, c1, 3, 2, 1, bias=False), nn.BatchNorm2d(c1), nn.ReLU(inplace=True))
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        cin = c1
        for st, n in enumerate(REPEATS):
            units = []
            for u in range(n):
                stride = 2 if u == 0 else 1
                first_groups = 1 if (st == 0 and u == 0) else groups
                units.append(ShuffleUnit(cin, out[st], mid[st], groups, stride, first_groups))
                cin = out[st]
            setattr(self, f"stage{st + 2}", nn.Sequential(*units))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, num_classes)

    def forward(self, x):
        x = self.maxpool(self.conv1(x))
        x = self.stage4(self.stage3(self.stage2(x)))
        return self.fc(self.avgpool(x).flatten(1))


def _builder(groups, scale):
    def build(num_classes=None):
        return ShuffleNetV1(groups, scale, 1000 if num_classes is None else num_classes)
    return build


MODELS = {f"shufflenet_v1_g{g}_{s}x": _builder(g, v) for g in STAGES for s, v in SCALES.items()}
MODELS["shufflenet_v1"] = MODELS["shufflenet_v1_g3_1.0x"]
