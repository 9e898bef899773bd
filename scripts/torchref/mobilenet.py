"""MobileNet v1 (Howard et al. 2017, arXiv:1704.04861) with cnnbench's state-dict keys.

torchvision has no MobileNet v1. This is the layout architectures/mobilenet.go builds:

  features.0    Sequential(conv 3x3/2 no bias, BN, ReLU)
  features.1-13 Sequential(depthwise 3x3 conv, BN, ReLU, pointwise 1x1 conv, BN, ReLU)
                (Conv MobileNet of Table 4: Sequential(full 3x3 conv, BN, ReLU);
                 Shallow MobileNet of Table 5: features.7-11 absent)
  avgpool       AdaptiveAvgPool2d(1), then flatten
  classifier    Linear with bias

Channels are int(c * alpha); every conv is bias-free and followed by BN (eps 1e-5) and ReLU.
"""
from torch import nn

# Table 1: output channels and depthwise stride of the 13 separable blocks.
BLOCKS = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
          (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1)]
SHALLOW_DROPPED = range(7, 12)  # features.7-11: the five 14x14x512 blocks


class MobileNetV1(nn.Module):
    def __init__(self, alpha=1.0, num_classes=1000, kind="separable", in_channels=3):
        super().__init__()
        width = lambda c: int(c * alpha)  # noqa: E731
        cin = width(32)
        self.features = nn.Sequential()
        self.features.add_module("0", nn.Sequential(
            nn.Conv2d(in_channels, cin, 3, 2, 1, bias=False), nn.BatchNorm2d(cin), nn.ReLU(inplace=True)))
        for i, (c, s) in enumerate(BLOCKS, start=1):
            if kind == "shallow" and i in SHALLOW_DROPPED:
                continue
            cout = width(c)
            if kind == "conv":
                block = nn.Sequential(
                    nn.Conv2d(cin, cout, 3, s, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))
            else:
                block = nn.Sequential(
                    nn.Conv2d(cin, cin, 3, s, 1, groups=cin, bias=False), nn.BatchNorm2d(cin), nn.ReLU(inplace=True),
                    nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))
            self.features.add_module(str(i), block)
            cin = cout
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(cin, num_classes)

    def forward(self, x):
        x = self.features(x)
        x = self.avgpool(x).flatten(1)
        return self.classifier(x)


def _builder(alpha, kind="separable"):
    def build(num_classes=None):
        return MobileNetV1(alpha, 1000 if num_classes is None else num_classes, kind)
    return build


MODELS = {}
for _w in ["1.0", "0.75", "0.5", "0.25"]:
    for _r in [224, 192, 160, 128]:
        MODELS[f"mobilenet_v1_{_w}_{_r}"] = _builder(float(_w))
MODELS["mobilenet_v1"] = MODELS["mobilenet_v1_1.0_224"]
MODELS["mobilenet_v1_conv"] = _builder(1.0, "conv")
MODELS["mobilenet_v1_shallow"] = _builder(1.0, "shallow")
