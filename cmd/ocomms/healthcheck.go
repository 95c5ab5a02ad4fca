package main

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// healthcheck exists because the container image has no shell or curl: the
// binary checks itself.
func healthcheck(ctx context.Context, args []string, env cmdEnv) error {
	fs := newFlags("healthcheck", env)
	url := fs.String("url", "http://127.0.0.1:8008/health", "health endpoint to query")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		return usageError{err}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("server not answering: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s", *url, resp.Status)
	}
	return nil
}
