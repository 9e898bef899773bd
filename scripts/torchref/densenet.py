"""DenseNets torchvision lacks, built on torchvision's DenseNet so the keys are
torchvision's.

densenet264: DenseNet-BC-264 (k=32, blocks 6-12-64-48).
densenet_bc_100_12: CIFAR DenseNet-BC (L=100, k=12): 3x3 stem conv with 2k=24
channels (no norm0/relu0/pool0), three blocks of 16 bottleneck layers,
compression 0.5; torchvision's head (norm5, ReLU, global average pool, fc).
"""
import torch.nn as nn
from torchvision.models.densenet import DenseNet


def densenet264(num_classes=None):
    return DenseNet(growth_rate=32, block_config=(6, 12, 64, 48), num_init_features=64,
                    num_classes=1000 if num_classes is None else num_classes)


def densenet_bc_cifar(depth=100, k=12, num_classes=None):
    n = (depth - 4) // 6
    net = DenseNet(growth_rate=k, block_config=(n, n, n), num_init_features=2 * k, bn_size=4,
                   num_classes=10 if num_classes is None else num_classes)
    net.features.conv0 = nn.Conv2d(3, 2 * k, kernel_size=3, padding=1, bias=False)
    del net.features.norm0
    del net.features.relu0
    del net.features.pool0
    return net


MODELS = {
    "densenet264": densenet264,
    "densenet_bc_100_12": lambda num_classes=None: densenet_bc_cifar(100, 12, num_classes),
}
