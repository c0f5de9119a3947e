# etcd operator. `make help` lists the targets.
# The two commands a new machine needs:
#   make demo   bring up a local Kubernetes, deploy the operator, create a 3-member EtcdCluster
#   make test   unit and integration (envtest) tests

IMG ?= etcd-operator:v0.1.0
ETCD_IMG ?= quay.io/coreos/etcd:v3.7.3
export GOFLAGS ?= -buildvcs=false
SHELL := /usr/bin/env bash -o pipefail
.SHELLFLAGS := -ec

include hack/tools.mk

.PHONY: help
help: ## Show the targets.
	@awk 'BEGIN {FS = ":.*##"} /^[a-zA-Z0-9_-]+:.*##/ {printf "  %-20s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

##@ Development

.PHONY: generate
generate: $(CONTROLLER_GEN) ## Generate deepcopy code, the CRD and RBAC from markers.
	$(CONTROLLER_GEN) object paths=./api/...
	$(CONTROLLER_GEN) crd rbac:roleName=manager-role paths=./... output:crd:artifacts:config=config/crd/bases output:rbac:artifacts:config=config/rbac

.PHONY: fmt
fmt: ## gofmt the code.
	gofmt -l -w api cmd internal test

.PHONY: vet
vet: ## go vet.
	go vet ./...

.PHONY: lint
lint: $(GOLANGCI_LINT) $(HELM) ## golangci-lint and helm lint --strict.
	$(GOLANGCI_LINT) run ./...
	$(HELM) lint --strict helm-charts/etcd-cluster

.PHONY: verify-generated
verify-generated: generate ## Fail when generated files are stale.
	@git diff --exit-code -- api config || { echo "generated files are stale: run make generate and commit"; exit 1; }

.PHONY: build
build: ## Build the manager binary.
	CGO_ENABLED=0 go build -trimpath -o bin/manager ./cmd

.PHONY: run
run: ## Run the operator against the current kubeconfig.
	go run ./cmd --watches-file=watches.yaml

##@ Local cluster and demo

.PHONY: demo
demo: ## Local Kubernetes, the operator deployed from config/default, a 3-member EtcdCluster shown Running.
	hack/demo.sh

.PHONY: cluster-up
cluster-up: ## Bring up the local single-node Kubernetes (root; idempotent).
	hack/local-cluster/up.sh

.PHONY: cluster-down
cluster-down: ## Stop the local cluster and remove what cluster-up added.
	hack/local-cluster/down.sh

.PHONY: image
image: ## Build the operator image without Docker and import it into the local cluster.
	hack/operator-image.sh $(IMG)

.PHONY: deploy
deploy: $(KUSTOMIZE) ## Apply config/default to the current cluster.
	$(KUSTOMIZE) build config/default | $(KUBECTL) apply --server-side --force-conflicts -f -

.PHONY: undeploy
undeploy: $(KUSTOMIZE) ## Delete what deploy applied.
	$(KUSTOMIZE) build config/default | $(KUBECTL) delete --ignore-not-found -f -

##@ Tests

.PHONY: test
test: test-unit test-integration ## All tests: unit and integration (envtest with embedded etcd).

.PHONY: test-unit
test-unit: ## Unit tests of pure logic and golden chart renders.
	go test ./api/... ./internal/... -count=1

.PHONY: test-integration
test-integration: $(ENVTEST_ASSETS) ## envtest suite: a real kube-apiserver and etcd, embedded etcd members.
	KUBEBUILDER_ASSETS=$(KUBEBUILDER_ASSETS) go test ./test/integration/... -count=1 -timeout 20m -v

.PHONY: bench
bench: $(ENVTEST_ASSETS) ## Benchmarks of the chart render and a no-op reconcile (prints ns/op and allocs/op).
	KUBEBUILDER_ASSETS=$(KUBEBUILDER_ASSETS) go test ./internal/chart/ ./test/integration/ -run '^$$' -bench . -benchmem -count=1
