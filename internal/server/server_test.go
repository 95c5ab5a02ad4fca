package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/ocomms/ocomms/internal/server"
	"github.com/ocomms/ocomms/internal/testserver"
	"github.com/ocomms/ocomms/storage"
	"github.com/ocomms/ocomms/storage/storagetest"
)

type httpResult struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func do(t *testing.T, method, url, body string) httpResult {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	res := httpResult{status: resp.StatusCode, header: resp.Header, raw: string(data)}
	_ = json.Unmarshal(data, &res.body)
	return res
}

func TestServerServesClientAPIAndOperationsEndpoints(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := testserver.Start(t, testserver.Config(t, b))
		metricsURL := "http://" + srv.Addr("metrics")

		tests := []struct {
			name       string
			method     string
			url        string
			body       string
			wantStatus int
			wantCode   string
		}{
			{"versions answers", http.MethodGet, srv.URL + "/_matrix/client/versions", "", 200, ""},
			{"health answers on the client listener", http.MethodGet, srv.URL + "/health", "", 200, ""},
			{"ready answers when database and bus are up", http.MethodGet, srv.URL + "/ready", "", 200, ""},
			{"health answers on the metrics listener", http.MethodGet, metricsURL + "/health", "", 200, ""},
			{"unknown endpoints are unrecognized", http.MethodGet, srv.URL + "/_matrix/client/v3/nonsense", "", 404, "M_UNRECOGNIZED"},
			{"wrong methods are unrecognized with 405", http.MethodPost, srv.URL + "/_matrix/client/versions", "{}", 405, "M_UNRECOGNIZED"},
			{"oversized bodies are refused", http.MethodPost, srv.URL + "/_matrix/client/versions", strings.Repeat("x", 2<<20), 413, "M_TOO_LARGE"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res := do(t, tt.method, tt.url, tt.body)
				if res.status != tt.wantStatus {
					t.Fatalf("status %d, want %d: %s", res.status, tt.wantStatus, res.raw)
				}
				if tt.wantCode != "" {
					if res.body["errcode"] != tt.wantCode || res.body["error"] == nil {
						t.Errorf("body %s, want errcode %s with an error message", res.raw, tt.wantCode)
					}
				}
				if res.header.Get("X-Request-Id") == "" {
					t.Error("no X-Request-Id header")
				}
			})
		}

		t.Run("versions lists versions and CORS headers", func(t *testing.T) {
			res := do(t, http.MethodGet, srv.URL+"/_matrix/client/versions", "")
			if _, ok := res.body["versions"].([]any); !ok {
				t.Errorf("versions is not a list: %s", res.raw)
			}
			if res.header.Get("Access-Control-Allow-Origin") != "*" {
				t.Errorf("missing CORS header: %v", res.header)
			}
		})
		t.Run("CORS preflight is answered without a handler", func(t *testing.T) {
			res := do(t, http.MethodOptions, srv.URL+"/_matrix/client/v3/anything", "")
			if res.status != http.StatusNoContent || !strings.Contains(res.header.Get("Access-Control-Allow-Headers"), "Authorization") {
				t.Errorf("preflight answered %d %v", res.status, res.header)
			}
		})
		t.Run("metrics count requests by route", func(t *testing.T) {
			res := do(t, http.MethodGet, metricsURL+"/metrics", "")
			for _, want := range []string{
				`ocomms_http_requests_total{code="200",listener="client",method="GET",route="/_matrix/client/versions"}`,
				`ocomms_db_pool_open_connections`,
				`go_goroutines`,
			} {
				if !strings.Contains(res.raw, want) {
					t.Errorf("metrics do not contain %s", want)
				}
			}
		})
	})
}

func TestServerRefusesAChangedServerName(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		cfg := testserver.Config(t, b)
		testserver.Start(t, cfg).Stop()

		cfg.ServerName = "renamed.example.org"
		_, err := server.New(context.Background(), cfg, storagetest.Logger(t))
		if !errors.Is(err, server.ErrServerNameChanged) {
			t.Fatalf("got %v, want ErrServerNameChanged", err)
		}
	})
}

func TestServerRefusesASchemaNewerThanItself(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		cfg := testserver.Config(t, b)
		testserver.Start(t, cfg).Stop()

		db := storagetest.Open(t, storage.Config{
			Backend: cfg.Database.Backend, SQLitePath: cfg.Path(cfg.Database.SQLitePath), PostgresDSN: cfg.Database.PostgresDSN,
		})
		if _, err := db.Exec(context.Background(), `INSERT INTO schema_migrations (component, version, name, applied_at) VALUES ('server', 99, 'from the future', 0)`); err != nil {
			t.Fatalf("simulating a newer schema: %v", err)
		}
		_ = db.Close()

		_, err := server.New(context.Background(), cfg, storagetest.Logger(t))
		if !errors.Is(err, storage.ErrSchemaNewer) {
			t.Fatalf("got %v, want ErrSchemaNewer", err)
		}
	})
}
