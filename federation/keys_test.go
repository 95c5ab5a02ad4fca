package federation_test

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/ocomms/ocomms/internal/testserver"
	"github.com/ocomms/ocomms/spec/b64"
	"github.com/ocomms/ocomms/spec/signing"
)

func TestServerKeysArePublishedSignedByThemselves(t *testing.T) {
	cfg := testserver.Config(t, testserver.Backends()[0])
	cfg.Federation.Enabled = true
	srv := testserver.Start(t, cfg)

	resp, err := http.Get("http://" + srv.Addr("federation") + "/_matrix/key/v2/server")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var keys struct {
		ServerName   string `json:"server_name"`
		ValidUntilTS int64  `json:"valid_until_ts"`
		VerifyKeys   map[signing.KeyID]struct {
			Key string `json:"key"`
		} `json:"verify_keys"`
		OldVerifyKeys map[string]any `json:"old_verify_keys"`
	}
	if err := json.Unmarshal(body, &keys); err != nil {
		t.Fatal(err)
	}
	if keys.ServerName != cfg.ServerName {
		t.Errorf("server_name = %q, want %q", keys.ServerName, cfg.ServerName)
	}
	if until := time.UnixMilli(keys.ValidUntilTS); until.Before(time.Now().Add(time.Hour)) {
		t.Errorf("valid_until_ts %v is too soon", until)
	}
	if keys.OldVerifyKeys == nil {
		t.Error("old_verify_keys is missing")
	}
	want := srv.SigningKey()
	published, ok := keys.VerifyKeys[want.ID]
	if !ok || len(keys.VerifyKeys) != 1 {
		t.Fatalf("verify_keys = %v, want only %s", keys.VerifyKeys, want.ID)
	}
	pub, err := b64.Decode(published.Key)
	if err != nil || string(pub) != string(want.Public()) {
		t.Fatalf("published key %q is not the server's", published.Key)
	}
	if err := signing.VerifyJSON(cfg.ServerName, want.ID, pub, body); err != nil {
		t.Errorf("the key response is not signed by the key it publishes: %v", err)
	}
}

func TestServerKeysAreNotServedOnTheClientListener(t *testing.T) {
	cfg := testserver.Config(t, testserver.Backends()[0])
	cfg.Federation.Enabled = true
	srv := testserver.Start(t, cfg)
	resp, err := http.Get(srv.URL + "/_matrix/key/v2/server")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("client listener answered %d for the key endpoint, want 404", resp.StatusCode)
	}
}
