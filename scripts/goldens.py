#!/usr/bin/env python3
"""Compute PyTorch reference logits (goldens) for cnnbench models.

For each model: cnnbench writes deterministic weights (-seed) and an input
(-input-seed) with `cnnbench export`; this script loads them into the PyTorch
definition of the same model (torchvision's where it has one, torchref's
otherwise) with load_state_dict(strict=True), runs it in eval mode in float64
and writes the logits as float32 .npy next to the other goldens. It also runs
the model in float32 and records PyTorch's own float32 error (relative to
max|logit|) in conditioning.csv: deep nets with random weights are chaotic
enough that float32 rounding alone moves their logits by up to ~1e-3. Go tests then
rebuild the same weights and input and compare, so `go test` never needs Python.

Needs Debian's python3-torch and python3-torchvision (run with /usr/bin/python3):
  apt-get install -y python3-torch python3-torchvision
Usage:
  /usr/bin/python3 scripts/goldens.py [-out architectures/testdata/goldens] model[@CxHxW] ...
"""
import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torchref  # noqa: E402

WEIGHT_SEED = 1
INPUT_SEED = 2


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    base = 8 + n
    out = {}
    for key, info in header.items():
        if key == "__metadata__":
            continue
        if info["dtype"] != "F32":
            raise ValueError(f"{path}: {key}: dtype {info['dtype']}")
        b, e = info["data_offsets"]
        arr = np.frombuffer(data[base + b:base + e], dtype="<f4").reshape(info["shape"])
        out[key] = torch.from_numpy(arr.copy())
    return out


def golden(model, shape, outdir, cnnbench):
    with tempfile.TemporaryDirectory() as tmp:
        w, x = os.path.join(tmp, "w.safetensors"), os.path.join(tmp, "x.npy")
        cmd = [*cnnbench, "export", "-model", model, "-seed", str(WEIGHT_SEED),
               "-input-seed", str(INPUT_SEED), "-weights-out", w, "-input-out", x]
        if shape:
            cmd += ["-input", shape]
        subprocess.run(cmd, check=True)
        state = read_safetensors(w)
        inp = torch.from_numpy(np.load(x))
    net = torchref.build(model)
    sd = net.state_dict()
    # torchvision BN layers carry num_batches_tracked; cnnbench ignores it.
    for k, v in sd.items():
        if k.endswith("num_batches_tracked"):
            state[k] = v
    net.load_state_dict(state, strict=True)
    net = net.eval()
    with torch.no_grad():
        f32 = net(inp).numpy().astype(np.float64)
        f64 = net.double()(inp.double()).numpy()
    logits = f64.astype(np.float32)
    scale = np.abs(f64).max()
    # PyTorch's own float32 error measures how well conditioned this random
    # model is; the Go test allows no less than a small multiple of it.
    f32_rel = float(np.abs(f32 - f64).max() / scale)
    name = model + ("@" + shape if shape else "")
    np.save(os.path.join(outdir, name + ".npy"), logits)
    update_conditioning(outdir, name, f32_rel)
    print(f"{name}: logits {logits.shape}, max|logit| {scale:.4g}, torch float32 rel err {f32_rel:.2e}")


def update_conditioning(outdir, name, f32_rel):
    path = os.path.join(outdir, "conditioning.csv")
    rows = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f.read().splitlines()[1:]:
                k, v = line.split(",")
                rows[k] = v
    rows[name] = f"{f32_rel:.3e}"
    with open(path + ".tmp", "w") as f:
        f.write("golden,torch_float32_rel_err\n")
        for k in sorted(rows):
            f.write(f"{k},{rows[k]}\n")
    os.replace(path + ".tmp", path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-out", default="architectures/testdata/goldens")
    ap.add_argument("-cnnbench", default="go run ./cmd/cnnbench", help="how to run cnnbench")
    ap.add_argument("models", nargs="+", help="model or model@CxHxW")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    for m in a.models:
        model, _, shape = m.partition("@")
        golden(model, shape, a.out, a.cnnbench.split())


if __name__ == "__main__":
    torch.set_num_threads(os.cpu_count() or 1)
    main()
