# OComms. `make run` starts a homeserver with data in ./data; `make test`
# runs the whole suite. Both need only Go.

GO        ?= go
BIN       := bin/ocomms
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
PKGS      := ./...
# Fuzz targets run for FUZZTIME each in `make test`; `make fuzz` runs longer.
FUZZTIME  ?= 5s
FUZZ_TARGETS := \
	./spec/canonicaljson:FuzzCanonicalize \
	./spec/event:FuzzParse \
	./spec/signing:FuzzSignJSON \
	./spec/auth:FuzzMembers \
	./spec/id:FuzzParseUserID \
	./spec/id:FuzzParseServerName \
	./spec/b64:FuzzDecode

.PHONY: run build build-bench loadtest test test-unit test-e2ee difftest difftest-long fuzz-short fuzz bench vet fmt-check clean

# A source checkout is a development setup even inside a container, so
# `make run` accepts a data directory that is not a volume (with a warning);
# the container image does not.
run: build
	OCOMMS_ALLOW_EPHEMERAL_DATA=1 ./$(BIN) run

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/ocomms

build-bench:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/ocomms-bench ./cmd/ocomms-bench

# A small, bounded load test (about a minute): a throwaway server on
# loopback in a temporary directory, ocomms-bench against it, the server
# stopped and its data removed afterwards. See README.md "Load testing".
LOADTEST_ARGS ?= -users 10 -senders 2 -messages 100 -duration 10s -rooms 20 -repeats 3
loadtest: build build-bench
	./cmd/ocomms-bench/loadtest.sh $(LOADTEST_ARGS)

test: vet fmt-check test-unit test-e2ee difftest fuzz-short

test-unit:
	$(GO) test -count=1 -timeout 20m $(PKGS)

# The end-to-end encryption tests run mautrix-go's crypto on its pure-Go
# Olm, which needs the goolm build tag (without it mautrix links libolm
# through cgo). The second is `make run` with real clients: the built
# binary in a temporary directory, mautrix-go users registering, chatting
# and uploading keys (the rest of clienttest already ran in test-unit).
test-e2ee:
	$(GO) test -tags goolm -count=1 -timeout 10m ./internal/e2etest/
	$(GO) test -tags goolm -count=1 -timeout 10m -run '^TestOcommsBinary' ./internal/clienttest/

# The differential tests against the gomatrixserverlib and mautrix oracles.
# mautrix's federation code needs encoding/json/v2, so this package runs a
# second time with that experiment on; the default run has a fixed seed and
# a bounded count, difftest-long a random seed and 20 times as many cases.
difftest:
	GOEXPERIMENT=jsonv2 $(GO) test -count=1 -timeout 10m ./spec/difftest/

difftest-long:
	GOEXPERIMENT=jsonv2 OCOMMS_DIFF_SEED=0 OCOMMS_DIFF_COUNT=20 $(GO) test -count=1 -v -timeout 60m ./spec/difftest/

# Each fuzz target for a short fixed time: catches panics on inputs the
# corpus does not hold, without making the suite slow.
fuzz-short:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; fn=$${t##*:}; \
		echo "fuzz $$pkg $$fn ($(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) $$pkg; \
	done

fuzz:
	$(MAKE) fuzz-short FUZZTIME=5m

bench:
	$(GO) test -run '^$$' -bench . -benchmem -timeout 60m $(PKGS)

# The goolm-tagged tests (e2etest, the binary client test) are vetted too.
vet:
	$(GO) vet $(PKGS)
	$(GO) vet -tags goolm ./internal/clienttest/ ./internal/e2etest/

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

clean:
	rm -rf bin
