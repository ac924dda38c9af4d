# pulumi-circuitbreaker: every build, generation and test step, runnable on a fresh clone.
SHELL        := /bin/bash
PACK         := circuitbreaker
PROVIDER     := pulumi-resource-$(PACK)
VERSION      ?= 0.1.0
ROOT         := $(abspath .)
BIN          := $(ROOT)/bin
EMULATORS    := $(ROOT)/test/emulators
# The Lambda Runtime Interface Emulator has no tags; this pseudo-version is pinned.
RIE_VERSION  := v0.0.0-20261030222936-bef5c4ba774d
GOTEST_FLAGS ?= -count=1

export PATH := $(BIN):$(PATH)

.PHONY: all build deps lambdas provider schema check-schema test test-go clean

all: build

## build: the main job for now: our Lambdas and the provider plugin with them inside.
build: provider

## deps: the local stand-ins for AWS the tests use (dynalite, asl-validator,
## aws-local-stepfunctions from npm; the Lambda Runtime Interface Emulator built from Go).
deps: $(EMULATORS)/node_modules/.installed $(BIN)/aws-lambda-rie

$(EMULATORS)/node_modules/.installed: $(EMULATORS)/package.json $(EMULATORS)/package-lock.json
	cd $(EMULATORS) && npm ci --no-audit --no-fund
	touch $@

$(BIN)/aws-lambda-rie:
	GOBIN=$(BIN) go install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$(RIE_VERSION)

## lambdas: our Go Lambdas as reproducible linux/arm64 bootstrap zips, embedded by the provider.
lambdas:
	go run ./lambdas/bundle -out lambdas/artifacts/dist

## provider: the plugin binary, with the Lambdas embedded.
provider: lambdas
	go build -trimpath -ldflags "-X github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/provider.Version=$(VERSION)" -o $(BIN)/$(PROVIDER) ./provider/cmd/$(PROVIDER)

## schema: regenerate schema.yaml from the provider's own GetSchema.
schema:
	go run ./provider/cmd/schemagen -version $(VERSION) -out schema.yaml

## check-schema: fail when schema.yaml is not what the provider says.
check-schema:
	go run ./provider/cmd/schemagen -version $(VERSION) -out - | diff -u schema.yaml - || { echo "schema.yaml is stale: run 'make schema' and commit it" >&2; exit 1; }

## test: everything CI runs.
test: deps lambdas check-schema test-go

test-go:
	go vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed on:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	go test $(GOTEST_FLAGS) ./...

clean:
	rm -rf $(BIN) lambdas/artifacts/dist/*.zip
