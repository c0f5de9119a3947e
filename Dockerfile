# The operator image for users with Docker: `docker build -t etcd-operator:v0.1.0 .`
# (the local cluster of hack/local-cluster builds the same contents without Docker).
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY api/ api/
COPY cmd/ cmd/
COPY internal/ internal/
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /manager ./cmd

FROM gcr.io/distroless/static:nonroot
COPY --from=build /manager /manager
COPY watches.yaml /opt/helm/watches.yaml
COPY helm-charts/ /opt/helm/helm-charts/
USER 65532:65532
ENTRYPOINT ["/manager", "--watches-file=/opt/helm/watches.yaml"]
