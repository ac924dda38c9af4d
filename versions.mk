# Every pinned tool version, in one place (included by the Makefile; the workflows read the
# CI pins with `make -s ci-versions`). The Go toolchain is go.mod's; Go modules are go.sum's.
# Pulumi CLI: built from dev/tools/pulumi's go.mod (which must require this version) or installed in CI.
PULUMI_CLI_VERSION  := v3.274.1
# Pulumi YAML language host: builds with sdk/v3 v3.206.0 and speaks to the v3.274.1 engine.
PULUMI_YAML_VERSION := v1.25.0
# The Lambda Runtime Interface Emulator has no tags; this pseudo-version is pinned.
RIE_VERSION         := v0.0.0-20261030222936-bef5c4ba774d
# moto (Apache-2.0), for the tests (bin/moto) and make fidelity; cbor2 for make fidelity's server.
MOTO_VERSION        := 5.2.5
CBOR2_VERSION       := 6.3.0
# The peer make bench measures beside us (issue 18): Powertools for AWS Lambda (Python), with the
# boto3 and botocore its DynamoDB persistence runs on (bin/peer; dev/bench/peer.go's PeerVersion).
POWERTOOLS_VERSION  := 3.37.0
BOTO3_VERSION       := 1.44.5
BOTOCORE_VERSION    := 1.44.18
ACTIONLINT_VERSION  := v1.7.12
# The Terraform AWS provider as the Go module proxy serves it (6.x line; no tags are served).
TF_AWS_VERSION      := v1.60.1-0.20260602190131-5f2286d6d836
# pulumi-aws 7.x for the engine tests' aws 7 stacks: the newest 7.x both registries serve.
AWS7_VERSION        := 7.48.0
# Pinned so the Python sdist and wheel build offline (--no-isolation) once the venv exists.
PY_BUILD_PINS       := build==1.2.2.post1 setuptools==80.9.0 wheel==0.45.1
TWINE_VERSION       := 6.1.0
# CI's runtimes (.github/workflows/*.yml read them through ci-versions).
NODE_VERSION        := 20
PYTHON_VERSION      := 3.11
