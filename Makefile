# pulumi-circuitbreaker: every build, generation and test step, runnable on a fresh clone.
SHELL        := /bin/bash
PACK         := circuitbreaker
PROVIDER     := pulumi-resource-$(PACK)
# VERSION is the one version of a release: the plugin's (-ldflags), schema.yaml's and so every SDK's
# (package.json, pyproject.toml, the Go SDK's pulumi-plugin.json). `make check-versions` fails
# when a committed file disagrees; a release bumps it here, runs `make sdks` and commits.
VERSION      ?= 0.1.0
PLUGIN_LDFLAGS = -X github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/provider.Version=$(VERSION)
# circuitctl (cmd/circuitctl), the operators' tool, reports the same release version.
CIRCUITCTL_LDFLAGS = -X main.Version=$(VERSION)
ROOT         := $(abspath .)
BIN          := $(ROOT)/bin
EMULATORS    := $(ROOT)/dev/emulators
GOTEST_FLAGS ?= -count=1
# Every tool version: versions.mk.
include $(ROOT)/versions.mk

export PATH := $(BIN):$(PATH)

.PHONY: all build deps lambdas provider schema check-schema test test-go test-unit test-emulators test-engine clean

all: build

## build: the main job for now: our Lambdas and the provider plugin with them inside, and circuitctl.
build: provider circuitctl

## deps: the local stand-ins for AWS the tests use (dynalite, asl-validator,
## aws-local-stepfunctions from npm; the Lambda Runtime Interface Emulator built from Go), and the
## peer the bench measures beside us (bin/peer).
deps: $(EMULATORS)/node_modules/.installed $(BIN)/aws-lambda-rie $(BIN)/moto/bin/moto_server $(BIN)/peer/.installed

$(EMULATORS)/node_modules/.installed: $(EMULATORS)/package.json $(EMULATORS)/package-lock.json
	cd $(EMULATORS) && npm ci --no-audit --no-fund
	touch $@

$(BIN)/aws-lambda-rie:
	GOBIN=$(BIN) go install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$(RIE_VERSION)

# moto (Apache-2.0) for what dynalite lacks: the circuit table's DynamoDB stream, EventBridge rules
# and SQS, which the transition-events test reads (component/statemachine/events_test.go). The same
# pinned version as make fidelity's; pip's cache makes a second install quick.
$(BIN)/moto/bin/moto_server:
	test -x $(BIN)/moto/bin/python || python3 -m venv $(BIN)/moto
	$(BIN)/moto/bin/pip install -q --disable-pip-version-check 'moto[server]==$(MOTO_VERSION)'

# The peer (issue 18): Powertools for AWS Lambda (Python)'s circuit breaker, installed from the
# package registry at its pinned version, run by dev/bench/peer/env.py (make bench, and
# dev/bench's TestPeerHarnessRanItsCode in the emulator tier). Its code is never copied here.
$(BIN)/peer/.installed: $(ROOT)/versions.mk
	test -x $(BIN)/peer/bin/python || python3 -m venv $(BIN)/peer
	$(BIN)/peer/bin/pip install -q --disable-pip-version-check 'aws-lambda-powertools==$(POWERTOOLS_VERSION)' 'boto3==$(BOTO3_VERSION)' 'botocore==$(BOTOCORE_VERSION)'
	touch $@

## lambdas: our Go Lambdas as reproducible linux/arm64 bootstrap zips (functions/bundle), embedded by
## the provider. Build outputs: git ignores them; `make provider`, `make dist` and `make test` build
## them (functions/bundle's tests check that two builds are byte-identical).
lambdas:
	go run ./functions/bundle -out functions/artifacts/dist

## provider: the plugin binary, with the Lambdas embedded.
provider: lambdas
	go build -trimpath -ldflags "$(PLUGIN_LDFLAGS)" -o $(BIN)/$(PROVIDER) ./provider/cmd/$(PROVIDER)

## circuitctl: bin/circuitctl, the operators' tool (status, list, open, close, release, clear-alarm,
## clear-hold, repair, prune; README, "Runbook").
.PHONY: circuitctl
circuitctl:
	go build -trimpath -ldflags "$(CIRCUITCTL_LDFLAGS)" -o $(BIN)/circuitctl ./cmd/circuitctl

## schema: regenerate schema.yaml from the provider's own GetSchema.
schema:
	go run ./provider/cmd/schemagen -version $(VERSION) -out schema.yaml

## check-schema: fail when schema.yaml is not what the provider says.
check-schema:
	go run ./provider/cmd/schemagen -version $(VERSION) -out - | diff -u schema.yaml - || { echo "schema.yaml is stale: run 'make schema' and commit it" >&2; exit 1; }

## docs: regenerate docs/request-path.md from the rulebook (circuit/); go test fails when it is stale.
.PHONY: docs
docs:
	go test ./circuit -run '^TestRequestPathDoc$$' -count=1 -args -update-docs

# Test tiers (build tags). Untagged: the unit tier, which a fresh clone runs with a plain
# `go test ./...` and nothing installed. emulators: tests that start dynalite, moto, the RIE,
# aws-local-stepfunctions, asl-validator or node (make deps). engine: dev/tests/engine through the
# Pulumi CLI (make engine-deps). dist: dev/tests/dist (make test-dist). Every tagged file has one tier.
ALL_TAGS := emulators,engine,dist

## test: everything CI runs: the checks, then every tier.
test: deps lambdas check-schema check-versions check-standin-schema check-sdks lint-workflows engine-deps test-dist test-go

## test-unit: the unit tier only: rules, component and provider with mocks, definition golden checks.
test-unit:
	go test $(GOTEST_FLAGS) ./...

## test-emulators: the unit and emulator tiers.
test-emulators: deps lambdas
	go test $(GOTEST_FLAGS) -tags emulators ./...

## test-engine: the engine tier (dev/tests/engine).
test-engine: engine-deps
	go test $(GOTEST_FLAGS) -tags engine ./dev/tests/engine

# test-go: vet and gofmt every tier's files, then the unit, emulator and engine tiers in one run.
test-go: lambdas
	go vet ./...
	go vet -tags $(ALL_TAGS) ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed on:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	@# make fidelity's moto server is not run by make test; at least it must compile.
	python3 -m py_compile dev/tests/fidelity/moto/server.py
	go test $(GOTEST_FLAGS) -tags emulators,engine ./...

## fuzz: every Go fuzz target for FUZZTIME each (default 30s), one at a time (dev/fuzz/run.sh,
## docs/fuzzing.md); FUZZ=regexp picks targets. Not part of make test, which runs their seeds.
FUZZTIME ?= 30s
.PHONY: fuzz
fuzz:
	FUZZTIME=$(FUZZTIME) FUZZ='$(or $(FUZZ),.)' dev/fuzz/run.sh

clean:
	rm -rf $(BIN)

# --- SDKs, examples and the engine tests (dev/tests/engine) ---------------------------
STANDIN            := $(BIN)/standin
VENV               := $(BIN)/venv

.PHONY: sdks check-sdks pulumi-cli standin-aws standin-schema check-standin-schema standin-tf-reference sdk-nodejs examples-ts examples-go python-venv engine-deps preview

## sdks: regenerate schema.yaml, then sdk/nodejs, sdk/python, sdk/go and sdk/go.mod from it
## with Pulumi's own code generators (dev/codegen/sdkgen). Commit the result.
sdks: schema
	go run ./dev/codegen/sdkgen -schema schema.yaml -out sdk

## check-sdks: fail when the committed sdk/ is not what schema.yaml generates.
check-sdks:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	go run ./dev/codegen/sdkgen -schema schema.yaml -out "$$tmp/sdk" && \
	diff -r -x node_modules -x bin -x build -x '*.egg-info' -x __pycache__ sdk "$$tmp/sdk" \
	|| { echo "sdk/ is stale: run 'make sdks' and commit it" >&2; exit 1; }

## pulumi-cli: bin/pulumi, the engine the tests and `make preview` drive: a link to an installed
## pulumi if there is one, else the CLI built from Go modules (dev/tools/pulumi; cold: ~8 min, 2.3 GB).
pulumi-cli: $(BIN)/pulumi

$(BIN)/pulumi: dev/tools/pulumi/go.mod dev/tools/pulumi/go.sum
	@mkdir -p $(BIN)
	@installed=$$(type -ap pulumi | grep -v '^$(BIN)/' | head -n 1); \
	if [ -n "$$installed" ]; then echo "using the installed $$installed"; ln -sf "$$installed" $@; \
	else echo "building the Pulumi CLI $(PULUMI_CLI_VERSION) from Go modules (dev/tools/pulumi)"; \
	cd dev/tools/pulumi && go build -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$(PULUMI_CLI_VERSION)" \
		-o $@ github.com/pulumi/pulumi/pkg/v3/cmd/pulumi; fi

## standin-aws: the TEST-ONLY stand-in for the aws plugin (dev/fakes/standinaws) in bin/standin/,
## a directory only the engine tests install plugins from. Not an aws provider: a fake cloud.
standin-aws:
	go build -o $(STANDIN)/pulumi-resource-aws ./dev/fakes/standinaws/cmd/pulumi-resource-aws

## standin-schema: regenerate dev/fakes/standinaws/reference/standin.json, what the stand-in checks
## inputs against, from the pulumi-aws v6 Go SDK (go.mod's version) and the committed Terraform
## provider dump (reference/terraform-aws.json). Commit the result.
standin-schema:
	go run ./dev/fakes/standinaws/gen

## check-standin-schema: fail when standin.json is not what the SDK and the dump generate.
check-standin-schema:
	@go run ./dev/fakes/standinaws/gen -out - | diff -u dev/fakes/standinaws/reference/standin.json - \
	|| { echo "dev/fakes/standinaws/reference/standin.json is stale: run 'make standin-schema' and commit it" >&2; exit 1; }

## standin-tf-reference: NOT part of `make test`. Re-dump reference/terraform-aws.json from the
## Terraform AWS provider's Go code (TEST-ONLY dev/tools/tfawsschema: schemas and probed validators),
## then regenerate standin.json. It compiles and links much of the provider: with a cold cache
## tens of minutes and several GB of memory; commit both files.
standin-tf-reference:
	cd dev/tools/tfawsschema && GOFLAGS=-trimpath go run . -out $(ROOT)/dev/fakes/standinaws/reference/terraform-aws.json
	$(MAKE) standin-schema

## sdk-nodejs: compile the TypeScript SDK into sdk/nodejs/bin, the package directory npm installs.
sdk-nodejs:
	cd sdk/nodejs && npm install --no-package-lock --no-audit --no-fund && npm run build && cp package.json README.md bin/

## examples-ts: install the TypeScript example's locked dependencies (with the built SDK) and compile it.
examples-ts: sdk-nodejs
	cd examples/ts && npm ci --no-audit --no-fund && ./node_modules/.bin/tsc

## python-venv: bin/venv with pulumi, pulumi-aws and the generated Python SDK (installed from a copy,
## so that no build output lands in sdk/python).
python-venv:
	test -x $(VENV)/bin/python || python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r examples/python/requirements.txt
	rm -rf $(BIN)/sdk-python && cp -r sdk/python $(BIN)/sdk-python
	$(VENV)/bin/pip install -q --disable-pip-version-check --force-reinstall --no-deps $(BIN)/sdk-python

## examples-go: compile the Go example and its engine test, and the engine tests' Go shared-table
## stack (a cold build takes minutes: done here, not inside the engine tests' time limit).
examples-go:
	cd examples/go && go test -count=1 -run '^$$' .
	cd dev/tests/engine/sharedtable/go && go test -count=1 -run '^$$' .

## engine-deps: everything the engine tests and `make preview` need (the aws 7 stacks' too).
engine-deps: pulumi-cli provider standin-aws examples-ts python-venv examples-go yaml-host standin-aws7 engine-aws7-ts engine-aws7-python

## preview: regenerate and build the SDKs and the plugin, then run every example (Go, TypeScript,
## Python) through the engine on a throwaway local backend against the stand-in aws plugin:
## preview, up, a preview that must show no changes, a refresh and a preview after it (no changes
## either), one with an input changed, destroy.
preview: sdks engine-deps
	go test $(GOTEST_FLAGS) -tags engine -v -run 'StackThroughEngine' ./dev/tests/engine

## record-upgrade: deploy each example (Go, TypeScript, Python, YAML) through the engine against the
## stand-in with bin/'s plugin and write its state (`pulumi stack export`) to
## dev/tests/engine/testdata/upgrade/, which TestProviderUpgrade (make test) previews with every later
## build: no replace, no delete. Run it at each release, from the release's commit, and commit the
## result (CONTRIBUTING.md, "Breaking changes").
.PHONY: record-upgrade
record-upgrade: engine-deps
	go test $(GOTEST_FLAGS) -tags engine -v -run '^TestProviderUpgrade$$' ./dev/tests/engine -args -record-upgrade

# --- the local demo and the benchmark (dev/localbreaker) ----------------------
.PHONY: demo bench

## demo: one breaker end to end on this machine, no AWS account (about 90 s): requests through the
## real definition while a demo downstream fails and recovers; prints the circuit's timeline and a
## summary and draws docs/demo.png (SHADOW=1: the breaker in shadow mode, docs/demo-shadow.png). docs/demo.md says what is real and what is simulated.
demo: deps
	go run ./dev/cmd/demo $(if $(SHADOW),-shadow -png docs/demo-shadow.png,-png docs/demo.png)

## bench: one outage replayed through the real definition beside a model of the original module,
## and the cost per request of each path (about 2 minutes); prints the report, writes docs/bench.md.
bench: deps
	go test $(GOTEST_FLAGS) -tags emulators -run '^$$' -bench Outage -benchtime 1x -timeout 20m ./dev/bench -args -report $(ROOT)/docs/bench.md

# --- fidelity: the real Terraform AWS provider against moto (dev/tests/fidelity) -------
# Not part of `make test`: a cold build of the provider takes about 47 min and 12 GB of memory
# (about 12 GB of caches). Run it before resolving a fidelity issue and after any change to the
# resource graph; docs/fidelity.md says what it checks and what it cannot.
FIDELITY_DIR   ?= $(HOME)/.cache/cb-fidelity

.PHONY: fidelity fidelity-deps

## fidelity-deps: the provider, the bridge (dev/tests/fidelity/awsbridge), the hook and moto.
fidelity-deps: deps engine-deps
	@mkdir -p $(FIDELITY_DIR)/bin $(FIDELITY_DIR)/run
	@test -x $(FIDELITY_DIR)/bin/terraform-provider-aws || { echo "building the Terraform AWS provider $(TF_AWS_VERSION) (cold: ~47 min, ~12 GB of memory)"; \
		GOBIN=$(FIDELITY_DIR)/bin GOFLAGS=-trimpath go install github.com/hashicorp/terraform-provider-aws@$(TF_AWS_VERSION); }
	@# The engine kills plugins with SIGKILL, which would orphan the provider process the bridge
	@# starts: the wrapper makes the kernel kill it with its parent.
	@printf '#!/bin/sh\nexec setpriv --pdeathsig KILL %s "$$@"\n' $(FIDELITY_DIR)/bin/terraform-provider-aws > $(FIDELITY_DIR)/run/terraform-provider-aws
	@chmod +x $(FIDELITY_DIR)/run/terraform-provider-aws
	cd dev/tests/fidelity/awsbridge && go build -o $(FIDELITY_DIR)/bin/pulumi-resource-aws .
	go build -o $(FIDELITY_DIR)/bin/hook ./dev/tests/fidelity/hook
	test -x $(FIDELITY_DIR)/venv/bin/python || python3 -m venv $(FIDELITY_DIR)/venv
	$(FIDELITY_DIR)/venv/bin/pip install -q --disable-pip-version-check 'moto[server]==$(MOTO_VERSION)' 'cbor2==$(CBOR2_VERSION)'

## fidelity: every engine test (Go, TypeScript, Python, the shared table) through the real provider
## and moto: preview, up, the closed path in moto, a preview with no changes, one input changed,
## destroy, nothing left; the previews' AWS calls against docs/limits.md's preview policy.
fidelity: fidelity-deps
	CIRCUITBREAKER_FIDELITY_DIR=$(FIDELITY_DIR) go test -count=1 -tags engine -v -timeout 150m -parallel 2 -run 'ThroughEngine' ./dev/tests/engine 2>&1 | tee $(FIDELITY_DIR)/last-run.log; exit $${PIPESTATUS[0]}

# --- Pulumi YAML (examples/yaml, dev/tests/engine/yaml_test.go) -----------------------
# The one language host that builds from Go modules here (the go, nodejs and python hosts' modules
# are refused); a released CLI ships it.

.PHONY: yaml-host

## yaml-host: bin/pulumi-language-yaml, the Pulumi YAML language host, so that the engine tests run
## examples/yaml as a real project. The engine finds it next to bin/pulumi (it counts as bundled:
## `pulumi plugin install language yaml` refuses it) or on PATH.
yaml-host: $(BIN)/pulumi-language-yaml

$(BIN)/pulumi-language-yaml:
	GOBIN=$(BIN) go install github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml@$(PULUMI_YAML_VERSION)


# --- releases (dist/), the version check, the workflows' lint -------------------------
# docs/releasing.md says how a release is cut; .github/workflows/release.yml runs these targets.
DIST           ?= $(ROOT)/dist
# Every os-arch pair the Pulumi CLI downloads plugins for: PluginDescriptor.Download in
# github.com/pulumi/pulumi/sdk/v3@v3.274.1 go/common/workspace/plugins.go maps runtime.GOOS to
# darwin|linux|windows and runtime.GOARCH to amd64|arm64 and refuses anything else.
DIST_PLATFORMS ?= linux-amd64 linux-arm64 darwin-amd64 darwin-arm64 windows-amd64 windows-arm64
# The SDKs of a release are generated at its VERSION here, never in sdk/: `make dist VERSION=x`
# leaves every committed file as it was (check-schema and check-sdks stay green).
RELEASE_WORK   := $(BIN)/release-work
BUILD_VENV     := $(BIN)/build-venv
# test-dist's version: not the committed one, so the test proves VERSION reaches the plugin,
# the npm SDK and the wheel, and that the SDK asks the engine for exactly that plugin.
TEST_DIST_VERSION  := 9.8.7
TEST_DIST_DIR      := $(BIN)/dist-test
# Reproducible tarballs: every file's time is the last commit's.
SOURCE_DATE_EPOCH  ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
export SOURCE_DATE_EPOCH

.PHONY: dist dist-circuitctl check-dist-version check-versions print-version test-dist lint-workflows

## dist: a release in dist/ (VERSION=x.y.z): the plugin tarballs pulumi-resource-circuitbreaker-
## v<VERSION>-<os>-<arch>.tar.gz, the asset name the CLI looks for under pluginDownloadURL (the
## same plugins.go, standardAssetName), the packed npm SDK (.tgz), the Python sdist and wheel, and
## pulumi-circuitbreaker_<VERSION>_checksums.txt (sha256sum format) over all of them.
dist: check-dist-version lambdas sdk-nodejs $(BUILD_VENV)/.installed
	rm -rf $(DIST) $(RELEASE_WORK) && mkdir -p $(DIST) $(RELEASE_WORK)
	@for p in $(DIST_PLATFORMS); do \
	  os=$${p%-*}; arch=$${p#*-}; exe=$(PROVIDER); if [ $$os = windows ]; then exe=$$exe.exe; fi; \
	  d=$(RELEASE_WORK)/plugin/$$p; mkdir -p $$d; echo "plugin $(VERSION) $$os/$$arch"; \
	  CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch go build -trimpath -ldflags "-s -w $(PLUGIN_LDFLAGS)" -o $$d/$$exe ./provider/cmd/$(PROVIDER) || exit 1; \
	  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@$(SOURCE_DATE_EPOCH) -C $$d -cf - $$exe | gzip -n > $(DIST)/$(PROVIDER)-v$(VERSION)-$$p.tar.gz || exit 1; \
	done
	@$(MAKE) --no-print-directory dist-circuitctl
	go run ./provider/cmd/schemagen -version $(VERSION) -out $(RELEASE_WORK)/schema.yaml
	go run ./dev/codegen/sdkgen -schema $(RELEASE_WORK)/schema.yaml -out $(RELEASE_WORK)/sdk -languages nodejs,python
	@# The release SDK's dependencies are sdk/nodejs's (same package.json but for the version).
	ln -s $(ROOT)/sdk/nodejs/node_modules $(RELEASE_WORK)/sdk/nodejs/node_modules
	cd $(RELEASE_WORK)/sdk/nodejs && npm run build && cp package.json README.md bin/ && cd bin && npm pack --silent --pack-destination $(DIST)
	cd $(RELEASE_WORK)/sdk/python && $(BUILD_VENV)/bin/python -m build --no-isolation --outdir $(DIST) . >$(RELEASE_WORK)/python-build.log || { cat $(RELEASE_WORK)/python-build.log; exit 1; }
	cd $(DIST) && sha256sum $$(ls | grep -v '_checksums\.txt$$' | sort) > pulumi-circuitbreaker_$(VERSION)_checksums.txt
	@ls -l $(DIST)

## dist-circuitctl: circuitctl-v<VERSION>-<os>-<arch>.tar.gz in dist/ for every DIST_PLATFORMS, one
## executable inside (circuitctl, circuitctl.exe on windows), static, stripped, reproducible like
## the plugin's. Their own tarballs: the plugin tarball must hold only the plugin the CLI installs.
## Part of dist (and so of its checksums file).
dist-circuitctl: check-dist-version
	@mkdir -p $(DIST)
	@for p in $(DIST_PLATFORMS); do \
	  os=$${p%-*}; arch=$${p#*-}; exe=circuitctl; if [ $$os = windows ]; then exe=$$exe.exe; fi; \
	  d=$(RELEASE_WORK)/circuitctl/$$p; mkdir -p $$d; echo "circuitctl $(VERSION) $$os/$$arch"; \
	  CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch go build -trimpath -ldflags "-s -w $(CIRCUITCTL_LDFLAGS)" -o $$d/$$exe ./cmd/circuitctl || exit 1; \
	  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@$(SOURCE_DATE_EPOCH) -C $$d -cf - $$exe | gzip -n > $(DIST)/circuitctl-v$(VERSION)-$$p.tar.gz || exit 1; \
	done

check-dist-version:
	@[[ "$(VERSION)" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$$ ]] || { echo "VERSION=$(VERSION) is not a semantic version x.y.z (no leading v)" >&2; exit 1; }

$(BUILD_VENV)/.installed:
	test -x $(BUILD_VENV)/bin/python || python3 -m venv $(BUILD_VENV)
	$(BUILD_VENV)/bin/pip install -q --disable-pip-version-check $(PY_BUILD_PINS)
	touch $@

## release-tag: tag vVERSION on a commit that adds the Lambda zips to HEAD (main never carries them;
## docs/releasing.md). Push the tag to release.
.PHONY: release-tag
release-tag: check-dist-version lambdas
	@test -z "$$(git status --porcelain)" || { echo "release-tag: the work tree is not clean" >&2; exit 1; }
	@head=$$(git rev-parse HEAD); \
	git add -f functions/artifacts/dist/*.zip && \
	git commit -q -m "Release v$(VERSION): the Lambda zips the plugin embeds, for builds from this tag" && \
	git tag -a v$(VERSION) -m v$(VERSION) && git reset -q --soft $$head && git reset -q && \
	echo "tagged v$(VERSION) on $$(git rev-parse v$(VERSION)^{commit}) (HEAD unchanged); push it: git push origin v$(VERSION)"

## print-version: the Makefile's VERSION (release.yml compares the tag with it).
print-version:
	@echo $(VERSION)

## ci-versions: versions.mk's CI pins as name=value lines, for the workflows' $$GITHUB_OUTPUT.
.PHONY: ci-versions
ci-versions:
	@printf 'node=%s\npython=%s\npulumi=%s\ntwine=%s\n' $(NODE_VERSION) $(PYTHON_VERSION) $(PULUMI_CLI_VERSION:v%=%) $(TWINE_VERSION)

## check-versions: fail when a committed file's version is not the Makefile's VERSION. The Go SDK
## has no version field of its own but registers its resources at the version baked into
## sdk/go/circuitbreaker/internal/pulumiUtilities.go, which must be the tag's (sdk/vX.Y.Z).
check-versions:
	@fail=0; check() { if [ "$$2" != "$(VERSION)" ]; then echo "$$1 has version '$$2', but the Makefile's VERSION is $(VERSION): $$3" >&2; fail=1; fi; }; \
	regen="run 'make sdks' and commit"; \
	check provider/provider.go "$$(sed -n 's/^var Version = "\(.*\)"$$/\1/p' provider/provider.go)" "set provider.Version's default (plugins built without -ldflags, e.g. by 'pulumi package add' from source, report it)"; \
	check cmd/circuitctl/main.go "$$(sed -n 's/^var Version = "\(.*\)"$$/\1/p' cmd/circuitctl/main.go)" "set circuitctl's Version default (a 'go install ./cmd/circuitctl' reports it)"; \
	check schema.yaml "$$(sed -n 's/^version: //p' schema.yaml)" "$$regen"; \
	check sdk/nodejs/package.json "$$(node -p 'require("./sdk/nodejs/package.json").version')" "$$regen"; \
	check "sdk/nodejs/package.json (pulumi.version)" "$$(node -p 'require("./sdk/nodejs/package.json").pulumi.version')" "$$regen"; \
	check sdk/python/pyproject.toml "$$(python3 -c 'import tomllib; print(tomllib.load(open("sdk/python/pyproject.toml","rb"))["project"]["version"])')" "$$regen"; \
	for f in sdk/python/pulumi_circuitbreaker/pulumi-plugin.json sdk/go/circuitbreaker/pulumi-plugin.json; do \
	  check $$f "$$(node -p "require('./$$f').version")" "$$regen"; done; \
	check sdk/go/circuitbreaker/internal/pulumiUtilities.go "$$(sed -n 's/.*semver.MustParse("\(.*\)").*/\1/p' sdk/go/circuitbreaker/internal/pulumiUtilities.go | sort -u | paste -sd,)" "$$regen"; \
	exit $$fail

## test-dist: a one-platform release at TEST_DIST_VERSION, installed as a user would (dev/tests/dist):
## `pulumi plugin install -f` of the tarball, `npm install` of the packed SDK into a scratch
## TypeScript stack and `pip install` of the wheel into a fresh virtualenv, then `pulumi preview` of
## each through the engine against the test-only stand-in aws plugin (bin/venv's pins: engine-deps).
## It also fails when that dist changed a tracked or untracked file of schema.yaml or sdk/.
test-dist: pulumi-cli standin-aws python-venv
	@generated() { git ls-files -co --exclude-standard -- schema.yaml sdk | sort | xargs sha256sum | sha256sum; }; \
	before=$$(generated) && \
	$(MAKE) --no-print-directory dist VERSION=$(TEST_DIST_VERSION) DIST=$(TEST_DIST_DIR) DIST_PLATFORMS=$$(go env GOOS)-$$(go env GOARCH) && \
	if [ "$$(generated)" != "$$before" ]; then echo "make dist VERSION=$(TEST_DIST_VERSION) changed schema.yaml or sdk/: it must generate the release's SDKs elsewhere" >&2; exit 1; fi
	CIRCUITBREAKER_DIST_DIR=$(TEST_DIST_DIR) CIRCUITBREAKER_DIST_VERSION=$(TEST_DIST_VERSION) go test $(GOTEST_FLAGS) -tags dist -v -run '^Test(Dist|CheckVersions)' ./dev/tests/dist

$(BIN)/actionlint:
	GOBIN=$(BIN) go install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION)

## lint-workflows: actionlint (built from Go modules) on .github/workflows. It runs shellcheck on
## run: scripts only where shellcheck is installed.
lint-workflows: $(BIN)/actionlint
	$(BIN)/actionlint -no-color .github/workflows/*.yml

# --- stacks on aws 7 (dev/tests/engine/aws7_test.go) ---------------------------------------
# Users install @pulumi/aws and pulumi-aws 7.x today, while the breaker's own children stay on
# aws 6.83.4 (the plugin's pulumi-aws sdk/v6); AWS7_VERSION is in versions.mk.
STANDIN_AWS7 := $(BIN)/standin-aws7
VENV_AWS7    := $(BIN)/venv-aws7

.PHONY: standin-aws7 engine-aws7-ts engine-aws7-python

## standin-aws7: the same TEST-ONLY stand-in, linked to answer as aws $(AWS7_VERSION) (GetPluginInfo,
## GetSchema), which the engine tests install beside the 6.83.4 one.
standin-aws7:
	go build -ldflags "-X github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/fakes/standinaws.Version=$(AWS7_VERSION)" \
		-o $(STANDIN_AWS7)/pulumi-resource-aws ./dev/fakes/standinaws/cmd/pulumi-resource-aws

## engine-aws7-ts: the TypeScript aws 7 stack's locked dependencies (@pulumi/aws $(AWS7_VERSION), the
## built SDK), compiled: tsc type-checks the v7 objects against the SDK.
engine-aws7-ts: sdk-nodejs
	cd dev/tests/engine/aws7/ts && npm ci --no-audit --no-fund && ./node_modules/.bin/tsc

## engine-aws7-python: bin/venv-aws7 with pulumi-aws $(AWS7_VERSION) and the generated Python SDK.
engine-aws7-python:
	test -x $(VENV_AWS7)/bin/python || python3 -m venv $(VENV_AWS7)
	$(VENV_AWS7)/bin/pip install -q --disable-pip-version-check -r dev/tests/engine/aws7/python/requirements.txt
	rm -rf $(BIN)/sdk-python-aws7 && cp -r sdk/python $(BIN)/sdk-python-aws7
	$(VENV_AWS7)/bin/pip install -q --disable-pip-version-check --force-reinstall --no-deps $(BIN)/sdk-python-aws7
	$(VENV_AWS7)/bin/pip check

