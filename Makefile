# cnnbench: the two commands a newcomer needs are `make test` and `make bench`.
GO      ?= go
BIN     := bin/cnnbench
PYTHON  ?= /usr/bin/python3
RESULTS ?= results/latest

.PHONY: all build test test-short race lint vet fmt bench goldens generate clean help

all: build

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

build: ## build bin/cnnbench
	$(GO) build -o $(BIN) ./cmd/cnnbench

test: vet ## everything CI runs: vet, gofmt check, all tests, the engine under -race
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) test ./...
	$(GO) test -race -short ./engine/...

test-short: ## quick tests
	$(GO) test -short ./...

vet: ## go vet
	$(GO) vet ./...

lint: vet ## gofmt + vet
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }

fmt: ## gofmt -w
	gofmt -w $$(git ls-files '*.go')

bench: build ## the benchmark job on embedded defaults: model accounting + engine benchmarks into $(RESULTS)
	@mkdir -p $(RESULTS)
	$(BIN) models -format csv > $(RESULTS)/models.csv
	$(BIN) cpuinfo > $(RESULTS)/cpuinfo.txt
	$(GO) test -run '^$$' -bench . -benchtime 3x ./engine/... | tee $(RESULTS)/bench.txt
	@echo "results in $(RESULTS)/"

goldens: ## regenerate PyTorch goldens (needs Debian python3-torch, python3-torchvision)
	$(PYTHON) scripts/goldens.py -cnnbench "$(GO) run ./cmd/cnnbench" $$(cat architectures/testdata/goldens/MODELS)

generate: ## go generate
	$(GO) generate ./...

clean:
	rm -rf bin
