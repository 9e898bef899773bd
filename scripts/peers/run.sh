#!/usr/bin/env bash
# Peers side by side: PyTorch (Debian's python3-torch, oneDNN inside) and ONNX Runtime
# (npm onnxruntime-node) on cnnbench's models, same batch and thread counts, rows in
# cnnbench's results.csv columns. See scripts/peers/README.md. `make peers` runs this.
#
#   scripts/peers/run.sh [-models LIST] [-threads LIST] [-batch LIST] [-min-time SECONDS]
#                        [-warmup N] [-min-runs N] [-frameworks torch,ort] [-with-ours]
#                        [-out DIR] [-onnx-dir DIR] [-no-install]
#
# Environment (flags win): PEERS_MODELS, PEERS_THREADS, PEERS_BATCH, PEERS_MIN_TIME,
# PEERS_WARMUP, PEERS_MIN_RUNS, PEERS_FRAMEWORKS, PEERS_WITH_OURS=1, PEERS_OUT,
# PEERS_ONNX_DIR, PEERS_NO_INSTALL=1; GO, PYTHON (default /usr/bin/python3), NODE, NPM,
# CNNBENCH (a built cnnbench; default: go build -o bin/cnnbench).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT"

# Every model of shared/anchors/peers.md's table that exists in our zoo: the
# fast-convolution issue's targets (AlexNet, VGG-11/16/19, ResNet-18..152,
# DenseNet-121/169/201, EfficientNet-B0/B1/B3) plus LeNet-5, MobileNet v1 and
# ShuffleNet v1.
DEFAULT_MODELS=lenet5,alexnet,vgg11,vgg16,vgg19,resnet18,resnet34,resnet50,resnet101,resnet152,densenet121,densenet169,densenet201,efficientnet_b0,efficientnet_b1,efficientnet_b3,mobilenet_v1,shufflenet_v1

MODELS=${PEERS_MODELS:-$DEFAULT_MODELS}
THREADS=${PEERS_THREADS:-1,2}
BATCH=${PEERS_BATCH:-1}
MIN_TIME=${PEERS_MIN_TIME:-8}
WARMUP=${PEERS_WARMUP:-3}
MIN_RUNS=${PEERS_MIN_RUNS:-5}
FRAMEWORKS=${PEERS_FRAMEWORKS:-torch,ort}
WITH_OURS=${PEERS_WITH_OURS:-0}
OUT=${PEERS_OUT:-}
ONNX_DIR=${PEERS_ONNX_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/cnnbench/peers-onnx}
NO_INSTALL=${PEERS_NO_INSTALL:-0}
GO=${GO:-go}
PYTHON=${PYTHON:-/usr/bin/python3}
NODE=${NODE:-node}
NPM=${NPM:-npm}

usage() { sed -n '2,13p' "$HERE/run.sh" | sed 's/^# \{0,1\}//'; }
die() { echo "peers: $*" >&2; exit 1; }
say() { echo "peers: $*" >&2; }

while [ $# -gt 0 ]; do
	flag=${1#-}; flag=${flag#-}
	case "$flag" in
	h | help) usage; exit 0 ;;
	with-ours) WITH_OURS=1; shift; continue ;;
	no-install) NO_INSTALL=1; shift; continue ;;
	esac
	[ $# -ge 2 ] || die "flag $1 needs a value (see -h)"
	case "$flag" in
	models) MODELS=$2 ;;
	threads) THREADS=$2 ;;
	batch) BATCH=$2 ;;
	min-time) MIN_TIME=$2 ;;
	warmup) WARMUP=$2 ;;
	min-runs) MIN_RUNS=$2 ;;
	frameworks) FRAMEWORKS=$2 ;;
	out) OUT=$2 ;;
	onnx-dir) ONNX_DIR=$2 ;;
	*) die "unknown flag $1 (see -h)" ;;
	esac
	shift 2
done
[ "$MODELS" = all ] && MODELS=$DEFAULT_MODELS
for fw in ${FRAMEWORKS//,/ }; do
	case $fw in torch | ort) ;; *) die "-frameworks $FRAMEWORKS: want torch, ort or both" ;; esac
done
want() { [[ ",$FRAMEWORKS," == *",$1,"* ]]; }
[[ $MIN_TIME =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "-min-time $MIN_TIME: want seconds, e.g. 8 or 0.5"

if [ -z "$OUT" ]; then
	OUT=results/peers-$(date -u +%Y-%m-%d)
	[ -e "$OUT/results.csv" ] && OUT=$OUT-$(date -u +%H%M%S)
fi
[ -e "$OUT/results.csv" ] && die "$OUT/results.csv exists: choose another -out (rows are never mixed across runs)"
mkdir -p "$OUT"

# ---------------------------------------------------------------- install what is missing
as_root() { [ "$(id -u)" = 0 ]; }
apt_install() {
	as_root || die "missing $*: run as root, or: sudo apt-get install -y $*"
	say "installing $* (apt-get)"
	apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}
if [ "$NO_INSTALL" != 1 ]; then
	if ! "$PYTHON" -c 'import torch, torchvision' 2>/dev/null; then
		[ "$PYTHON" = /usr/bin/python3 ] || die "$PYTHON cannot import torch and torchvision"
		apt_install python3-torch python3-torchvision
	fi
	if want ort; then
		command -v "$NODE" >/dev/null && command -v "$NPM" >/dev/null || apt_install nodejs npm
		if ! (cd "$HERE" && "$NODE" -e 'require("onnxruntime-node")' 2>/dev/null); then
			# --ignore-scripts: onnxruntime-node's install script tries a download that fails
			# without the internet; the CPU library ships inside the package.
			say "installing onnxruntime-node (npm ci --ignore-scripts in scripts/peers)"
			(cd "$HERE" && "$NPM" ci --ignore-scripts --no-audit --no-fund >&2)
		fi
	fi
fi
"$PYTHON" -c 'import torch, torchvision' 2>/dev/null || die "$PYTHON cannot import torch and torchvision (apt-get install -y python3-torch python3-torchvision)"
if want ort; then
	(cd "$HERE" && "$NODE" -e 'require("onnxruntime-node")') || die "onnxruntime-node does not load: (cd scripts/peers && npm ci --ignore-scripts)"
fi

# ---------------------------------------------------------------- cnnbench: models, columns
CNNBENCH=${CNNBENCH:-bin/cnnbench}
if [ "$CNNBENCH" = bin/cnnbench ]; then
	say "building bin/cnnbench"
	"$GO" build -o bin/cnnbench ./cmd/cnnbench || die "go build ./cmd/cnnbench failed (or pass CNNBENCH=path/to/a/built/cnnbench)"
fi
"$CNNBENCH" models -format json >"$OUT/models.json"

# The header: suite.Columns as the Go code has it now, then framework; the committed
# columns.json is the fallback (and is checked against it).
COLUMNS=$OUT/.columns.json
tmpgo=$(mktemp -d)
trap 'rm -rf "$tmpgo"' EXIT
cat >"$tmpgo/columns.go" <<'EOF'
package main

import (
	"encoding/json"
	"os"

	"github.com/cnnbench/cnnbench/suite"
)

func main() {
	json.NewEncoder(os.Stdout).Encode(map[string]any{
		"_comment": "suite.Columns, then framework (written by scripts/peers/run.sh)",
		"columns":  append(append([]string{}, suite.Columns...), "framework"),
	})
}
EOF
if "$GO" run "$tmpgo/columns.go" >"$COLUMNS" 2>"$tmpgo/err"; then
	if ! "$PYTHON" - "$COLUMNS" "$HERE/columns.json" <<'EOF'; then
import json, sys
a, b = (json.load(open(p))["columns"] for p in sys.argv[1:])
sys.exit(a != b)
EOF
		say "note: scripts/peers/columns.json differs from suite.Columns; using suite.Columns (update columns.json)"
	fi
else
	say "note: cannot read suite.Columns ($(head -1 "$tmpgo/err")); using scripts/peers/columns.json"
	cp "$HERE/columns.json" "$COLUMNS"
fi

# ---------------------------------------------------------------- machine note
note() { echo "$*" >>"$OUT/machine.txt"; }
: >"$OUT/machine.txt"
note "# peers run $(date -u +%Y-%m-%dT%H:%M:%SZ)"
note "command: scripts/peers/run.sh -models $MODELS -threads $THREADS -batch $BATCH -min-time $MIN_TIME -warmup $WARMUP -min-runs $MIN_RUNS -frameworks $FRAMEWORKS$([ "$WITH_OURS" = 1 ] && echo ' -with-ours')"
note "protocol: $WARMUP warm-up passes (the cold one included), then timed passes until >= $MIN_RUNS and >= $MIN_TIME s; median, p10, p90 (R-7); one process per model, thread count and framework"
note "commit: $(git rev-parse HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' (dirty)')"
note "host: $(uname -srm); nproc $(nproc); $(grep -m1 'model name' /proc/cpuinfo | sed 's/\t//')"
note "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
if awk -v n="$(nproc)" '{ exit !($1 > n / 2) }' /proc/loadavg; then
	say "warning: load average $(cut -d' ' -f1 /proc/loadavg) on $(nproc) cores: timings will be noisy (PyTorch's OpenMP at all cores the most)"
fi
note ""
note "## cnnbench cpuinfo"
"$CNNBENCH" cpuinfo >>"$OUT/machine.txt" 2>&1 || true
note ""
note "## packages"
dpkg-query -W -f='${Package} ${Version}\n' python3-torch python3-torchvision libdnnl2 2>/dev/null >>"$OUT/machine.txt" || true
note "python: $("$PYTHON" --version 2>&1)"
if want ort; then
	note "node: $("$NODE" --version)"
	note "onnxruntime-node: $(cd "$HERE" && "$NODE" -p 'require("onnxruntime-node/package.json").version')"
fi
note ""
note "## torch.__config__.parallel_info()"
"$PYTHON" -c 'import torch; print(torch.__config__.parallel_info())' >>"$OUT/machine.txt" 2>&1 || true

# ---------------------------------------------------------------- ours (optional)
PEAK=
PEAK_SOURCE=
if [ "$WITH_OURS" = 1 ]; then
	say "cnnbench bench (ours) into $OUT/cnnbench"
	"$CNNBENCH" bench -models "$MODELS" -threads "$THREADS" -batch "$BATCH" -algos auto \
		-warmup "$WARMUP" -min-runs "$MIN_RUNS" -min-time "${MIN_TIME}s" -budget 0s -out "$OUT/cnnbench"
	# The same peaks as ours, so peak_fraction has one denominator per thread count.
	read -r PEAK PEAK_SOURCE < <("$PYTHON" - "$OUT/cnnbench/results.csv" <<'EOF'
import csv, sys
peaks, src = {}, ""
for r in csv.DictReader(open(sys.argv[1])):
    if r.get("peak_gflops") and r.get("status") == "ok":
        peaks.setdefault(r["threads"], r["peak_gflops"])
        src = src or "cnnbench FMA probe (%s) of the same run" % r.get("kernels", "")
print(",".join(f"{t}={v}" for t, v in sorted(peaks.items())) or "-", src)
EOF
	)
	[ "$PEAK" = - ] && PEAK=
fi

# ---------------------------------------------------------------- peers
PY_ARGS=(-models-json "$OUT/models.json" -columns "$COLUMNS" -batch "$BATCH" -warmup "$WARMUP"
	-min-runs "$MIN_RUNS" -min-time "$MIN_TIME" -peak "$PEAK" -peak-source "$PEAK_SOURCE")
if want ort; then
	say "exporting ONNX (opset 13) into $ONNX_DIR (kept between runs)"
	"$PYTHON" "$HERE/torch_bench.py" -models "$MODELS" -batch "$BATCH" -models-json "$OUT/models.json" \
		-export-onnx "$ONNX_DIR" -export-only
fi
# One process per model, thread count and framework, the two frameworks back to back per
# case so that the shared machine's load hits both alike.
for m in ${MODELS//,/ }; do
	for t in ${THREADS//,/ }; do
		if want torch; then
			"$PYTHON" "$HERE/torch_bench.py" -models "$m" -threads "$t" "${PY_ARGS[@]}" \
				-out "$OUT/pytorch.csv" || say "$m threads=$t: torch_bench failed"
		fi
		if want ort; then
			"$NODE" "$HERE/ort_bench.js" -models "$m" -threads "$t" "${PY_ARGS[@]}" -onnx-dir "$ONNX_DIR" \
				-out "$OUT/onnxruntime.csv" || say "$m threads=$t: ort_bench failed"
		fi
	done
done
note ""
note "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"

# results.csv: every peer row, one header.
files=()
for f in "$OUT/pytorch.csv" "$OUT/onnxruntime.csv"; do [ -s "$f" ] && files+=("$f"); done
[ ${#files[@]} -gt 0 ] || die "no rows written"
{
	head -n 1 "${files[0]}"
	for f in "${files[@]}"; do tail -n +2 "$f"; done
} >"$OUT/results.csv.tmp" && mv "$OUT/results.csv.tmp" "$OUT/results.csv"

echo "peers: results in $OUT/results.csv (per framework: ${files[*]}; machine note: $OUT/machine.txt)"
cmp=("$CNNBENCH" compare -ignore-impl)
if [ "$WITH_OURS" = 1 ] && [ -s "$OUT/cnnbench/results.csv" ]; then
	cmp+=("ours=$OUT/cnnbench")
fi
[ -s "$OUT/pytorch.csv" ] && cmp+=("pytorch=$OUT/pytorch.csv")
[ -s "$OUT/onnxruntime.csv" ] && cmp+=("onnxruntime=$OUT/onnxruntime.csv")
if [ ${#cmp[@]} -ge 5 ]; then
	echo "peers: ${cmp[*]}"
	"${cmp[@]}" | tee "$OUT/compare.txt" || say "compare failed"
fi
