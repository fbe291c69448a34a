# Psyche build and test entry points. Every target works on a fresh machine
# with only Go installed: modules come from the Go module proxy.

GO      ?= go
BIN     := bin/psyche
PKGS    := ./...
# The power-cut test is a module of its own (it needs go-fuse, which the
# main module must not depend on); ./... at the root does not reach it.
POWERCUT := tests/powercut
# The peer comparison (Self against gopher-lua and goja) is a module of its
# own too, so that the psyche binary never depends on the peers.
PEERS := tests/bench/peers

.PHONY: all build run test bench soak images vet fmt clean

all: build

build:
	$(GO) build -buildvcs=auto -o $(BIN) ./cmd/psyche

# The REPL on the default world ($$PSYCHE_WORLD, else $$XDG_DATA_HOME/psyche/default.world).
run: build
	./$(BIN)

# Everything a change must pass: vet, formatting, unit tests, the small
# crash/fuzz-corpus runs, the end-to-end tests and 20 power cuts. Kept under 15 minutes on 2 cores.
test: vet
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) test -count=1 -timeout 14m $(PKGS)
	cd $(POWERCUT) && $(GO) test -count=1 -timeout 10m ./...

vet:
	$(GO) vet $(PKGS)
	cd $(POWERCUT) && $(GO) vet ./...
	cd $(PEERS) && $(GO) vet ./...

# Benchmarks; figures are reported as ratios measured side by side in one run.
# Then the peer comparison: the programs of $(PEERS)/programs in psyche,
# gopher-lua and goja, interleaved ($$PSYCHE_PEERS_ROUNDS rounds, default 3).
bench:
	$(GO) test -run '^$$' -bench . -count 1 -timeout 60m $(PKGS) | tee bench.out
	cd $(PEERS) && $(GO) run ./cmd/compare

# Long crash and fault runs: the tests that read PSYCHE_SOAK run their long
# versions (kill -9 rounds, interrupted creations, thousands of damaged worlds
# and mutated images, 1000 power cuts).
soak:
	PSYCHE_SOAK=1 $(GO) test -count=1 -timeout 180m ./heap/ ./world/ ./tests/
	cd $(POWERCUT) && PSYCHE_SOAK=1 $(GO) test -count=1 -timeout 120m -v ./...

images:
	$(GO) run ./bootstrap/cmd/mkimage -o images/base.img

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin bench.out
