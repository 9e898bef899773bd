#!/usr/bin/env python3
"""Goldens for cnnbench's ImageNet-style preprocessing (datasets.Preprocess).

Writes a few small generated images as an ImageFolder tree under
datasets/testdata/preprocess/images/<class>/..., runs torchvision's own
pipeline on them

    ImageFolder(root, Compose([Resize(RESIZE), CenterCrop(CROP), ToTensor(),
                               Normalize(ImageNet mean, std)]))

and saves the batch (float32 N×3×CROP×CROP) as preprocess.npy, the labels
and file order as preprocess.json, and Pillow's decoded RGB pixels of each
JPEG (uint8 H×W×3) as <name>.rgb.npy, to measure JPEG decoding apart from
resizing. The Go test TestPreprocessMatchesTorchvision compares against these
files, so `go test` never needs Python.

The sizes are reduced (Resize(40)/CenterCrop(32) instead of 256/224) to keep
the files small; the code path is the same. Images cover downscaling along
either side, upscaling, RGBA and greyscale PNG, and JPEG with 4:2:0 and 4:4:4
chroma.

Needs Debian's python3-torchvision (run with /usr/bin/python3):
  /usr/bin/python3 scripts/check_preprocess.py [-out datasets/testdata/preprocess]
"""
import argparse
import json
import os
import shutil

import numpy as np
from PIL import Image
import torch
import torchvision
from torchvision import datasets, transforms

RESIZE, CROP = 40, 32
MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


def pattern(rng, w, h, channels):
    """Smooth gradients, a few flat rectangles and noise: edges and detail
    so that any difference in filtering shows."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    out = np.zeros((h, w, channels))
    for c in range(channels):
        a, b, p = rng.uniform(-3, 3), rng.uniform(-3, 3), rng.uniform(0, 6.3)
        out[..., c] = 128 + 90 * np.sin(a * x / w * 3 + b * y / h * 3 + p)
    for _ in range(4):
        x0, y0 = rng.randint(0, w - 2), rng.randint(0, h - 2)
        x1, y1 = rng.randint(x0 + 1, w), rng.randint(y0 + 1, h)
        out[y0:y1, x0:x1, :] = rng.uniform(0, 255, size=channels)
    out += rng.normal(0, 20, size=out.shape)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-out", default="datasets/testdata/preprocess")
    args = ap.parse_args()
    root = os.path.join(args.out, "images")
    if os.path.isdir(root):
        shutil.rmtree(root)
    rng = np.random.RandomState(20240611)

    # (class, file name, width, height, mode, save options)
    specs = [
        ("ants", "a_landscape.png", 64, 48, "RGB", {}),
        ("ants", "b_portrait_rgba.png", 37, 71, "RGBA", {}),
        ("bees", "c_grey.png", 45, 45, "L", {}),
        ("bees", "d_small_420.jpg", 30, 26, "RGB", {"quality": 90, "subsampling": 2}),
        ("bees", "e_444.jpg", 57, 50, "RGB", {"quality": 95, "subsampling": 0}),
        ("bees", "f_odd_420.jpg", 67, 45, "RGB", {"quality": 85, "subsampling": 2}),
    ]
    for cls, name, w, h, mode, opts in specs:
        os.makedirs(os.path.join(root, cls), exist_ok=True)
        ch = {"RGB": 3, "RGBA": 4, "L": 1}[mode]
        px = pattern(rng, w, h, ch)
        if mode == "RGBA":
            px[..., 3] = rng.randint(0, 256, size=(h, w))  # alpha must be dropped, not composited
        img = Image.fromarray(px[..., 0] if ch == 1 else px, mode)
        path = os.path.join(root, cls, name)
        img.save(path, **opts)
        if name.endswith(".jpg"):
            with Image.open(path) as im:
                dec = np.asarray(im.convert("RGB"), dtype=np.uint8)
            np.save(os.path.join(args.out, name + ".rgb.npy"), dec)

    tf = transforms.Compose([
        transforms.Resize(RESIZE),
        transforms.CenterCrop(CROP),
        transforms.ToTensor(),
        transforms.Normalize(MEAN, STD),
    ])
    ds = datasets.ImageFolder(root, transform=tf)
    xs, ys = zip(*[ds[i] for i in range(len(ds))])
    x = torch.stack(xs).numpy().astype("<f4")
    np.save(os.path.join(args.out, "preprocess.npy"), x)
    meta = {
        "resize": RESIZE,
        "crop": CROP,
        "mean": MEAN,
        "std": STD,
        "classes": ds.classes,
        "files": [os.path.relpath(p, root) for p, _ in ds.samples],
        "labels": list(ys),
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "pillow": Image.__version__,
    }
    with open(os.path.join(args.out, "preprocess.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    print(f"wrote {len(ds)} images, goldens {x.shape} to {args.out}")


if __name__ == "__main__":
    main()
