# lvslab — see README.md. Every target that builds or runs labs needs root.

GO       ?= go
BIN      := bin
LVSLAB   := $(BIN)/lvslab
LAB      ?= labs/dr-keepalived.yaml
GOLANGCI_VERSION := v2.15.0
GOLANGCI := $(BIN)/golangci-lint
# Packages tested natively; the scenarios need kernel IPVS and run through
# `lvslab vm --auto` (in the guest kernel only where the host lacks IPVS).
NATIVE_PKGS = $(shell $(GO) list ./... | grep -v /scenarios)
REPORTS  := reports/out

.PHONY: all build deps lab down test lint unit scenarios bench demo clean

all: build

build:
	$(GO) build -o $(LVSLAB) ./cmd/lvslab

## deps: install what lvslab needs (Debian/Ubuntu, as root): iproute2,
## keepalived, ipvsadm, tcpdump, tshark, wrk, qemu and the guest kernel.
deps:
	bash scripts/deps.sh
	bash vm/provision.sh

## lab: stand up the default lab ($(LAB)); inside the guest kernel when the
## host has no IPVS. With a terminal you get a shell in the lab.
lab: deps build
	bash scripts/lab.sh $(LAB)

## down: tear down every lab that is up.
down: build
	$(LVSLAB) down --all

## test: everything CI runs.
test: deps build
	bash scripts/leakcheck.sh before
	$(MAKE) lint unit scenarios
	bash scripts/leakcheck.sh after

lint: $(GOLANGCI)
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) mod tidy -diff
	$(GOLANGCI) run ./...

$(GOLANGCI):
	GOBIN=$(abspath $(BIN)) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_VERSION)

unit:
	$(GO) test -race -count=1 $(NATIVE_PKGS)

# The whole checkout is the guest's shared work directory, so the binaries
# in bin/ and the reports are seen on both sides.
scenarios: build
	$(GO) test -c -o $(BIN)/scenarios.test ./scenarios
	mkdir -p $(REPORTS)
	$(LVSLAB) vm --auto -- sh -c 'cd scenarios && exec ../$(BIN)/scenarios.test \
		-ginkgo.v -ginkgo.junit-report=../$(REPORTS)/junit.xml'

## bench: lab up/down times natively (and a guest boot), then requests/s
## through each forwarding method's VIP, ours vs wrk, where IPVS is.
bench: build
	$(LVSLAB) bench --vm labs/*.yaml
	$(LVSLAB) vm --auto -- $(LVSLAB) bench --throughput

## demo: the teaching demo: one request through the NAT and the DR lab,
## their hops side by side; pcaps in demo-pcaps/.
demo: build
	$(LVSLAB) vm --auto -- $(LVSLAB) demo nat-vs-dr

clean:
	rm -rf $(BIN) $(REPORTS)
