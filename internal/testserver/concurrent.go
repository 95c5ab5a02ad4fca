package testserver

import (
	"net/http"
	"sync"
	"testing"
)

// Concurrently makes n requests at once: each goroutine waits at a
// barrier until all have started, so the requests overlap as much as the
// server lets them. It returns the responses in the order of i.
func Concurrently(t *testing.T, n int, do func(i int) *ClientResponse) []*ClientResponse {
	t.Helper()
	out := make([]*ClientResponse, n)
	var ready, done sync.WaitGroup
	release := make(chan struct{})
	for i := range n {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			ready.Done()
			<-release
			out[i] = do(i)
		}()
	}
	ready.Wait()
	close(release)
	done.Wait()
	return out
}

// RequireRateLimited checks the answers to a burst of concurrent requests
// against a limit of burst: exactly burst of them succeed and every other
// one is 429 M_LIMIT_EXCEEDED with retry_after_ms and Retry-After.
func RequireRateLimited(t *testing.T, resps []*ClientResponse, burst int) {
	t.Helper()
	ok := 0
	for i, resp := range resps {
		if resp == nil {
			t.Fatalf("request %d did not finish", i)
		}
		if resp.Status == http.StatusOK {
			ok++
			continue
		}
		if resp.Status != http.StatusTooManyRequests || resp.Errcode() != "M_LIMIT_EXCEEDED" {
			t.Errorf("request %d: got %d %s, want 429 M_LIMIT_EXCEEDED", i, resp.Status, resp.Body)
			continue
		}
		if ms, _ := resp.Map(t)["retry_after_ms"].(float64); ms <= 0 || resp.Header.Get("Retry-After") == "" {
			t.Errorf("request %d: no retry advice: %s, Retry-After %q", i, resp.Body, resp.Header.Get("Retry-After"))
		}
	}
	if ok != burst {
		t.Errorf("%d of %d concurrent requests succeeded, want the burst of %d", ok, len(resps), burst)
	}
}
