package server_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ocomms/ocomms/internal/testserver"
)

type finished struct {
	status int
	body   string
	err    error
}

// send runs req in the background; the result arrives on the channel.
func send(req *http.Request) <-chan finished {
	out := make(chan finished, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			out <- finished{err: err}
			return
		}
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		out <- finished{status: resp.StatusCode, body: string(data), err: err}
	}()
	return out
}

func newRequest(t *testing.T, method, url, token string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	return req
}

func receive(t *testing.T, what string, ch <-chan finished, within time.Duration) finished {
	t.Helper()
	select {
	case f := <-ch:
		if f.err != nil {
			t.Fatalf("%s: %v", what, f.err)
		}
		return f
	case <-time.After(within):
		t.Fatalf("%s: no answer within %s", what, within)
		return finished{}
	}
}

// clientInFlight reads how many client API requests the server is serving.
func clientInFlight(t *testing.T, metricsURL string) int {
	t.Helper()
	resp, err := http.Get(metricsURL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), `ocomms_http_requests_in_flight{listener="client"} `); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatalf("in-flight gauge %q: %v", v, err)
			}
			return n
		}
	}
	return 0
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestShutdownLetsRequestsInFlightFinishAndIsNotReady(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		cfg := testserver.Config(t, b)
		srv := testserver.Start(t, cfg)
		metricsURL := "http://" + srv.Addr("metrics")
		alice := srv.NewUser(t, "alice")
		since := alice.MustDo(t, http.MethodGet, "/_matrix/client/v3/sync", nil, http.StatusOK)["next_batch"].(string)

		// A request whose body is still arriving holds the client listener
		// open for as long as the test wants: the drain.
		body, writer := io.Pipe()
		release := make(chan struct{})
		go func() {
			_, _ = io.WriteString(writer, `{"displayname": `)
			<-release
			_, _ = io.WriteString(writer, `"Alice during shutdown"}`)
			_ = writer.Close()
		}()
		profilePath := "/_matrix/client/v3/profile/" + url.PathEscape(alice.UserID) + "/displayname"
		slowPut := send(newRequest(t, http.MethodPut, srv.URL+profilePath, alice.AccessToken, body))

		// A long-poll parked far longer than the shutdown timeout.
		parked := send(newRequest(t, http.MethodGet, fmt.Sprintf("%s/_matrix/client/v3/sync?since=%s&timeout=60000", srv.URL, url.QueryEscape(since)), alice.AccessToken, nil))
		waitFor(t, "both requests are being served", func() bool { return clientInFlight(t, metricsURL) == 2 })

		stopped := make(chan struct{})
		stopAt := time.Now()
		go func() {
			defer close(stopped)
			srv.Stop()
		}()

		sync := receive(t, "parked sync", parked, cfg.Limits.ShutdownTimeout/2)
		var syncBody struct {
			NextBatch string `json:"next_batch"`
		}
		if err := json.Unmarshal([]byte(sync.body), &syncBody); sync.status != http.StatusOK || err != nil || syncBody.NextBatch == "" {
			t.Fatalf("parked sync answered %d %s, want 200 with next_batch", sync.status, sync.body)
		}
		t.Logf("parked sync answered %s after the stop", time.Since(stopAt))

		waitFor(t, "/ready answers 503 while draining", func() bool {
			return do(t, http.MethodGet, metricsURL+"/ready", "").status == http.StatusServiceUnavailable
		})
		if res := do(t, http.MethodGet, metricsURL+"/health", ""); res.status != http.StatusOK {
			t.Errorf("/health answered %d while draining, want 200", res.status)
		}
		select {
		case <-stopped:
			t.Fatal("the server stopped with a request in flight")
		default:
		}

		close(release)
		if put := receive(t, "request finishing during the drain", slowPut, cfg.Limits.ShutdownTimeout); put.status != http.StatusOK {
			t.Fatalf("request in flight answered %d %s, want 200", put.status, put.body)
		}
		select {
		case <-stopped:
		case <-time.After(cfg.Limits.ShutdownTimeout + 5*time.Second):
			t.Fatal("server did not stop")
		}

		// What the request wrote during the drain was committed before the
		// database closed.
		again := testserver.Start(t, cfg)
		got := alice.On(again).MustDo(t, http.MethodGet, profilePath, nil, http.StatusOK)
		if got["displayname"] != "Alice during shutdown" {
			t.Errorf("displayname after restart = %v", got["displayname"])
		}
	})
}
