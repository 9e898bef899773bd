"""PyTorch definitions of the cnnbench zoo, for reference goldens and peer benchmarks.

build(name, num_classes) returns an nn.Module whose state_dict() keys equal the
keys cnnbench writes for the same model. Models torchvision has come from
torchvision; the others are defined in this package, one module per family,
each exporting MODELS: a dict name -> builder(num_classes).
"""
import importlib

import torchvision

# torchvision builders for our names whose architecture and keys are torchvision's.
TORCHVISION = {
    "alexnet": "alexnet",
    "vgg11": "vgg11", "vgg13": "vgg13", "vgg16": "vgg16", "vgg19": "vgg19",
    "vgg11_bn": "vgg11_bn", "vgg13_bn": "vgg13_bn", "vgg16_bn": "vgg16_bn", "vgg19_bn": "vgg19_bn",
    "resnet18": "resnet18", "resnet34": "resnet34", "resnet50": "resnet50",
    "resnet101": "resnet101", "resnet152": "resnet152",
    "densenet121": "densenet121", "densenet169": "densenet169", "densenet201": "densenet201",
}
TORCHVISION.update({f"efficientnet_b{i}": f"efficientnet_b{i}" for i in range(8)})

_FAMILIES = ["lenet", "alexnet", "vgg", "resnet", "densenet", "mobilenet", "shufflenet", "efficientnet"]


def _custom():
    models = {}
    for fam in _FAMILIES:
        try:
            mod = importlib.import_module(f"torchref.{fam}")
        except ModuleNotFoundError as e:
            if e.name != f"torchref.{fam}":
                raise
            continue
        models.update(getattr(mod, "MODELS", {}))
    return models


def build(name, num_classes=None):
    custom = _custom()
    if name in custom:
        return custom[name](num_classes)
    if name in TORCHVISION:
        fn = getattr(torchvision.models, TORCHVISION[name])
        kw = {} if num_classes is None else {"num_classes": num_classes}
        return fn(weights=None, **kw)
    raise KeyError(f"no PyTorch reference for model {name!r}")


def names():
    return sorted(set(TORCHVISION) | set(_custom()))
