# hack/tools.mk: pinned developer tools, built once from the Go module proxy into
# bin/<tool>-<version>/ and never rebuilt while the file is there.
#
#   include hack/tools.mk              from the top-level Makefile
#   make -f hack/tools.mk helm         standalone
#
# Phony targets (each prints on stdout the absolute path it provides; progress
# messages go to stderr):
#   controller-gen     $(CONTROLLER_GEN)
#   helm               $(HELM)
#   envtest-assets     $(KUBEBUILDER_ASSETS): kube-apiserver, kubectl, etcd (symlinks)
#   kube-binaries      $(KUBE_BIN_DIR): kube-apiserver, kube-controller-manager,
#                      kube-scheduler, kubelet, kube-proxy, kubectl
#   etcd-image-binary  $(ETCD_IMAGE_BIN) (static etcd of the product's default version)
#                      and $(ETCD_IMAGE_ETCDCTL)
#   golangci-lint      $(GOLANGCI_LINT)
#   kustomize          $(KUSTOMIZE)
#   crane              $(CRANE)
#   operator-sdk       $(OPERATOR_SDK)
#   scorecard-test     $(SCORECARD_TEST_IMAGE_TAR): image $(SCORECARD_TEST_IMAGE) of
#                      $(SCORECARD_TEST) (operator-sdk's images/scorecard-test)
#   scorecard-untar    $(SCORECARD_UNTAR_IMAGE_TAR): image $(SCORECARD_UNTAR_IMAGE)
#                      (operator-sdk scorecard --untar-image) of $(SCORECARD_UNTAR)
#   opm                $(OPM)
#   opm-image          $(OPM_IMAGE_TAR): image $(OPM_IMAGE) of $(OPM) and
#                      $(GRPC_HEALTH_PROBE)
#   olm                $(OLM_BIN_DIR): olm, catalog, package-server, copy-content, cpb, cp;
#                      $(OLM_IMAGE_TAR) (image $(OLM_IMAGE)) and
#                      $(OLM_MANIFESTS_DIR)/{crds,olm}.yaml (offline install manifests)
#   registry           $(DISTRIBUTION_REGISTRY) (distribution's registry, for loopback)
#   promtool           $(PROMTOOL)
#   prometheus         $(PROMETHEUS)
#   seaweedfs          $(SEAWEEDFS)
#   monitoring-crds    $(MONITORING_CRDS) (prometheus-operator's CRDs, one file)
#   olm-tools          scorecard-test, scorecard-untar, opm-image, olm and registry
#   tools-all          all of the above, one after the other
#   tools-paths        print VAR=path (or VAR=image) for every tool variable, building nothing
#                      (shell-sourceable; the default goal when run standalone)
#
# Image tarballs ("docker save" layout, for `ctr images import` or `crane push`) are
# built by hack/olm/build-image.sh with hack/local-cluster/imgtool: static binaries on
# a minimal root, no Docker, no base image. hack/olm/images.sh lists them (tag and
# tarball) and hack/olm/install.sh imports them into the local cluster and installs OLM.
#
# In the main Makefile, make targets depend on the files ($(HELM),
# $(CONTROLLER_GEN), $(ENVTEST_ASSETS), ...) rather than on the phony names. The files
# have no prerequisites (image tarballs only order-only ones: their binaries), so make
# never rebuilds one that exists. Every version and path
# below is a `?=` variable: override it on the command line, in the environment, or in
# the main Makefile before the include.
#
# Upgrading a tool: change its version here. Kubernetes and etcd are built from small
# modules under hack/tools/ whose go.mod pins the version as well:
#   hack/tools/kubernetes/update.sh v1.Y.Z
#   hack/tools/etcd, hack/tools/etcd37: edit the two etcd versions in go.mod, then run
#   `GOWORK=off go mod tidy` in that directory.
#   hack/tools/operator-sdk: edit the operator-sdk version in go.mod, then run
#   `GOWORK=off go mod tidy` in that directory (scorecard-test comes from it too).
#   hack/tools/opm: the same with the operator-registry version (OPM_VERSION); set
#   GRPC_HEALTH_PROBE_VERSION to the grpc-health-probe version that go.mod then has.
#   hack/tools/olm: the same with the OLM version (OLM_VERSION, OLM_GIT_COMMIT), and
#   copy the replace lines of OLM's own go.mod.
# The build stops with a message if tools.mk and the module disagree.
#
# Builds run one at a time (a lock in build.sh), with CGO_ENABLED=0, GOWORK=off and
# an empty GOFLAGS so the main module's settings do not leak in.

# Must stay before any other include: the directory of this file.
TOOLS_MK_DIR := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
# Including this file must not change the includer's default goal (restored at the end).
tools_standalone := $(if $(filter 1,$(words $(MAKEFILE_LIST))),true)
tools_saved_default_goal := $(.DEFAULT_GOAL)
TOOLS_ROOT_DIR := $(patsubst %/,%,$(dir $(TOOLS_MK_DIR)))
TOOLS_MODULES_DIR := $(TOOLS_MK_DIR)/tools
# Built tools live outside the checkout, in a machine-wide cache keyed by each tool's
# version (and a hash of its module where it is ours), so that a fresh clone on the same
# machine (CI's) reuses them instead of rebuilding Kubernetes, OLM and operator-sdk.
# hack/local-cluster/lib.sh uses the same directory (LC_BIN).
ETCD_OPERATOR_TOOLS_CACHE ?= $(if $(filter 0,$(shell id -u)),/var/cache/etcd-operator-tools,$(HOME)/.cache/etcd-operator-tools)
TOOLS_BIN_DIR ?= $(ETCD_OPERATOR_TOOLS_CACHE)

GO ?= go
TOOLS_CGO_ENABLED ?= 0
# Environment of every tool build (inside the build command, after build.sh set TOOLS_OUT).
TOOLS_GO = GOWORK=off GOFLAGS= CGO_ENABLED=$(TOOLS_CGO_ENABLED) $(GO)
TOOLS_BUILD = TOOLS_LOCK_FILE=$(TOOLS_BIN_DIR)/.tools-build.lock $(TOOLS_MODULES_DIR)/build.sh

# $(call tools-require-module,<module dir>,<module path>,<version>,<how to fix>)
# Fails unless <module dir>/go.mod requires <module path> at exactly <version>.
tools-require-module = grep -Eq '^[[:space:]]*(require[[:space:]]+)?$(2)[[:space:]]+$(3)([[:space:]]|$$)' $(1)/go.mod \
	|| { echo "hack/tools.mk: $(1)/go.mod does not require $(2) $(3); $(4)" >&2; exit 1; }

##@ Tools

# --- controller-gen ------------------------------------------------------------------
CONTROLLER_GEN_VERSION ?= v0.23.0
CONTROLLER_GEN ?= $(TOOLS_BIN_DIR)/controller-gen-$(CONTROLLER_GEN_VERSION)/controller-gen

$(CONTROLLER_GEN):
	@$(TOOLS_BUILD) $@ "controller-gen $(CONTROLLER_GEN_VERSION) (one-time, ~1 min)" \
		'GOBIN=$$TOOLS_OUT $(TOOLS_GO) install -trimpath -ldflags "-s -w" \
		sigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_GEN_VERSION)'

.PHONY: controller-gen
controller-gen: $(CONTROLLER_GEN) ## Build controller-gen into bin/ (once) and print its path.
	@echo $(CONTROLLER_GEN)

# --- helm ----------------------------------------------------------------------------
HELM_VERSION ?= v3.22.0
# Kubernetes version that `helm template` and `helm lint` assume without a cluster.
# Helm's release build derives it from its k8s.io/client-go (v0.37 -> 1.37).
HELM_K8S_MAJOR ?= 1
HELM_K8S_MINOR ?= 37
HELM ?= $(TOOLS_BIN_DIR)/helm-$(HELM_VERSION)/helm
HELM_LDFLAGS = -s -w \
	-X helm.sh/helm/v3/internal/version.version=$(HELM_VERSION) \
	-X helm.sh/helm/v3/internal/version.gitTreeState=clean \
	-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=$(HELM_K8S_MAJOR) \
	-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$(HELM_K8S_MINOR) \
	-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=$(HELM_K8S_MAJOR) \
	-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$(HELM_K8S_MINOR)

$(HELM):
	@$(TOOLS_BUILD) $@ "helm $(HELM_VERSION) (one-time, ~1.5 min)" \
		'GOBIN=$$TOOLS_OUT $(TOOLS_GO) install -trimpath -ldflags "$(HELM_LDFLAGS)" \
		helm.sh/helm/v3/cmd/helm@$(HELM_VERSION)'

.PHONY: helm
helm: $(HELM) ## Build helm into bin/ (once) and print its path.
	@echo $(HELM)

# --- Kubernetes binaries (hack/tools/kubernetes) -------------------------------------
KUBE_VERSION ?= v1.37.2
KUBE_MODULE_DIR ?= $(TOOLS_MODULES_DIR)/kubernetes
KUBE_BIN_DIR ?= $(TOOLS_BIN_DIR)/kube-$(KUBE_VERSION)
KUBE_APISERVER ?= $(KUBE_BIN_DIR)/kube-apiserver
KUBECTL ?= $(KUBE_BIN_DIR)/kubectl
# kube-apiserver and kubectl come first: the envtest assets need only those two.
KUBE_BINARY_NAMES := kube-apiserver kubectl kube-controller-manager kube-scheduler kubelet kube-proxy
KUBE_BINARIES := $(addprefix $(KUBE_BIN_DIR)/,$(KUBE_BINARY_NAMES))

tools_kube_semver = $(subst ., ,$(patsubst v%,%,$(KUBE_VERSION)))
# What hack/lib/version.sh sets in a release build, so `--version` prints KUBE_VERSION.
KUBE_LDFLAGS = -s -w $(foreach pkg,k8s.io/component-base/version k8s.io/client-go/pkg/version, \
	-X $(pkg).gitVersion=$(KUBE_VERSION) \
	-X $(pkg).gitMajor=$(word 1,$(tools_kube_semver)) \
	-X $(pkg).gitMinor=$(word 2,$(tools_kube_semver)))

$(KUBE_BINARIES): $(KUBE_BIN_DIR)/%:
	@$(call tools-require-module,$(KUBE_MODULE_DIR),k8s.io/kubernetes,$(KUBE_VERSION),run hack/tools/kubernetes/update.sh $(KUBE_VERSION))
	@$(TOOLS_BUILD) $@ "$* $(KUBE_VERSION) (one-time, $(if $(filter kube-apiserver,$*),~5-8 min: it compiles most of the shared code,~1-2 min))" \
		'cd $(KUBE_MODULE_DIR) && $(TOOLS_GO) build -buildvcs=false -trimpath \
		-ldflags "$(strip $(KUBE_LDFLAGS))" -o $$TOOLS_OUT/$* k8s.io/kubernetes/cmd/$*'

.PHONY: kube-binaries
kube-binaries: $(KUBE_BINARIES) ## Build the six Kubernetes binaries into bin/ (once) and print their directory.
	@echo $(KUBE_BIN_DIR)

# --- the oldest Kubernetes the CRD supports (hack/tools/kubernetes-min) --------------
# The CRD's version rules use CEL's semver functions, which kube-apiserver has from
# 1.33, and accepts in a new CRD only from 1.34 (CEL libraries reach new expressions one
# release after they are introduced): the integration suite's CRD specs run on this kube-apiserver too.
KUBE_MIN_VERSION ?= v1.34.4
KUBE_MIN_MODULE_DIR ?= $(TOOLS_MODULES_DIR)/kubernetes-min
KUBE_MIN_APISERVER ?= $(TOOLS_BIN_DIR)/kube-$(KUBE_MIN_VERSION)/kube-apiserver
tools_kube_min_semver = $(subst ., ,$(patsubst v%,%,$(KUBE_MIN_VERSION)))
KUBE_MIN_LDFLAGS = -s -w $(foreach pkg,k8s.io/component-base/version k8s.io/client-go/pkg/version, \
	-X $(pkg).gitVersion=$(KUBE_MIN_VERSION) \
	-X $(pkg).gitMajor=$(word 1,$(tools_kube_min_semver)) \
	-X $(pkg).gitMinor=$(word 2,$(tools_kube_min_semver)))

$(KUBE_MIN_APISERVER):
	@$(call tools-require-module,$(KUBE_MIN_MODULE_DIR),k8s.io/kubernetes,$(KUBE_MIN_VERSION),run hack/tools/kubernetes/update.sh $(KUBE_MIN_VERSION) hack/tools/kubernetes-min)
	@$(TOOLS_BUILD) $@ "kube-apiserver $(KUBE_MIN_VERSION) (one-time, ~5-8 min)" \
		'cd $(KUBE_MIN_MODULE_DIR) && $(TOOLS_GO) build -buildvcs=false -trimpath \
		-ldflags "$(strip $(KUBE_MIN_LDFLAGS))" -o $$TOOLS_OUT/kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver'

# --- etcd (hack/tools/etcd: envtest and tests; hack/tools/etcd37: the product's image) ---
ETCD_VERSION ?= v3.6.16
ETCD_MODULE_DIR ?= $(TOOLS_MODULES_DIR)/etcd
ETCD_DIR ?= $(TOOLS_BIN_DIR)/etcd-$(ETCD_VERSION)
ETCD_BIN ?= $(ETCD_DIR)/etcd
ETCDCTL ?= $(ETCD_DIR)/etcdctl

ETCD_IMAGE_VERSION ?= v3.7.3
ETCD_IMAGE_MODULE_DIR ?= $(TOOLS_MODULES_DIR)/etcd37
ETCD_IMAGE_DIR ?= $(TOOLS_BIN_DIR)/etcd-$(ETCD_IMAGE_VERSION)
ETCD_IMAGE_BIN ?= $(ETCD_IMAGE_DIR)/etcd
ETCD_IMAGE_ETCDCTL ?= $(ETCD_IMAGE_DIR)/etcdctl
# etcdutl restores snapshots (spec.bootstrap); upstream images carry it, and so does the
# local image of the product's version.
ETCD_IMAGE_ETCDUTL ?= $(ETCD_IMAGE_DIR)/etcdutl

# etcd 3.5 for the e2e suite: its new members join from the raft log, where 3.6 and later
# send a snapshot (see README, "Why adding a member takes about 9 s").
ETCD35_VERSION ?= v3.5.21
ETCD35_MODULE_DIR ?= $(TOOLS_MODULES_DIR)/etcd35
ETCD35_DIR ?= $(TOOLS_BIN_DIR)/etcd-$(ETCD35_VERSION)
ETCD35_BIN ?= $(ETCD35_DIR)/etcd
ETCD35_ETCDCTL ?= $(ETCD35_DIR)/etcdctl

# etcd 3.5.32, the 3.5 floor before 3.6 (internal/upgrade): the first step of the e2e
# upgrade path 3.5.21 -> 3.5.32 -> 3.6.16 -> 3.7.3. The module proxy serves its server
# but not its etcdctl: the image carries etcdctl $(ETCD35_VERSION), which speaks to it.
ETCD35_FLOOR_VERSION ?= v3.5.32
ETCD35_FLOOR_MODULE_DIR ?= $(TOOLS_MODULES_DIR)/etcd3532
ETCD35_FLOOR_DIR ?= $(TOOLS_BIN_DIR)/etcd-$(ETCD35_FLOOR_VERSION)
ETCD35_FLOOR_BIN ?= $(ETCD35_FLOOR_DIR)/etcd
ETCD35_FLOOR_ETCDCTL ?= $(ETCD35_FLOOR_DIR)/etcdctl

$(ETCD35_FLOOR_BIN): tools_etcd_version = $(ETCD35_FLOOR_VERSION)
$(ETCD35_FLOOR_BIN): tools_etcd_module = $(ETCD35_FLOOR_MODULE_DIR)
$(ETCD35_FLOOR_ETCDCTL): $(ETCD35_ETCDCTL)
	@$(TOOLS_BUILD) $@ "etcdctl $(ETCD35_VERSION) for the etcd $(ETCD35_FLOOR_VERSION) image" 'cp $(ETCD35_ETCDCTL) $$TOOLS_OUT/etcdctl'
$(ETCD35_BIN) $(ETCD35_ETCDCTL): tools_etcd_version = $(ETCD35_VERSION)
$(ETCD35_BIN) $(ETCD35_ETCDCTL): tools_etcd_module = $(ETCD35_MODULE_DIR)
$(ETCD_BIN) $(ETCDCTL): tools_etcd_version = $(ETCD_VERSION)
$(ETCD_BIN) $(ETCDCTL): tools_etcd_module = $(ETCD_MODULE_DIR)
$(ETCD_IMAGE_BIN) $(ETCD_IMAGE_ETCDCTL) $(ETCD_IMAGE_ETCDUTL): tools_etcd_version = $(ETCD_IMAGE_VERSION)
$(ETCD_IMAGE_BIN) $(ETCD_IMAGE_ETCDCTL) $(ETCD_IMAGE_ETCDUTL): tools_etcd_module = $(ETCD_IMAGE_MODULE_DIR)

tools_etcd_check = $(call tools-require-module,$(tools_etcd_module),go.etcd.io/etcd/server/v3,$(tools_etcd_version),update $(tools_etcd_module)/go.mod (see hack/tools.mk))

# etcd: the module's own main package (a call to etcdmain.Main).
$(ETCD_BIN) $(ETCD_IMAGE_BIN) $(ETCD35_BIN) $(ETCD35_FLOOR_BIN):
	@$(tools_etcd_check)
	@$(TOOLS_BUILD) $@ "etcd $(tools_etcd_version) (one-time, ~1 min)" \
		'cd $(tools_etcd_module) && $(TOOLS_GO) build -buildvcs=false -trimpath -ldflags "-s -w" \
		-o $$TOOLS_OUT/etcd .'

$(ETCDCTL) $(ETCD_IMAGE_ETCDCTL) $(ETCD35_ETCDCTL):
	@$(tools_etcd_check)
	@$(TOOLS_BUILD) $@ "etcdctl $(tools_etcd_version) (one-time, ~10 s)" \
		'cd $(tools_etcd_module) && $(TOOLS_GO) build -buildvcs=false -trimpath -ldflags "-s -w" \
		-o $$TOOLS_OUT/etcdctl go.etcd.io/etcd/etcdctl/v3'

$(ETCD_IMAGE_ETCDUTL):
	@$(tools_etcd_check)
	@$(TOOLS_BUILD) $@ "etcdutl $(tools_etcd_version) (one-time, ~10 s)" \
		'cd $(tools_etcd_module) && $(TOOLS_GO) build -buildvcs=false -trimpath -ldflags "-s -w" \
		-o $$TOOLS_OUT/etcdutl go.etcd.io/etcd/etcdutl/v3'

.PHONY: etcd-image-binary
etcd-image-binary: $(ETCD_IMAGE_BIN) $(ETCD_IMAGE_ETCDCTL) $(ETCD_IMAGE_ETCDUTL) $(ETCD35_BIN) $(ETCD35_ETCDCTL) $(ETCD35_FLOOR_BIN) $(ETCD35_FLOOR_ETCDCTL) ## Build the static etcd (and etcdctl) of the product's default version, and of 3.5 for the e2e suite; print the default's etcd path.
	@echo $(ETCD_IMAGE_BIN)

# --- envtest assets (KUBEBUILDER_ASSETS) ---------------------------------------------
ENVTEST_K8S_VERSION ?= $(patsubst v%,%,$(KUBE_VERSION))
KUBEBUILDER_ASSETS ?= $(TOOLS_BIN_DIR)/envtest-$(ENVTEST_K8S_VERSION)
ENVTEST_ASSETS := $(KUBEBUILDER_ASSETS)/kube-apiserver $(KUBEBUILDER_ASSETS)/kubectl $(KUBEBUILDER_ASSETS)/etcd

$(KUBEBUILDER_ASSETS)/kube-apiserver: $(KUBE_APISERVER)
$(KUBEBUILDER_ASSETS)/kubectl: $(KUBECTL)
$(KUBEBUILDER_ASSETS)/etcd: $(ETCD_BIN)
$(ENVTEST_ASSETS):
	@mkdir -p $(@D)
	@ln -sfr $< $@

# envtest assets on the oldest supported kube-apiserver (same etcd and kubectl).
KUBEBUILDER_ASSETS_MIN ?= $(TOOLS_BIN_DIR)/envtest-$(patsubst v%,%,$(KUBE_MIN_VERSION))
ENVTEST_MIN_ASSETS := $(KUBEBUILDER_ASSETS_MIN)/kube-apiserver $(KUBEBUILDER_ASSETS_MIN)/kubectl $(KUBEBUILDER_ASSETS_MIN)/etcd
$(KUBEBUILDER_ASSETS_MIN)/kube-apiserver: $(KUBE_MIN_APISERVER)
$(KUBEBUILDER_ASSETS_MIN)/kubectl: $(KUBECTL)
$(KUBEBUILDER_ASSETS_MIN)/etcd: $(ETCD_BIN)
$(ENVTEST_MIN_ASSETS):
	@mkdir -p $(@D)
	@ln -sfr $< $@

.PHONY: envtest-assets-min
envtest-assets-min: $(ENVTEST_MIN_ASSETS) ## Build the envtest assets on the oldest supported kube-apiserver and print their directory.
	@echo $(KUBEBUILDER_ASSETS_MIN)

.PHONY: envtest-assets
envtest-assets: $(ENVTEST_ASSETS) $(ETCDCTL) ## Build kube-apiserver, kubectl and etcd for envtest (once) and print KUBEBUILDER_ASSETS.
	@echo $(KUBEBUILDER_ASSETS)

# --- golangci-lint -------------------------------------------------------------------
GOLANGCI_LINT_VERSION ?= v2.15.0
GOLANGCI_LINT ?= $(TOOLS_BIN_DIR)/golangci-lint-$(GOLANGCI_LINT_VERSION)/golangci-lint

$(GOLANGCI_LINT):
	@$(TOOLS_BUILD) $@ "golangci-lint $(GOLANGCI_LINT_VERSION) (one-time, ~1.5 min)" \
		'GOBIN=$$TOOLS_OUT $(TOOLS_GO) install -trimpath \
		-ldflags "-s -w -X main.version=$(patsubst v%,%,$(GOLANGCI_LINT_VERSION))" \
		github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)'

.PHONY: golangci-lint
golangci-lint: $(GOLANGCI_LINT) ## Build golangci-lint into bin/ (once) and print its path.
	@echo $(GOLANGCI_LINT)

# --- kustomize -----------------------------------------------------------------------
KUSTOMIZE_VERSION ?= v5.7.1
KUSTOMIZE ?= $(TOOLS_BIN_DIR)/kustomize-$(KUSTOMIZE_VERSION)/kustomize

$(KUSTOMIZE):
	@$(TOOLS_BUILD) $@ "kustomize $(KUSTOMIZE_VERSION) (one-time, ~30 s)" \
		'GOBIN=$$TOOLS_OUT $(TOOLS_GO) install -trimpath -ldflags "-s -w" \
		sigs.k8s.io/kustomize/kustomize/v5@$(KUSTOMIZE_VERSION)'

.PHONY: kustomize
kustomize: $(KUSTOMIZE) ## Build kustomize into bin/ (once) and print its path.
	@echo $(KUSTOMIZE)

# --- crane ---------------------------------------------------------------------------
CRANE_VERSION ?= v0.22.1
CRANE ?= $(TOOLS_BIN_DIR)/crane-$(CRANE_VERSION)/crane

$(CRANE):
	@$(TOOLS_BUILD) $@ "crane $(CRANE_VERSION) (one-time, ~30 s)" \
		'GOBIN=$$TOOLS_OUT $(TOOLS_GO) install -trimpath \
		-ldflags "-s -w -X github.com/google/go-containerregistry/cmd/crane/cmd.Version=$(CRANE_VERSION)" \
		github.com/google/go-containerregistry/cmd/crane@$(CRANE_VERSION)'

.PHONY: crane
crane: $(CRANE) ## Build crane into bin/ (once) and print its path.
	@echo $(CRANE)

# --- operator-sdk (hack/tools/operator-sdk) -----------------------------------------
# Built from a module that requires it: `go install` cannot resolve its
# ansible-operator-plugins v1.42.3, which the module replaces by v1.42.2. The build tag
# is upstream's (containers/image without gpgme, so no cgo).
OPERATOR_SDK_VERSION ?= v1.42.3
# The Kubernetes version upstream's release build of OPERATOR_SDK_VERSION reports.
OPERATOR_SDK_K8S_VERSION ?= v1.33.1
OPERATOR_SDK_MODULE_DIR ?= $(TOOLS_MODULES_DIR)/operator-sdk
OPERATOR_SDK ?= $(TOOLS_BIN_DIR)/operator-sdk-$(OPERATOR_SDK_VERSION)/operator-sdk
# What upstream's Makefile sets in a release build: `operator-sdk version` prints
# OPERATOR_SDK_VERSION, CSVs are stamped operator-sdk-$(OPERATOR_SDK_VERSION) and the
# scorecard config uses the scorecard-test image of the same version.
OPERATOR_SDK_LDFLAGS = -s -w $(foreach v,Version GitVersion ImageVersion, \
	-X github.com/operator-framework/operator-sdk/internal/version.$(v)=$(OPERATOR_SDK_VERSION)) \
	-X github.com/operator-framework/operator-sdk/internal/version.KubernetesVersion=$(OPERATOR_SDK_K8S_VERSION)

$(OPERATOR_SDK):
	@$(call tools-require-module,$(OPERATOR_SDK_MODULE_DIR),github.com/operator-framework/operator-sdk,$(OPERATOR_SDK_VERSION),update $(OPERATOR_SDK_MODULE_DIR)/go.mod (see hack/tools.mk))
	@$(TOOLS_BUILD) $@ "operator-sdk $(OPERATOR_SDK_VERSION) (one-time, ~3.5 min)" \
		'cd $(OPERATOR_SDK_MODULE_DIR) && $(TOOLS_GO) build -buildvcs=false -trimpath \
		-tags containers_image_openpgp -ldflags "$(strip $(OPERATOR_SDK_LDFLAGS))" \
		-o $$TOOLS_OUT/operator-sdk github.com/operator-framework/operator-sdk/cmd/operator-sdk'

.PHONY: operator-sdk
operator-sdk: $(OPERATOR_SDK) ## Build operator-sdk into bin/ (once) and print its path.
	@echo $(OPERATOR_SDK)

# --- scorecard-test (hack/tools/operator-sdk) and its image ---------------------------
# The program of `operator-sdk scorecard`'s test pods, from the operator-sdk module (its
# version is OPERATOR_SDK_VERSION), and an image like upstream's images/scorecard-test
# (user 1001, workdir /opt/scorecard-test, entrypoint /usr/local/bin/scorecard-test;
# the bundle is read from /bundle), built by hack/olm/build-image.sh.
SCORECARD_TEST_DIR ?= $(TOOLS_BIN_DIR)/scorecard-test-$(OPERATOR_SDK_VERSION)
SCORECARD_TEST ?= $(SCORECARD_TEST_DIR)/scorecard-test
SCORECARD_TEST_IMAGE ?= quay.io/operator-framework/scorecard-test:$(OPERATOR_SDK_VERSION)
SCORECARD_TEST_IMAGE_TAR ?= $(SCORECARD_TEST_DIR)/scorecard-test-$(OPERATOR_SDK_VERSION)-image.tar

$(SCORECARD_TEST):
	@$(call tools-require-module,$(OPERATOR_SDK_MODULE_DIR),github.com/operator-framework/operator-sdk,$(OPERATOR_SDK_VERSION),update $(OPERATOR_SDK_MODULE_DIR)/go.mod (see hack/tools.mk))
	@$(TOOLS_BUILD) $@ "scorecard-test $(OPERATOR_SDK_VERSION) (one-time, ~2 min; seconds after operator-sdk)" \
		'cd $(OPERATOR_SDK_MODULE_DIR) && $(TOOLS_GO) build -buildvcs=false -trimpath \
		-tags containers_image_openpgp -ldflags "-s -w" \
		-o $$TOOLS_OUT/scorecard-test github.com/operator-framework/operator-sdk/images/scorecard-test'

$(SCORECARD_TEST_IMAGE_TAR): | $(SCORECARD_TEST)
	@$(TOOLS_ROOT_DIR)/hack/olm/build-image.sh scorecard-test $(SCORECARD_TEST_IMAGE) $@ $(SCORECARD_TEST)

.PHONY: scorecard-test
scorecard-test: $(SCORECARD_TEST) $(SCORECARD_TEST_IMAGE_TAR) ## Build scorecard-test and its image tarball into bin/ (once) and print the tarball's path.
	@echo $(SCORECARD_TEST_IMAGE_TAR)

# --- scorecard untar image (hack/tools/untar) ------------------------------------------
# `operator-sdk scorecard --untar-image`: each test pod's init container runs
# `tar xvzf /scorecard/bundle.tar.gz -C /scorecard-bundle` (as args, no command) from it.
# Upstream's default (quay.io/operator-framework/scorecard-untar@sha256:...) cannot be
# pulled here; this one is a small static tar (extraction only) at /bin/tar. The
# directory and tag carry a hash of the module's files, so a changed source builds anew.
SCORECARD_UNTAR_MODULE_DIR ?= $(TOOLS_MODULES_DIR)/untar
tools_untar_hash := $(shell cat $(SCORECARD_UNTAR_MODULE_DIR)/go.mod $(SCORECARD_UNTAR_MODULE_DIR)/*.go 2> /dev/null | sha256sum | cut -c1-10)
SCORECARD_UNTAR_DIR ?= $(TOOLS_BIN_DIR)/scorecard-untar-$(tools_untar_hash)
SCORECARD_UNTAR ?= $(SCORECARD_UNTAR_DIR)/tar
SCORECARD_UNTAR_IMAGE ?= localhost/etcd-operator/scorecard-untar:$(tools_untar_hash)
SCORECARD_UNTAR_IMAGE_TAR ?= $(SCORECARD_UNTAR_DIR)/scorecard-untar-image.tar

$(SCORECARD_UNTAR):
	@$(TOOLS_BUILD) $@ "scorecard untar (hack/tools/untar, one-time, seconds)" \
		'cd $(SCORECARD_UNTAR_MODULE_DIR) && $(TOOLS_GO) build -buildvcs=false -trimpath -ldflags "-s -w" \
		-o $$TOOLS_OUT/tar .'

$(SCORECARD_UNTAR_IMAGE_TAR): | $(SCORECARD_UNTAR)
	@$(TOOLS_ROOT_DIR)/hack/olm/build-image.sh untar $(SCORECARD_UNTAR_IMAGE) $@ $(SCORECARD_UNTAR)

.PHONY: scorecard-untar
scorecard-untar: $(SCORECARD_UNTAR) $(SCORECARD_UNTAR_IMAGE_TAR) ## Build the scorecard untar image tarball into bin/ (once) and print its path.
	@echo $(SCORECARD_UNTAR_IMAGE_TAR)

# --- opm and grpc_health_probe (hack/tools/opm) and the opm image -------------------
# Upstream's tags; upstream links sqlite with cgo, here CGO_ENABLED=0, so the
# deprecated sqlite commands (`opm registry ...`, `opm index ...`) fail at run time;
# file-based catalogs (`opm serve`, `opm render`, ...) and `opm alpha bundle extract`
# (OLM's bundle unpack Jobs) work. The image is like upstream's: /bin/opm,
# /bin/grpc_health_probe, user 1001, entrypoint /bin/opm.
OPM_VERSION ?= v1.59.0
# The version that operator-registry OPM_VERSION requires (hack/tools/opm/go.mod).
GRPC_HEALTH_PROBE_VERSION ?= v0.4.40
OPM_MODULE_DIR ?= $(TOOLS_MODULES_DIR)/opm
OPM_DIR ?= $(TOOLS_BIN_DIR)/opm-$(OPM_VERSION)
OPM ?= $(OPM_DIR)/opm
GRPC_HEALTH_PROBE ?= $(OPM_DIR)/grpc_health_probe
OPM_IMAGE ?= quay.io/operator-framework/opm:$(OPM_VERSION)
OPM_IMAGE_TAR ?= $(OPM_DIR)/opm-$(OPM_VERSION)-image.tar

$(OPM):
	@$(call tools-require-module,$(OPM_MODULE_DIR),github.com/operator-framework/operator-registry,$(OPM_VERSION),update $(OPM_MODULE_DIR)/go.mod (see hack/tools.mk))
	@$(TOOLS_BUILD) $@ "opm $(OPM_VERSION) (one-time, ~2 min)" \
		'cd $(OPM_MODULE_DIR) && $(TOOLS_GO) build -buildvcs=false -trimpath \
		-tags json1,containers_image_openpgp \
		-ldflags "-s -w -X github.com/operator-framework/operator-registry/cmd/opm/version.opmVersion=$(OPM_VERSION)" \
		-o $$TOOLS_OUT/opm github.com/operator-framework/operator-registry/cmd/opm'

$(GRPC_HEALTH_PROBE):
	@$(call tools-require-module,$(OPM_MODULE_DIR),github.com/grpc-ecosystem/grpc-health-probe,$(GRPC_HEALTH_PROBE_VERSION),set GRPC_HEALTH_PROBE_VERSION to the version in $(OPM_MODULE_DIR)/go.mod)
	@$(TOOLS_BUILD) $@ "grpc_health_probe $(GRPC_HEALTH_PROBE_VERSION) (one-time, ~30 s)" \
		'cd $(OPM_MODULE_DIR) && $(TOOLS_GO) build -buildvcs=false -trimpath \
		-ldflags "-s -w -X main.versionTag=$(GRPC_HEALTH_PROBE_VERSION)" \
		-o $$TOOLS_OUT/grpc_health_probe github.com/grpc-ecosystem/grpc-health-probe'

$(OPM_IMAGE_TAR): | $(OPM) $(GRPC_HEALTH_PROBE)
	@$(TOOLS_ROOT_DIR)/hack/olm/build-image.sh opm $(OPM_IMAGE) $@ $(OPM) $(GRPC_HEALTH_PROBE)

.PHONY: opm
opm: $(OPM) ## Build opm into bin/ (once) and print its path.
	@echo $(OPM)

.PHONY: opm-image
opm-image: $(OPM) $(GRPC_HEALTH_PROBE) $(OPM_IMAGE_TAR) ## Build the opm image tarball into bin/ (once) and print its path.
	@echo $(OPM_IMAGE_TAR)

# --- OLM (hack/tools/olm): binaries, image and install manifests --------------------
# olm, catalog, package-server, copy-content and cpb from OLM_VERSION, plus a small
# static cp (hack/tools/olm/cp) that the catalog operator's pods run from the util
# image. One image holds them all in /bin, like upstream's (OLM_IMAGE is also the
# catalog operator's --util-image). The manifests are upstream's release rendering
# (deploy/chart with deploy/upstream/values.yaml, as scripts/package_release.sh and
# package_quickstart.sh do) with tag references instead of digests, imagePullPolicy
# IfNotPresent everywhere and without the operatorhubio CatalogSource (it would pull
# from the internet): $(OLM_MANIFESTS_DIR)/crds.yaml and olm.yaml (hack/olm/manifests.sh).
OLM_VERSION ?= v0.33.0
OLM_GIT_COMMIT ?= 77ae211df6d76cc0163c94263a2c3e0b9fe00138
OLM_MODULE_DIR ?= $(TOOLS_MODULES_DIR)/olm
OLM_BIN_DIR ?= $(TOOLS_BIN_DIR)/olm-$(OLM_VERSION)
OLM_BINARY_NAMES := olm catalog package-server copy-content cpb cp
OLM_BINARIES := $(addprefix $(OLM_BIN_DIR)/,$(OLM_BINARY_NAMES))
OLM_IMAGE ?= quay.io/operator-framework/olm:$(OLM_VERSION)
OLM_IMAGE_TAR ?= $(OLM_BIN_DIR)/olm-$(OLM_VERSION)-image.tar
OLM_MANIFESTS_DIR ?= $(OLM_BIN_DIR)/manifests
# The catalog operator's images in the manifests: bundle unpack Jobs run `opm alpha
# bundle extract` from --opmImage; --configmapServerImage serves ConfigMap
# CatalogSources only (not built here: it needs a cgo sqlite).
OLM_OPM_IMAGE ?= $(OPM_IMAGE)
OLM_CONFIGMAP_SERVER_IMAGE ?= quay.io/operator-framework/configmap-operator-registry:latest
tools_olm_pkg = github.com/operator-framework/operator-lifecycle-manager
OLM_LDFLAGS = -s -w -X $(tools_olm_pkg)/pkg/version.OLMVersion=$(OLM_VERSION) \
	-X $(tools_olm_pkg)/pkg/version.GitCommit=$(OLM_GIT_COMMIT)

$(OLM_BINARIES): $(OLM_BIN_DIR)/%:
	@$(call tools-require-module,$(OLM_MODULE_DIR),$(tools_olm_pkg),$(OLM_VERSION),update $(OLM_MODULE_DIR)/go.mod (see hack/tools.mk))
	@$(TOOLS_BUILD) $@ "$* $(if $(filter cp,$*),(hack/tools/olm/cp),$(OLM_VERSION)) (one-time, $(if $(filter olm,$*),~3 min: it compiles most of the shared code,$(if $(filter cp copy-content,$*),seconds,~1 min)))" \
		'cd $(OLM_MODULE_DIR) && $(TOOLS_GO) build -buildvcs=false -trimpath -tags json1 \
		-ldflags "$(strip $(OLM_LDFLAGS))" -o $$TOOLS_OUT/$* \
		$(if $(filter cp,$*),./cp,$(tools_olm_pkg)/$(if $(filter cpb,$*),util,cmd)/$*)'

$(OLM_IMAGE_TAR): | $(OLM_BINARIES)
	@$(TOOLS_ROOT_DIR)/hack/olm/build-image.sh olm $(OLM_IMAGE) $@ $(OLM_BIN_DIR)

$(OLM_MANIFESTS_DIR): | $(HELM)
	@$(call tools-require-module,$(OLM_MODULE_DIR),$(tools_olm_pkg),$(OLM_VERSION),update $(OLM_MODULE_DIR)/go.mod (see hack/tools.mk))
	@$(TOOLS_BUILD) $@ "OLM $(OLM_VERSION) install manifests (one-time, seconds)" \
		'OLM_VERSION=$(OLM_VERSION) OLM_IMAGE=$(OLM_IMAGE) OLM_OPM_IMAGE=$(OLM_OPM_IMAGE) \
		OLM_CONFIGMAP_SERVER_IMAGE=$(OLM_CONFIGMAP_SERVER_IMAGE) \
		$(TOOLS_ROOT_DIR)/hack/olm/manifests.sh $(OLM_MODULE_DIR) $(HELM) $$TOOLS_OUT/manifests'

.PHONY: olm
olm: $(OLM_BINARIES) $(OLM_IMAGE_TAR) $(OLM_MANIFESTS_DIR) ## Build the OLM binaries, image tarball and install manifests into bin/ (once) and print their directory.
	@echo $(OLM_BIN_DIR)

# --- registry (distribution) ---------------------------------------------------------
# An OCI registry to run on 127.0.0.1 (e.g. `registry serve config.yml`).
DISTRIBUTION_VERSION ?= v3.0.0
DISTRIBUTION_REGISTRY ?= $(TOOLS_BIN_DIR)/registry-$(DISTRIBUTION_VERSION)/registry
tools_distribution_pkg = github.com/distribution/distribution/v3

$(DISTRIBUTION_REGISTRY):
	@$(TOOLS_BUILD) $@ "registry (distribution) $(DISTRIBUTION_VERSION) (one-time, ~1.5 min)" \
		'GOBIN=$$TOOLS_OUT $(TOOLS_GO) install -trimpath \
		-ldflags "-s -w -X $(tools_distribution_pkg)/version.version=$(patsubst v%,%,$(DISTRIBUTION_VERSION)) \
		-X $(tools_distribution_pkg)/version.mainpkg=$(tools_distribution_pkg)" \
		$(tools_distribution_pkg)/cmd/registry@$(DISTRIBUTION_VERSION)'

.PHONY: registry
registry: $(DISTRIBUTION_REGISTRY) ## Build the distribution registry into bin/ (once) and print its path.
	@echo $(DISTRIBUTION_REGISTRY)

.PHONY: olm-tools
olm-tools: scorecard-test scorecard-untar opm-image olm registry ## Build scorecard-test, the untar image, opm, OLM and the registry with their images (once).

# --- Prometheus and promtool (hack/tools/prometheus) ---------------------------------
# promtool checks and unit-tests the alert rules (make test-alerts); Prometheus is the
# real scraper of the e2e suite's metrics specs.
PROMETHEUS_VERSION ?= v0.316.0
PROMETHEUS_MODULE_DIR ?= $(TOOLS_MODULES_DIR)/prometheus
PROMETHEUS_DIR ?= $(TOOLS_BIN_DIR)/prometheus-$(PROMETHEUS_VERSION)
PROMETHEUS ?= $(PROMETHEUS_DIR)/prometheus
PROMTOOL ?= $(PROMETHEUS_DIR)/promtool
tools_prometheus_pkg = github.com/prometheus/prometheus
# Prometheus's module v0.3XY.Z is its release 3.XY.Z.
PROMETHEUS_RELEASE ?= 3.16.0

$(PROMETHEUS) $(PROMTOOL): $(PROMETHEUS_DIR)/%:
	@$(call tools-require-module,$(PROMETHEUS_MODULE_DIR),$(tools_prometheus_pkg),$(PROMETHEUS_VERSION),update $(PROMETHEUS_MODULE_DIR)/go.mod (see hack/tools.mk))
	@$(TOOLS_BUILD) $@ "$* $(PROMETHEUS_RELEASE) (one-time, $(if $(filter prometheus,$*),~8 min: cloud discovery SDKs included,~2 min))" \
		'cd $(PROMETHEUS_MODULE_DIR) && $(TOOLS_GO) build -buildvcs=false -trimpath \
		-ldflags "-s -w -X github.com/prometheus/common/version.Version=$(PROMETHEUS_RELEASE)" \
		-o $$TOOLS_OUT/$* $(tools_prometheus_pkg)/cmd/$*'

# The monitoring.coreos.com CRDs (ServiceMonitor, PodMonitor, PrometheusRule) of
# prometheus-operator, one file, so that the integration suite's API server checks the
# objects config/prometheus ships against their schemas.
PROMETHEUS_OPERATOR_VERSION ?= v0.94.0
MONITORING_CRDS ?= $(TOOLS_BIN_DIR)/prometheus-operator-$(PROMETHEUS_OPERATOR_VERSION)/monitoring-crds.yaml

$(MONITORING_CRDS):
	@$(TOOLS_BUILD) $@ "monitoring.coreos.com CRDs of prometheus-operator $(PROMETHEUS_OPERATOR_VERSION) (one-time, seconds)" \
		'cd $$TOOLS_OUT && dir=$$($(TOOLS_GO) mod download -json github.com/prometheus-operator/prometheus-operator@$(PROMETHEUS_OPERATOR_VERSION) \
		| sed -n "s/^[[:space:]]*\"Dir\": \"\(.*\)\",$$/\1/p") && test -n "$$dir" && \
		for k in servicemonitors podmonitors prometheusrules; do echo "---"; \
		cat "$$dir/example/prometheus-operator-crd/monitoring.coreos.com_$$k.yaml"; done > monitoring-crds.yaml'

.PHONY: monitoring-crds
monitoring-crds: $(MONITORING_CRDS) ## Fetch the monitoring.coreos.com CRDs into bin/ (once) and print the file.
	@echo $(MONITORING_CRDS)

.PHONY: promtool
promtool: $(PROMTOOL) ## Build promtool into bin/ (once) and print its path.
	@echo $(PROMTOOL)

.PHONY: prometheus
prometheus: $(PROMETHEUS) ## Build Prometheus into bin/ (once) and print its path.
	@echo $(PROMETHEUS)

# --- SeaweedFS (hack/tools/seaweedfs): the real S3 store of the backup e2e specs ------------
SEAWEEDFS_VERSION ?= v0.0.0-20261109003541-7506e5f91cd6
SEAWEEDFS_MODULE_DIR ?= $(TOOLS_MODULES_DIR)/seaweedfs
SEAWEEDFS ?= $(TOOLS_BIN_DIR)/seaweedfs-$(SEAWEEDFS_VERSION)/weed
tools_seaweedfs_pkg = github.com/seaweedfs/seaweedfs

$(SEAWEEDFS):
	@$(call tools-require-module,$(SEAWEEDFS_MODULE_DIR),$(tools_seaweedfs_pkg),$(SEAWEEDFS_VERSION),update $(SEAWEEDFS_MODULE_DIR)/go.mod (see hack/tools.mk))
	@$(TOOLS_BUILD) $@ "SeaweedFS weed 4.53 (one-time, ~4 min)" \
		'cd $(SEAWEEDFS_MODULE_DIR) && $(TOOLS_GO) build -buildvcs=false -trimpath -ldflags "-s -w" \
		-o $$TOOLS_OUT/weed $(tools_seaweedfs_pkg)/weed'

.PHONY: seaweedfs
seaweedfs: $(SEAWEEDFS) ## Build SeaweedFS's weed into bin/ (once) and print its path.
	@echo $(SEAWEEDFS)

# --- everything ----------------------------------------------------------------------
.PHONY: tools-all
tools-all: controller-gen helm envtest-assets envtest-assets-min kube-binaries etcd-image-binary golangci-lint kustomize crane operator-sdk olm-tools promtool prometheus monitoring-crds ## Build every pinned tool (once).

TOOLS_PATH_VARS := CONTROLLER_GEN HELM KUBEBUILDER_ASSETS KUBEBUILDER_ASSETS_MIN KUBE_BIN_DIR KUBE_APISERVER KUBECTL \
	ETCD_BIN ETCDCTL ETCD_IMAGE_BIN ETCD_IMAGE_ETCDCTL ETCD_IMAGE_ETCDUTL GOLANGCI_LINT KUSTOMIZE CRANE OPERATOR_SDK \
	SCORECARD_TEST SCORECARD_TEST_IMAGE SCORECARD_TEST_IMAGE_TAR \
	SCORECARD_UNTAR SCORECARD_UNTAR_IMAGE SCORECARD_UNTAR_IMAGE_TAR OPM GRPC_HEALTH_PROBE OPM_IMAGE \
	OPM_IMAGE_TAR OLM_BIN_DIR OLM_IMAGE OLM_IMAGE_TAR OLM_MANIFESTS_DIR DISTRIBUTION_REGISTRY PROMETHEUS PROMTOOL MONITORING_CRDS SEAWEEDFS

.PHONY: tools-paths
tools-paths: ## Print VAR=path for every tool (builds nothing).
	@$(foreach v,$(TOOLS_PATH_VARS),echo '$(v)=$($(v))';)

export $(TOOLS_PATH_VARS)

ifeq ($(tools_standalone),true)
.DEFAULT_GOAL := tools-paths
else
.DEFAULT_GOAL := $(tools_saved_default_goal)
endif
