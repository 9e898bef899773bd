#!/usr/bin/env python3
"""PyTorch golden for cnnbench's training: gradients of a tiny net.

Builds a small network touching most trainable ops of the zoo (conv, BN in
training mode, ReLU, LRN, max pooling in ceil mode, depthwise conv with bias,
SiLU, squeeze-and-excitation with a broadcast multiply, a residual add, a
channel shuffle, a concat, average pooling, a linear layer), fills it with
seeded random weights, runs one training-mode forward pass on a seeded batch,
the cross-entropy loss with label smoothing 0.1 and the backward pass, then
two SGD steps (momentum 0.9, weight decay 5e-4, lr 0.1) on the same batch.

It writes engine/train/testdata/torch_grads.safetensors with
  w.<key>       the initial state (parameters and BN buffers)
  x, labels     the batch (labels as float32)
  logits, loss  the forward pass
  g.<key>       the gradient of every parameter
  bn.<key>      BN running statistics after the forward pass
  sgd.<key>     the state after the two SGD steps
engine/train's TestMatchesPyTorch rebuilds the net, loads w.*, and compares;
Go tests never need Python.

Run with Debian's python3-torch:  /usr/bin/python3 scripts/grad_check.py
"""
import json
import os
import struct

import torch
import torch.nn as nn
import torch.nn.functional as F


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(6)
        self.lrn = nn.LocalResponseNorm(3, alpha=0.1, beta=0.75, k=2.0)
        self.dw = nn.Conv2d(6, 6, 3, padding=1, groups=6, bias=True)
        self.bn2 = nn.BatchNorm2d(6)
        self.se_fc1 = nn.Conv2d(6, 3, 1)
        self.se_fc2 = nn.Conv2d(3, 6, 1)
        self.pw = nn.Conv2d(6, 4, 1, groups=2, bias=False)
        self.fc = nn.Linear(10 * 2 * 2, 5)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))                  # 6x8x8
        x = self.lrn(x)
        p = F.max_pool2d(x, 3, 2, 1, ceil_mode=True)         # 6x5x5
        y = F.silu(self.bn2(self.dw(p)))
        s = torch.sigmoid(self.se_fc2(F.relu(self.se_fc1(F.adaptive_avg_pool2d(y, 1)))))
        y = y * s + p                                        # SE scale, residual add
        n, c, h, w = y.shape                                 # channel shuffle, 2 groups
        y = y.view(n, 2, c // 2, h, w).transpose(1, 2).reshape(n, c, h, w)
        y = torch.cat([y, self.pw(y)], 1)                    # 10x5x5
        y = F.avg_pool2d(y, 2, 2)                            # 10x2x2
        return self.fc(torch.flatten(y, 1))


def write_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for k, t in tensors.items():
        b = t.detach().to(torch.float32).contiguous().numpy().astype("<f4").tobytes()
        header[k] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def main():
    torch.manual_seed(0)
    net = Tiny()
    with torch.no_grad():  # non-trivial BN affine parameters and statistics
        for bn in (net.bn1, net.bn2):
            bn.weight.uniform_(0.5, 1.5)
            bn.bias.uniform_(-0.2, 0.2)
            bn.running_mean.uniform_(-0.1, 0.1)
            bn.running_var.uniform_(0.5, 1.5)
    x = torch.randn(4, 3, 8, 8)
    labels = torch.tensor([0, 3, 1, 4])
    out = {}
    state = {k: v.clone() for k, v in net.state_dict().items() if v.dtype == torch.float32}
    for k, v in state.items():
        out["w." + k] = v
    out["x"], out["labels"] = x, labels.float()

    net.train()
    logits = net(x)
    loss = F.cross_entropy(logits, labels, label_smoothing=0.1)
    loss.backward()
    out["logits"], out["loss"] = logits, loss.reshape(1)
    for k, p in net.named_parameters():
        out["g." + k] = p.grad.clone()
    for k, v in net.state_dict().items():
        if "running" in k:
            out["bn." + k] = v.clone()

    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    opt.step()  # step 1 with the gradients above
    opt.zero_grad()
    F.cross_entropy(net(x), labels, label_smoothing=0.1).backward()
    opt.step()
    for k, v in net.state_dict().items():
        if v.dtype == torch.float32:
            out["sgd." + k] = v.clone()

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "engine", "train", "testdata",
                        "torch_grads.safetensors")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    write_safetensors(path, out)
    print(f"wrote {os.path.normpath(path)}: {len(out)} tensors, loss {loss.item():.6f}")


if __name__ == "__main__":
    main()
