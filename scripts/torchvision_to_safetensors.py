#!/usr/bin/env python3
"""Convert a torchvision classification checkpoint to safetensors for cnnbench.

cnnbench reads weights as safetensors with torchvision's state_dict() keys
(docs/imagenet-eval.md). This writes one without the `safetensors` package:
the format is an 8-byte little-endian header length, a JSON header
{name: {dtype, shape, data_offsets}}, then the raw little-endian tensors.

  # torchvision's pretrained weights (downloads them: run where you have the internet)
  python3 scripts/torchvision_to_safetensors.py -model resnet50 -pretrained -out resnet50.safetensors
  # a state_dict or checkpoint file you already have (.pth / .pt)
  python3 scripts/torchvision_to_safetensors.py -model resnet50 -state resnet50-0676ba61.pth -out resnet50.safetensors
  # random weights from a seed (to test the path without downloading)
  python3 scripts/torchvision_to_safetensors.py -model resnet18 -seed 1 -out r18.safetensors -check r18-check

-model is the torchvision builder name (cnnbench's model of the same name has
the same keys; `cnnbench models -format json` lists each model's torchvision
builder). -check DIR also writes DIR/input.npy (a seeded 1×3×224×224 input)
and DIR/logits.npy (PyTorch's float32 logits on it, eval mode), so that

  cnnbench infer -model resnet18 -weights r18.safetensors -input DIR/input.npy -out ours.npy

can be compared with DIR/logits.npy (see docs/imagenet-eval.md).
Needs torch and torchvision (Debian: python3-torch python3-torchvision).
"""
import argparse
import json
import os
import struct
import sys

import numpy as np

DTYPES = {"float32": "F32", "float64": "F64", "float16": "F16", "int64": "I64", "int32": "I32", "uint8": "U8"}


def write_safetensors(path, tensors, metadata):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name])
        if a.dtype.name not in DTYPES:
            raise SystemExit(f"{name}: dtype {a.dtype} has no safetensors code here")
        b = a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": DTYPES[a.dtype.name], "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    header["__metadata__"] = metadata
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def write_npy(path, a):
    a = np.ascontiguousarray(a, dtype="<f4")
    with open(path, "wb") as f:
        np.lib.format.write_array(f, a)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-model", required=True, help="torchvision builder, e.g. resnet50, vgg16_bn, efficientnet_b0")
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("-pretrained", action="store_true", help="torchvision's default pretrained weights (downloads)")
    src.add_argument("-state", help="a state_dict (or a checkpoint holding one under 'state_dict' or 'model')")
    src.add_argument("-seed", type=int, help="random weights from this seed (no download)")
    ap.add_argument("-out", required=True, help="output .safetensors")
    ap.add_argument("-check", help="also write DIR/input.npy and PyTorch's DIR/logits.npy")
    args = ap.parse_args()

    import torch
    import torchvision

    builder = getattr(torchvision.models, args.model, None)
    if builder is None or not callable(builder):
        raise SystemExit(f"torchvision.models has no builder {args.model!r}")
    if args.pretrained:
        net = builder(weights="DEFAULT")
        source = f"torchvision {torchvision.__version__} {args.model} DEFAULT weights"
    else:
        if args.seed is not None:
            torch.manual_seed(args.seed)
        net = builder(weights=None)
        source = f"torchvision {torchvision.__version__} {args.model}, random weights (seed {args.seed})"
        if args.state:
            sd = torch.load(args.state, map_location="cpu")
            for k in ("state_dict", "model"):
                if isinstance(sd, dict) and k in sd and isinstance(sd[k], dict):
                    sd = sd[k]
            sd = {k[len("module."):] if k.startswith("module.") else k: v for k, v in sd.items()}
            missing, unexpected = net.load_state_dict(sd, strict=False)
            if missing or unexpected:
                raise SystemExit(f"{args.state}: not a {args.model} state_dict (missing {missing[:3]}, unexpected {unexpected[:3]})")
            source = f"{os.path.basename(args.state)} loaded into torchvision {args.model}"
    net.eval()
    tensors = {k: v.detach().cpu().numpy() for k, v in net.state_dict().items()}
    write_safetensors(args.out, tensors, {"source": source, "torchvision_model": args.model})
    print(f"{args.out}: {len(tensors)} tensors ({source})")

    if args.check:
        os.makedirs(args.check, exist_ok=True)
        g = torch.Generator().manual_seed(1234)
        x = torch.rand(1, 3, 224, 224, generator=g) * 2 - 1
        with torch.no_grad():
            y = net(x)
        write_npy(os.path.join(args.check, "input.npy"), x.numpy())
        write_npy(os.path.join(args.check, "logits.npy"), y.numpy())
        print(f"{args.check}/input.npy, {args.check}/logits.npy: PyTorch's logits for the check")


if __name__ == "__main__":
    sys.exit(main())
