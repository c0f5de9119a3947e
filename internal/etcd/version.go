package etcd

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// ClusterVersion asks the member at endpoint for the cluster version etcd
// agreed on, from its /version document: the gRPC API does not carry it.
// "" while etcd has not decided it (a cluster just formed). Each call
// makes its own connection: it is asked only while the version changes.
func (c *conn) ClusterVersion(ctx context.Context, endpoint string) (string, error) {
	ctx, cancel := c.call(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(endpoint, "/")+"/version", nil)
	if err != nil {
		return "", err
	}
	httpClient := &http.Client{Transport: &http.Transport{TLSClientConfig: c.tls, DisableKeepAlives: true}}
	resp, err := httpClient.Do(req)
	if err != nil {
		return "", err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s/version: %s", endpoint, resp.Status)
	}
	var v struct {
		Cluster string `json:"etcdcluster"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 4096)).Decode(&v); err != nil {
		return "", fmt.Errorf("GET %s/version: %w", endpoint, err)
	}
	if v.Cluster == "not_decided" {
		return "", nil
	}
	return v.Cluster, nil
}
