#!/usr/bin/env python3
"""PyTorch peer benchmark for cnnbench: rows in cnnbench's results.csv columns.

Runs the cnnbench zoo's models in PyTorch (Debian's python3-torch 1.13, oneDNN
inside) at batch B and T threads, with the recipe of shared/anchors/peers.md:
eval mode, torch.no_grad(), torch.set_num_threads(T), random weights, the
model's default input (its `input` in `cnnbench models -format json`); warm-up
passes (the first, cold one included), then timed passes until both a minimum
time and a minimum count are reached; median, p10 and p90 (linear
interpolation, as suite.Quantile). Each case is one row of results.csv (the
columns of `cnnbench bench`, DESIGN.md section 6, then `framework`), appended
to --out, so that `cnnbench compare -ignore-impl` and `cnnbench report` show
PyTorch beside ours.

--export-onnx DIR also writes each model as DIR/<model>_<input>_b<B>.onnx
(torch.onnx.export, opset 13, static shapes) for ort_bench.js, with a
reference input and PyTorch's logits beside it (.check.json + .bin) so that
ort_bench.js can check that it runs the same network.

Models come from torchref.build(name) (scripts/torchref: torchvision's models
under our names, plus the ones torchvision lacks, with our state-dict keys).

Run with Debian's interpreter (the one that has python3-torch):
  /usr/bin/python3 scripts/peers/torch_bench.py -models resnet18,resnet50 -threads 1 \
      -models-json models.json -out results/peers/results.csv
"""
import argparse
import datetime
import gc
import hashlib
import json
import math
import os
import re
import shlex
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "scripts"))

import torch  # noqa: E402

import torchref  # noqa: E402

SEED = 1  # weights (torch.manual_seed before building) and input


def log(*a):
    print("torch_bench:", *a, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- shared bits
# The same helpers exist in ort_bench.js; keep them in step.

def load_columns(path):
    with open(path) as f:
        cols = json.load(f)["columns"]
    if cols[:2] != ["model", "infer_img_size"] or "framework" not in cols:
        raise SystemExit(f"{path}: not a peers columns file")
    return cols


def fmt(x, decimals):
    """Fixed-point, shortest after rounding, never an exponent (as Go's 'f', -1)."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return ""
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int):
        return str(x)
    s = f"{x:.{decimals}f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def csv_cell(s):
    s = str(s)
    if any(c in s for c in ',"\n\r') or s != s.strip():
        return '"' + s.replace('"', '""') + '"'
    return s


def open_out(path, cols):
    """Appends to path, writing the header first if the file is new or empty;
    an existing file must have exactly the same header."""
    if path == "-":
        sys.stdout.write(",".join(cols) + "\n")
        return sys.stdout
    d = os.path.dirname(path)
    if d:
        os.makedirs(d, exist_ok=True)
    if os.path.exists(path) and os.path.getsize(path) > 0:
        with open(path) as f:
            head = f.readline().rstrip("\r\n")
        if head != ",".join(cols):
            raise SystemExit(f"{path}: header differs from the peers columns; write to a new file")
        return open(path, "a")
    f = open(path, "w")
    f.write(",".join(cols) + "\n")
    f.flush()
    return f


def write_row(f, cols, row):
    f.write(",".join(csv_cell(row.get(c, "")) for c in cols) + "\n")
    f.flush()


def quantile(sorted_x, p):
    """Hyndman & Fan type 7 (NumPy's default), as suite.Quantile."""
    n = len(sorted_x)
    h = (n - 1) * p
    lo = math.floor(h)
    if lo >= n - 1:
        return sorted_x[-1]
    return sorted_x[lo] + (h - lo) * (sorted_x[lo + 1] - sorted_x[lo])


def summarize(ms):
    x = sorted(ms)
    q1, q3 = quantile(x, 0.25), quantile(x, 0.75)
    lo, hi = q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)
    return {"n": len(x), "median": quantile(x, 0.5), "p10": quantile(x, 0.1), "p90": quantile(x, 0.9),
            "mean": sum(x) / len(x), "min": x[0], "max": x[-1],
            "outliers": sum(1 for t in x if t < lo or t > hi)}


def parse_peaks(s):
    """'1=89.8,2=179.5' -> {1: 89.8, 2: 179.5}"""
    out = {}
    for part in filter(None, (s or "").split(",")):
        t, _, v = part.partition("=")
        out[int(t)] = float(v)
    return out


def base_row(spec, batch, threads, algo, kernels, framework):
    c, h, w = (int(v) for v in spec["input"].split("x"))
    params, macs, acts = spec["params"], spec["macs"], spec["activations"]
    return {
        "model": spec["model"], "infer_img_size": h, "infer_batch_size": batch,
        "param_count": fmt(params / 1e6, 6), "infer_gmacs": fmt(macs / 1e9, 9), "infer_macts": fmt(acts / 1e6, 6),
        "algo": algo, "kernels": kernels, "threads": threads,
        "family": spec.get("family", ""), "variant": spec.get("alias_of") or spec["model"], "input": spec["input"],
        "params": params, "macs": macs, "activations": acts, "budget_limited": "false",
        "algos_used": framework, "framework": framework,
        "key": f"model={spec['model']}/input={spec['input']}/batch={batch}/threads={threads}/algo={algo}/kernels={kernels}",
    }


def fill_timing(row, spec, batch, warm, first_ms, timed_ms, peaks, peak_source):
    st = summarize(timed_ms)
    med = st["median"]
    row.update({
        "status": "ok", "runs": st["n"], "warmup": warm, "outliers": st["outliers"],
        "median_ms": fmt(med, 4), "infer_step_time": fmt(med, 4), "p10_ms": fmt(st["p10"], 4),
        "p90_ms": fmt(st["p90"], 4), "mean_ms": fmt(st["mean"], 4), "min_ms": fmt(st["min"], 4),
        "max_ms": fmt(st["max"], 4), "first_ms": fmt(first_ms, 4), "build_ms": fmt(max(first_ms - med, 0), 3),
        "infer_samples_per_sec": fmt(batch / (med / 1e3), 2),
    })
    gf = 2 * spec["macs"] * batch / (med / 1e3) / 1e9
    row["gflops_per_s"] = fmt(gf, 3)
    pk = peaks.get(int(row["threads"]))
    if pk:
        row.update(peak_gflops=fmt(pk, 2), peak_source=peak_source, peak_fraction=fmt(gf / pk, 4))
    return st


def finish_row(row, t0):
    row["case_s"] = fmt(time.monotonic() - t0, 2)
    row["finished"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return row


def load_specs(args):
    if args.models_json:
        with open(args.models_json) as f:
            specs = json.load(f)
    else:
        cmd = shlex.split(args.cnnbench) + ["models", "-format", "json"]
        specs = json.loads(subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True).stdout)
    return {s["model"]: s for s in specs}


def onnx_base(onnx_dir, spec, batch):
    return os.path.join(onnx_dir, f"{spec['model']}_{spec['input']}_b{batch}")


# ---------------------------------------------------------------- PyTorch

def framework_ids():
    ver = torch.__version__
    # Debian's torch reports 1.13.0a0 for 1.13.1; the dpkg version is in the machine note.
    mm = ".".join(ver.split(".")[:2])
    onednn = ""
    m = re.search(r"MKL-DNN v([0-9.]+)", torch.__config__.show())
    if m:
        onednn = m.group(1)
    mkldnn = torch.backends.mkldnn.is_available() and torch.backends.mkldnn.enabled
    algo = f"pytorch-{mm}" + ("-onednn" if mkldnn else "")
    kernels = "mkldnn" if mkldnn else "cpu"
    framework = f"pytorch {ver}" + (f" (oneDNN {onednn})" if mkldnn and onednn else "")
    return algo, kernels, framework


def build(spec, batch):
    torch.manual_seed(SEED)
    name = spec["model"]
    try:
        net = torchref.build(name)
    except KeyError:
        if not spec.get("alias_of"):
            raise
        net = torchref.build(spec["alias_of"])
    net = net.eval()
    c, h, w = (int(v) for v in spec["input"].split("x"))
    g = torch.Generator().manual_seed(SEED + 1)
    x = torch.randn(batch, c, h, w, generator=g)
    return net, x


def source_hash():
    """Identifies what an export was made from: torch's version and torchref's source."""
    h = hashlib.sha256(torch.__version__.encode())
    d = os.path.join(ROOT, "scripts", "torchref")
    for name in sorted(os.listdir(d)):
        if name.endswith(".py"):
            with open(os.path.join(d, name), "rb") as f:
                h.update(name.encode() + b"\0" + f.read())
    return h.hexdigest()[:16]


def export_onnx(spec, batch, onnx_dir, force):
    base = onnx_base(onnx_dir, spec, batch)
    path = base + ".onnx"
    src = source_hash()
    if os.path.exists(path) and os.path.exists(base + ".check.json") and not force:
        with open(base + ".check.json") as f:
            if json.load(f).get("source") == src:
                log(f"{os.path.basename(path)}: up to date (-force-export redoes it)")
                return
    os.makedirs(onnx_dir, exist_ok=True)
    net, x = build(spec, batch)
    t0 = time.monotonic()
    with torch.no_grad():
        y = net(x)
        tmp = path + ".tmp"
        torch.onnx.export(net, x, tmp, opset_version=13, export_params=True, do_constant_folding=True,
                          input_names=["input"], output_names=["logits"])
    os.replace(tmp, path)
    x.numpy().astype("<f4").tofile(base + ".input.bin")
    y.numpy().astype("<f4").tofile(base + ".logits.bin")
    with open(base + ".check.json", "w") as f:
        json.dump({"model": spec["model"], "input": spec["input"], "batch": batch,
                   "input_shape": list(x.shape), "logits_shape": list(y.shape),
                   "torch": torch.__version__, "opset": 13, "source": src}, f)
    log(f"exported {os.path.basename(path)} ({os.path.getsize(path) / 1e6:.1f} MB, {time.monotonic() - t0:.1f} s)")


def bench(spec, batch, threads, proto, ids, peaks, peak_source):
    algo, kernels, framework = ids
    row = base_row(spec, batch, threads, algo, kernels, framework)
    t0 = time.monotonic()
    try:
        torch.set_num_threads(threads)
        net, x = build(spec, batch)
        row["setup_ms"] = fmt((time.monotonic() - t0) * 1e3, 3)
        gc.collect()
        with torch.no_grad():
            def once():
                s = time.perf_counter_ns()
                net(x)
                return (time.perf_counter_ns() - s) / 1e6
            first = once()
            warm = 1
            while warm < proto.warmup:
                once()
                warm += 1
            gc.collect()
            timed, total = [], 0.0
            while len(timed) < proto.min_runs or total < proto.min_time * 1e3:
                d = once()
                timed.append(d)
                total += d
        st = fill_timing(row, spec, batch, warm, first, timed, peaks, peak_source)
        log(f"{spec['model']} {spec['input']} batch={batch} threads={threads} {algo}/{kernels}: "
            f"{st['median']:.4g} ms (p10 {st['p10']:.4g}, p90 {st['p90']:.4g}; {st['n']} runs)")
    except Exception as e:  # one clear line, the next case goes on
        row.update(status="error", reason=f"{type(e).__name__}: {e}".replace("\n", " ")[:500])
        log(f"{spec['model']} threads={threads}: error: {row['reason']}")
    return finish_row(row, t0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-models", "--models", required=True, help="comma-separated cnnbench model names")
    ap.add_argument("-threads", "--threads", default="1", help="comma-separated thread counts (default 1)")
    ap.add_argument("-batch", "--batch", default="1", help="comma-separated batch sizes (default 1)")
    ap.add_argument("-warmup", "--warmup", type=int, default=3, help="warm-up passes, the cold one included (default 3)")
    ap.add_argument("-min-runs", "--min-runs", type=int, default=5, help="minimum timed passes (default 5)")
    ap.add_argument("-min-time", "--min-time", type=float, default=8.0, help="minimum timed seconds per case (default 8)")
    ap.add_argument("-out", "--out", default="-", help="results CSV to append to (default: stdout)")
    ap.add_argument("-columns", "--columns", default=os.path.join(HERE, "columns.json"), help="columns file")
    ap.add_argument("-models-json", "--models-json", help="output of `cnnbench models -format json` (default: run -cnnbench)")
    ap.add_argument("-cnnbench", "--cnnbench", default="go run ./cmd/cnnbench", help="how to run cnnbench (from the repo root)")
    ap.add_argument("-peak", "--peak", default="", help="FP32 peaks for peak_fraction, e.g. 1=89.8,2=179 (GFLOP/s per thread count)")
    ap.add_argument("-peak-source", "--peak-source", default="", help="where the peaks come from (peak_source column)")
    ap.add_argument("-export-onnx", "--export-onnx", metavar="DIR", help="also export each model (batch sizes of -batch) to DIR as ONNX, opset 13")
    ap.add_argument("-export-only", "--export-only", action="store_true", help="with -export-onnx: export and do not benchmark")
    ap.add_argument("-force-export", "--force-export", action="store_true", help="re-export even if the .onnx exists")
    args = ap.parse_args()
    if args.warmup < 1 or args.min_runs < 3 or args.min_time < 0:
        ap.error("want -warmup >= 1, -min-runs >= 3, -min-time >= 0")
    if args.export_only and not args.export_onnx:
        ap.error("-export-only needs -export-onnx DIR")
    try:
        threads = [int(t) for t in args.threads.split(",") if t]
        batches = [int(b) for b in args.batch.split(",") if b]
        peaks = parse_peaks(args.peak)
    except ValueError as e:
        ap.error(str(e))
    specs = load_specs(args)
    models = [m for m in args.models.split(",") if m]
    unknown = [m for m in models if m not in specs]
    if unknown:
        raise SystemExit(f"torch_bench: unknown model(s) {', '.join(unknown)} (see `cnnbench models`)")

    if args.export_onnx:
        for m in models:
            for b in batches:
                try:
                    export_onnx(specs[m], b, args.export_onnx, args.force_export)
                except Exception as e:
                    log(f"{m}: export failed: {type(e).__name__}: {e}")
        if args.export_only:
            return

    cols = load_columns(args.columns)
    ids = framework_ids()
    out = open_out(args.out, cols)
    try:
        for m in models:
            for b in batches:
                for t in threads:
                    write_row(out, cols, bench(specs[m], b, t, args, ids, peaks, args.peak_source))
    finally:
        if out is not sys.stdout:
            out.close()


if __name__ == "__main__":
    main()
