# netdiag: one static binary. Nothing here may need cgo.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/netdiag/netdiag/cli.Version=$(VERSION)
# Leave out what netdiag never calls but would initialise at every start:
# urfave/cli's man-page and Markdown writers (blackfriday) and gRPC's
# x/net/trace (net/http handlers, html/template). Start-up then touches
# 1.3 MiB less of the binary, a capture's peak memory (BENCHMARKS.md).
TAGS    := urfave_cli_no_docs,grpcnotrace
BUILD   := CGO_ENABLED=0 $(GO) build -trimpath -tags '$(TAGS)' -ldflags '$(LDFLAGS)'
OUT     ?= netdiag
PBUILD  := CGO_ENABLED=0 $(GO) build -trimpath -ldflags '-s -w -X main.Version=$(VERSION)'

.PHONY: all deps lab netdiag plugin release test demo bench fuzz clean cross

all: netdiag

netdiag:
	$(BUILD) -o $(OUT) .

# kubectl-netdiag for this machine, beside ./netdiag, which it carries to the nodes.
# It is a module of its own (cmd/kubectl-netdiag/go.mod): client-go never
# reaches netdiag's go.mod or the node binary.
PLUGIN := cmd/kubectl-netdiag

plugin: netdiag
	cd $(PLUGIN) && $(PBUILD) -o ../../kubectl-netdiag .

# The node binaries, and kubectl-netdiag for every system an operator uses;
# dist/ is a kubectl plugin directory: put it on PATH.
PLUGIN_TARGETS := linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64
release:
	rm -rf dist && mkdir -p dist
	GOOS=linux GOARCH=amd64 $(BUILD) -o dist/netdiag-linux-amd64 .
	GOOS=linux GOARCH=arm64 $(BUILD) -o dist/netdiag-linux-arm64 .
	for t in $(PLUGIN_TARGETS); do os=$${t%/*}; arch=$${t#*/}; ext=; [ $$os = windows ] && ext=.exe; \
		(cd $(PLUGIN) && GOOS=$$os GOARCH=$$arch $(PBUILD) -o ../../dist/kubectl-netdiag-$$os-$$arch$$ext .) || exit 1; done
	cd dist && sha256sum netdiag-linux-* kubectl-netdiag-* > SHA256SUMS

# Every test; as root it also runs the namespace, lab and real-node tests.
deps:
	scripts/deps.sh

# The real Kubernetes cluster e2e/ runs on: ~25 min cold, ~2 min warm, a no-op when built.
lab:
	scripts/k8snode.sh build

test: cross deps lab
	cd $(PLUGIN) && CGO_ENABLED=0 $(GO) test -count=1 ./...
	CGO_ENABLED=0 $(GO) test -count=1 -timeout 40m ./...

# The main job against a simulated node that is set up and torn down here.
demo: deps netdiag
	scripts/demo.sh

bench: netdiag
	scripts/bench.sh

fuzz:
	scripts/fuzz.sh

# Both modules vet, and both commands build, on darwin and windows (issue
# 13): the kernel readers have _other.go stubs that return ErrNotSupported,
# and off Linux the netdiag commands that need a node say so.
cross:
	GOOS=darwin CGO_ENABLED=0 $(GO) vet ./...
	GOOS=windows CGO_ENABLED=0 $(GO) vet ./...
	GOOS=darwin CGO_ENABLED=0 $(GO) build -o /dev/null .
	GOOS=windows CGO_ENABLED=0 $(GO) build -o /dev/null .
	cd $(PLUGIN) && GOOS=darwin GOARCH=arm64 CGO_ENABLED=0 $(GO) vet ./... && GOOS=windows CGO_ENABLED=0 $(GO) vet ./...
	cd $(PLUGIN) && GOOS=darwin GOARCH=arm64 CGO_ENABLED=0 $(GO) build -o /dev/null . && GOOS=windows CGO_ENABLED=0 $(GO) build -o /dev/null .

clean:
	rm -rf netdiag kubectl-netdiag dist
