# etcd operator. `make help` lists the targets.
# The two commands a new machine needs:
#   make demo   bring up a local Kubernetes, deploy the operator, create a 3-member EtcdCluster
#   make test   unit and integration (envtest) tests

# The operator image, fully qualified: an unqualified name would resolve to docker.io on
# a real cluster. `make image` builds and imports it into the local cluster under this name.
IMG ?= quay.io/etcd-operator/etcd-operator:v0.1.0
# The default etcd image (the CRD's default repository and version), listed in the CSV's
# relatedImages with IMG so that mirroring tools copy both.
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
test: ## All tests: unit, alert rules (promtool), integration (envtest, embedded etcd), end-to-end and OLM install/upgrade (local cluster).
	@for t in test-unit test-alerts test-integration test-crd-min test-e2e test-olm; do \
		s=$$(date +%s); $(MAKE) --no-print-directory $$t || { echo "== $$t FAILED after $$(( $$(date +%s) - s ))s"; exit 1; }; \
		echo "== $$t took $$(( $$(date +%s) - s ))s"; \
	done

.PHONY: test-unit
test-unit: ## Unit tests of pure logic and golden chart renders.
	go test ./api/... ./internal/... -count=1

.PHONY: test-alerts
test-alerts: $(PROMTOOL) ## The alert rules checked and unit-tested by promtool (each fires, and stays quiet on a healthy cluster), each with a runbook.
	PROMTOOL=$(PROMTOOL) go test ./test/alerts/ -count=1 -v

.PHONY: test-integration
test-integration: $(ENVTEST_ASSETS) $(MONITORING_CRDS) $(ETCD_IMAGE_ETCDUTL) ## envtest suite: a real kube-apiserver and etcd, embedded etcd members.
	KUBEBUILDER_ASSETS=$(KUBEBUILDER_ASSETS) MONITORING_CRDS=$(MONITORING_CRDS) ETCDUTL=$(ETCD_IMAGE_ETCDUTL) go test ./test/integration/... -count=1 -timeout 20m -v

.PHONY: test-crd-min
test-crd-min: $(ENVTEST_MIN_ASSETS) $(MONITORING_CRDS) ## The CRD specs (install, defaults, every admission rule) on the oldest supported kube-apiserver.
	KUBEBUILDER_ASSETS=$(KUBEBUILDER_ASSETS_MIN) MONITORING_CRDS=$(MONITORING_CRDS) go test ./test/integration/... -count=1 -timeout 10m -v -ginkgo.label-filter=crd

.PHONY: test-e2e
test-e2e: ## End-to-end suite: local cluster up, operator built and deployed, real etcd checked through clientv3; prints the timings.
	hack/e2e.sh

.PHONY: bench
bench: $(ENVTEST_ASSETS) ## Benchmarks of the chart render, a no-op reconcile (with and without metrics), a scrape of 50 clusters and the certificate check of an unchanged TLS cluster.
	KUBEBUILDER_ASSETS=$(KUBEBUILDER_ASSETS) go test ./internal/chart/ ./internal/controller/ ./internal/metrics/ ./test/integration/ -run '^$$' -bench . -benchmem -count=1

SCALE_CLUSTERS ?= 10,100,1000
.PHONY: bench-scale
bench-scale: $(ENVTEST_ASSETS) ## One operator, many clusters: memory, goroutines, API and etcd traffic, reaction time per cluster count (SCALE_CLUSTERS=10,100,1000); not a pass/fail test.
	KUBEBUILDER_ASSETS=$(KUBEBUILDER_ASSETS) go run ./test/scale -clusters $(SCALE_CLUSTERS) $(SCALE_FLAGS)

##@ Bundle

.PHONY: chart-package
chart-package: $(HELM) ## helm lint --strict, then helm package the chart into _output/charts/.
	$(HELM) lint --strict helm-charts/etcd-cluster
	$(HELM) package helm-charts/etcd-cluster --destination _output/charts

# The OLM bundle: bundle/ and bundle.Dockerfile are generated from config/manifests (the CSV
# base, config/default, the samples, config/scorecard) and the API markers, then committed.
BUNDLE_VERSION ?= 0.1.0
BUNDLE_PACKAGE ?= etcd-operator
BUNDLE_CHANNELS ?= alpha
BUNDLE_DEFAULT_CHANNEL ?= alpha
# operator-sdk stamps the CSV's createdAt with the time of each run; it is pinned here so
# that regenerating an unchanged bundle changes nothing. Set it when releasing a version.
BUNDLE_CREATED_AT ?= 2026-11-27T00:00:00Z
# PROJECT's layout names both the Go and the Helm plugin, whose init commands define the same
# --domain flag: operator-sdk panics at start-up in this directory unless it is given the
# plugin chain. The bundle commands need only the Go one (it reads the API markers).
OPERATOR_SDK_GO = $(OPERATOR_SDK) --plugins go.kubebuilder.io/v4

# IMG becomes the Deployment's image (an images entry in config/manifests, keyed by the
# name config/manager gives it) and the CSV's containerImage annotation; IMG and ETCD_IMG
# are the CSV's relatedImages (operator-sdk would only take them from RELATED_IMAGE_* env
# vars of the Deployment, which the operator does not read).
.PHONY: bundle
bundle: generate $(KUSTOMIZE) $(OPERATOR_SDK) ## Regenerate the OLM bundle (bundle/, bundle.Dockerfile) for IMG.
	$(OPERATOR_SDK_GO) generate kustomize manifests -q
	cd config/manifests && $(KUSTOMIZE) edit set image quay.io/etcd-operator/etcd-operator=$(IMG)
	$(KUSTOMIZE) build config/manifests | $(OPERATOR_SDK_GO) generate bundle -q --overwrite \
		--version $(BUNDLE_VERSION) --package $(BUNDLE_PACKAGE) \
		--channels $(BUNDLE_CHANNELS) --default-channel $(BUNDLE_DEFAULT_CHANNEL)
	sed -i -E -e 's|^(    createdAt: ).*|\1"$(BUNDLE_CREATED_AT)"|' -e 's|^(    containerImage: ).*|\1$(IMG)|' \
		-e '/^  version: /i\  relatedImages:\n  - image: $(IMG)\n    name: etcd-operator\n  - image: $(ETCD_IMG)\n    name: etcd' \
		bundle/manifests/$(BUNDLE_PACKAGE).clusterserviceversion.yaml
	@[[ $$(grep -c '^  relatedImages:' bundle/manifests/$(BUNDLE_PACKAGE).clusterserviceversion.yaml) == 1 ]] \
		|| { echo "bundle: the CSV must have one spec.relatedImages" >&2; exit 1; }

.PHONY: bundle-validate
bundle-validate: $(OPERATOR_SDK) ## Validate bundle/ with the operatorframework suite; warnings fail too.
	@out=$$($(OPERATOR_SDK_GO) bundle validate ./bundle --select-optional suite=operatorframework 2>&1) \
		|| { echo "$$out"; exit 1; }; \
	echo "$$out"; \
	if grep -Eq '^(WARN|ERRO)|level=(warning|error)' <<<"$$out"; then echo "bundle-validate: fix the warnings above" >&2; exit 1; fi

##@ OLM (hack/olm/README.md)

.PHONY: scorecard
scorecard: ## operator-sdk scorecard on bundle/ in the local cluster (its own namespace); all tests must pass.
	hack/olm/scorecard.sh

.PHONY: olm-install
olm-install: ## Install OLM v0.33.0 on the local cluster, offline (idempotent).
	hack/olm/install.sh

.PHONY: olm-uninstall
olm-uninstall: ## Remove OLM (and every operator it installed) from the local cluster.
	hack/olm/install.sh --uninstall

.PHONY: test-olm
test-olm: ## OLM suite (test/olm): catalog, Subscription, the 3-member sample, upgrade to 0.1.1; prints the timings.
	hack/olm/test.sh
