"""VGG configurations torchvision lacks, built on torchvision's VGG class so
the keys are torchvision's (features.N, classifier.0/3/6).

vgg11_lrn: config A-LRN (LRN of Krizhevsky et al. after the first conv's ReLU).
vgg16_c: config C (1x1 convs end stages 3-5).
"""
import torch.nn as nn
from torchvision.models.vgg import VGG

CFG_A = [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"]
# "1:c" is a 1x1 conv with c channels.
CFG_C = [64, 64, "M", 128, 128, "M", 256, 256, "1:256", "M", 512, 512, "1:512", "M", 512, 512, "1:512", "M"]


def make_layers(cfg, lrn_after_first=False):
    layers, cin, first = [], 3, True
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        k, pad = 3, 1
        if isinstance(v, str):
            k, pad, v = 1, 0, int(v.split(":")[1])
        layers += [nn.Conv2d(cin, v, kernel_size=k, padding=pad), nn.ReLU(inplace=True)]
        if lrn_after_first and first:
            layers.append(nn.LocalResponseNorm(size=5, alpha=5e-4, beta=0.75, k=2.0))
        first = False
        cin = v
    return nn.Sequential(*layers)


def _n(num_classes):
    return 1000 if num_classes is None else num_classes


MODELS = {
    "vgg11_lrn": lambda num_classes=None: VGG(make_layers(CFG_A, lrn_after_first=True), num_classes=_n(num_classes)),
    "vgg16_c": lambda num_classes=None: VGG(make_layers(CFG_C), num_classes=_n(num_classes)),
}
