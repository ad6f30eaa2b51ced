# lvslab — see README.md. Every target that builds or runs labs needs root.

GO       ?= go
BIN      := bin
LVSLAB   := $(BIN)/lvslab
LAB      ?= labs/dr-keepalived.yaml
GOLANGCI_VERSION := v2.15.0
GOLANGCI := $(BIN)/golangci-lint
# ginkgo's CLI runs the compiled scenarios in parallel processes; the same
# version as go.mod's.
GINKGO   := $(BIN)/ginkgo
GINKGO_VERSION = $(shell $(GO) list -m -f '{{.Version}}' github.com/onsi/ginkgo/v2)
# Processes for the scenarios (1: serially). Parallel is the default: the
# specs mostly wait on keepalived's and the checkers' timers, so more
# processes than cores pay off; each lab is named per process, and the
# keepalived pair's specs are three groups on labs of their own.
# Re-measure with make scenarios-timing (serial, then SCENARIO_PROCS).
SCENARIO_PROCS ?= 4
# Packages tested natively; the scenarios need kernel IPVS and run through
# `lvslab vm --auto` (in the guest kernel only where the host lacks IPVS).
NATIVE_PKGS = $(shell $(GO) list ./... | grep -v /scenarios)
REPORTS  := reports/out

.PHONY: all build deps lab down test lint unit scenarios scenarios-timing catalogue bench demo clean

all: build

# lvslab-serve is a real server's backend, which lvslab runs from beside
# itself: a small executable, as a lab starts one per real server; without
# the symbol table and DWARF (-s -w: 8.7 -> 6.0 MB; panics still name
# their functions), which labup copies to tmpfs once per lab.
build:
	$(GO) build -o $(LVSLAB) ./cmd/lvslab
	$(GO) build -ldflags='-s -w' -o $(BIN)/lvslab-serve ./cmd/lvslab-serve

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

## test: everything CI runs; with -k a lint failure still runs unit and
## scenarios, so one run shows every failure. The leak check runs even
## when something failed, and its verdict goes into the report; either
## failure fails the target. It includes the guest's own leak check,
## which scripts/scenarios.sh runs where the scenarios ran.
test: deps build
	bash scripts/leakcheck.sh before
	@mkdir -p $(REPORTS); rc=0; $(MAKE) -k lint unit scenarios || rc=$$?; \
	lc=0; bash scripts/leakcheck.sh after > $(REPORTS)/leakcheck.txt 2>&1 || lc=$$?; \
	cat $(REPORTS)/leakcheck.txt; \
	if [ -f $(REPORTS)/results.json ]; then \
		$(LVSLAB) report --dir $(REPORTS) --leak-check $(REPORTS)/leakcheck.txt --leak-status $$lc || rc=1; \
	fi; \
	echo "test: make lint unit scenarios exit $$rc, leak check exit $$lc"; \
	[ $$rc = 0 ] && [ $$lc = 0 ]

lint: $(GOLANGCI)
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) mod tidy -diff
	$(GOLANGCI) run ./...
	$(GO) run ./reports/cmd/catalogue -check

## catalogue: regenerate docs/scenarios.md from the specs (make lint
## fails when it is stale).
catalogue:
	$(GO) run ./reports/cmd/catalogue

$(GOLANGCI):
	GOBIN=$(abspath $(BIN)) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_VERSION)

## unit: the native tests; REPORTS_SCREENSHOT keeps the browser check's
## screenshot of the report.
unit:
	@mkdir -p $(REPORTS)
	REPORTS_SCREENSHOT=$(abspath $(REPORTS))/browser-check.png $(GO) test -race -count=1 $(NATIVE_PKGS)

$(GINKGO):
	GOBIN=$(abspath $(BIN)) $(GO) install github.com/onsi/ginkgo/v2/ginkgo@$(GINKGO_VERSION)

## scenarios: the kernel scenarios in the guest (natively where the host
## has IPVS), $(SCENARIO_PROCS) processes, through scripts/scenarios.sh:
## the whole checkout is the guest's shared work directory, so bin/ and
## the reports are seen on both sides. Reports in $(REPORTS)/: junit.xml,
## results.json, index.html, artifacts/ of failed specs.
## SCENARIOS_FLAGS passes ginkgo flags, e.g. --label-filter=smoke;
## VM_MEMORY the guest's MiB (default 4096: a lab per process).
scenarios: build $(GINKGO)
	$(GO) test -c -o scenarios/scenarios.test ./scenarios
	bash scripts/scenarios.sh $(SCENARIO_PROCS)

## scenarios-timing: the whole suite serially, then in $(SCENARIO_PROCS)
## processes; the report's wall-time table compares them, and lvslab
## report prints the ratio.
scenarios-timing: build $(GINKGO)
	$(GO) test -c -o scenarios/scenarios.test ./scenarios
	rm -f $(REPORTS)/walltimes.json
	rc=0; bash scripts/scenarios.sh 1 || rc=1; \
	bash scripts/scenarios.sh $(SCENARIO_PROCS) || rc=1; exit $$rc

## bench: lab up/down times natively (and a guest boot); our client
## against wrk to a real server's RIP natively (no IPVS needed, so at
## this host's speed); then, where IPVS is (in the guest: emulated
## figures), requests/s through each forwarding method's VIP, ours vs
## wrk, and 20 keepalived failovers each way (client gap and takeover vs
## the formula). Then the scale table: generated labs of 10, 50, 100 and
## 200 DR real servers, network alone natively, full up/down in the guest,
## cost per node; and a keepalived pair with 100 real servers and 4 VIPs
## under TCP_CHECK. Takes about 10 minutes under the guest, plus about 3
## for the scale runs.
bench: build
	$(LVSLAB) bench --vm labs/*.yaml
	$(LVSLAB) bench --client
	$(LVSLAB) vm --auto -- $(LVSLAB) bench --throughput
	$(LVSLAB) vm --auto -- $(LVSLAB) bench --failover --runs 20
	$(LVSLAB) bench --scale
	$(LVSLAB) vm --auto -- $(LVSLAB) bench --scale --full
	$(LVSLAB) vm --auto -- $(LVSLAB) bench --scale --keepalived --sizes 100 --vips 4

## demo: the teaching demo: one request through the NAT and the DR lab,
## their hops side by side; pcaps in demo-pcaps/.
demo: build
	$(LVSLAB) vm --auto -- $(LVSLAB) demo nat-vs-dr

clean:
	rm -rf $(BIN) $(REPORTS) scenarios/scenarios.test
