#!/usr/bin/env python3
"""The fast-convolution issue's target table from one peers run folder.

  python3 scripts/peers/table.py results/peers-<date>   > results/peers-<date>/table.md

Reads DIR/results.csv (PyTorch and ONNX Runtime rows, column framework) and
DIR/cnnbench/results.csv (ours, from run.sh -with-ours) and prints, per model
and thread count, the three median latencies and whether ours is at or below
PyTorch's (the issue's "must") and at or below the faster peer's (its "aim").
Models outside the issue's list are marked (extra).
"""
import collections
import csv
import sys
d=sys.argv[1]
t=collections.defaultdict(dict)
for r in csv.DictReader(open(d+'/results.csv')):
    fw=r['framework'].split()[0]
    t[(r['model'],int(r['threads']))][fw]=float(r['median_ms'])
for r in csv.DictReader(open(d+'/cnnbench/results.csv')):
    t[(r['model'],int(r['threads']))]['ours']=float(r['median_ms'])
order=["lenet5","alexnet","vgg11","vgg16","vgg19","resnet18","resnet34","resnet50","resnet101","resnet152","densenet121","densenet169","densenet201","efficientnet_b0","efficientnet_b1","efficientnet_b3","mobilenet_v1","shufflenet_v1"]
target=set(order[1:16])
print("| model | threads | ours ms | PyTorch ms | ONNX Runtime ms | ours ≤ PyTorch | ours ≤ faster peer |")
print("|---|---:|---:|---:|---:|---|---|")
fails=[]; aimfails=[]
for m in order:
  for th in (1,2):
    v=t[(m,th)]
    o=v['ours']; p=v['pytorch']; x=v['onnxruntime-node']
    must = o<=p; aim = o<=min(p,x)
    if m in target:
        if not must: fails.append((m,th))
        if not aim: aimfails.append((m,th,round(o/min(p,x),2)))
    name = m if m in target else m+" (extra)"
    print(f"| {name} | {th} | {o:.4g} | {p:.4g} | {x:.4g} | {'✓ ('+format(p/o,'.2f')+'× faster)' if must else '✗ ('+format(o/p,'.2f')+'× slower)'} | {'✓' if aim else '✗ '+format(o/min(p,x),'.2f')+'×'} |")
print()
print("must fails:",fails); print("aim fails:",len(aimfails),aimfails)
