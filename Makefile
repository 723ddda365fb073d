# netdiag: one static binary. Nothing here may need cgo.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/netdiag/netdiag/cli.Version=$(VERSION)
BUILD   := CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)'
OUT     ?= netdiag

.PHONY: all deps lab netdiag release test demo bench fuzz clean cross

all: netdiag

netdiag:
	$(BUILD) -o $(OUT) .

release:
	rm -rf dist && mkdir -p dist
	GOOS=linux GOARCH=amd64 $(BUILD) -o dist/netdiag-linux-amd64 .
	GOOS=linux GOARCH=arm64 $(BUILD) -o dist/netdiag-linux-arm64 .
	cd dist && sha256sum netdiag-linux-* > SHA256SUMS

# Every test; as root it also runs the namespace, lab and real-node tests.
deps:
	scripts/deps.sh

# The real Kubernetes cluster e2e/ runs on: ~25 min cold, ~2 min warm, a no-op when built.
lab:
	scripts/k8snode.sh build

test: deps lab
	CGO_ENABLED=0 $(GO) test -count=1 -timeout 40m ./...

# The main job against a simulated node that is set up and torn down here.
demo: deps netdiag
	scripts/demo.sh

bench: netdiag
	scripts/bench.sh

fuzz:
	scripts/fuzz.sh

# The packages that build and vet on darwin and windows (issue 13). Not yet
# ./...: netstate, checks, bundle and cli are still Linux-only, and so are
# kubeproxy, stale and nftrace (they import netstate) and the netdiag command
# (it imports cli); build it here once cli is ported.
CROSS_PKGS := ./nsutil ./rtnl ./ipshow ./node ./capture/... ./dropmon ./probe ./kmsg ./analyze \
	./internal/hostfile ./internal/testlab ./internal/cmd/... ./internal/kpgen

cross:
	GOOS=darwin CGO_ENABLED=0 $(GO) vet $(CROSS_PKGS)
	GOOS=windows CGO_ENABLED=0 $(GO) vet $(CROSS_PKGS)

clean:
	rm -rf netdiag dist
