"""ResNets torchvision lacks, with torchvision's keys.

resnet50_v1/101_v1/152_v1: torchvision's ResNet with the paper's bottleneck
(stride 2 in the first 1x1 conv instead of the 3x3).
resnet20/32/44/56/110: the CIFAR ResNets of Sec. 4.2 (6n+2 layers, 16/32/64
filters, option A shortcuts: x[:, :, ::2, ::2] zero-padded in channels),
keys conv1, bn1, layerS.B.conv1/bn1/conv2/bn2, fc.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.models.resnet import Bottleneck, ResNet, conv1x1, conv3x3


class BottleneckV1(Bottleneck):
    """The paper's bottleneck: the stride is in conv1 (1x1), not conv2 (3x3)."""

    def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64, dilation=1, norm_layer=None):
        super().__init__(inplanes, planes, stride, downsample, groups, base_width, dilation, norm_layer)
        width = int(planes * (base_width / 64.0)) * groups
        self.conv1 = conv1x1(inplanes, width, stride)
        self.conv2 = conv3x3(width, width, 1, groups, dilation)


class ShortcutA(nn.Module):
    def __init__(self, stride, front, back):
        super().__init__()
        self.stride, self.front, self.back = stride, front, back

    def forward(self, x):
        return F.pad(x[:, :, ::self.stride, ::self.stride], (0, 0, 0, 0, self.front, self.back))


class BasicBlockA(nn.Module):
    def __init__(self, inplanes, planes, stride=1):
        super().__init__()
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Identity()
        if stride != 1 or inplanes != planes:
            front = (planes - inplanes) // 2
            self.shortcut = ShortcutA(stride, front, planes - inplanes - front)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNetCIFAR(nn.Module):
    def __init__(self, n, num_classes=10):
        super().__init__()
        self.conv1 = conv3x3(3, 16)
        self.bn1 = nn.BatchNorm2d(16)
        inplanes = 16
        for s, planes in enumerate((16, 32, 64)):
            blocks = []
            for b in range(n):
                stride = 2 if s > 0 and b == 0 else 1
                blocks.append(BasicBlockA(inplanes, planes, stride))
                inplanes = planes
            setattr(self, f"layer{s + 1}", nn.Sequential(*blocks))
        self.fc = nn.Linear(64, num_classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        return self.fc(x)


def _v1(layers):
    return lambda num_classes=None: ResNet(BottleneckV1, layers, num_classes=1000 if num_classes is None else num_classes)


def _cifar(n):
    return lambda num_classes=None: ResNetCIFAR(n, 10 if num_classes is None else num_classes)


MODELS = {
    "resnet50_v1": _v1([3, 4, 6, 3]),
    "resnet101_v1": _v1([3, 4, 23, 3]),
    "resnet152_v1": _v1([3, 8, 36, 3]),
    "resnet20": _cifar(3),
    "resnet32": _cifar(5),
    "resnet44": _cifar(7),
    "resnet56": _cifar(9),
    "resnet110": _cifar(18),
}
