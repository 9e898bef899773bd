"""AlexNet as in Krizhevsky, Sutskever, Hinton 2012 (alexnet_paper), with
torchvision's key layout (features.N, classifier.N).

96-256-384-384-256 on 227x227, conv2/4/5 in 2 groups (the two GPUs), LRN
(k=2, n=5, alpha=1e-4 in the paper = 5e-4 in PyTorch's convention, beta=0.75)
after the ReLU of conv1 and conv2, overlapping 3x3/2 max pooling, FC
4096-4096-classes with dropout. torchvision's alexnet is the 2014 variant.
"""
import torch
import torch.nn as nn


def lrn():
    return nn.LocalResponseNorm(size=5, alpha=5e-4, beta=0.75, k=2.0)


class AlexNetPaper(nn.Module):
    def __init__(self, num_classes=1000, dropout=0.5):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 96, kernel_size=11, stride=4),
            nn.ReLU(inplace=True),
            lrn(),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(96, 256, kernel_size=5, padding=2, groups=2),
            nn.ReLU(inplace=True),
            lrn(),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(256, 384, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(384, 384, kernel_size=3, padding=1, groups=2),
            nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1, groups=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
        )
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout),
            nn.Linear(256 * 6 * 6, 4096),
            nn.ReLU(inplace=True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, 4096),
            nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


MODELS = {
    "alexnet_paper": lambda num_classes=None: AlexNetPaper(1000 if num_classes is None else num_classes),
}
