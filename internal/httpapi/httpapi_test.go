package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ocomms/ocomms/spec/errcode"
)

type result struct {
	status int
	body   map[string]any
	header http.Header
}

func serve(t *testing.T, h http.Handler, method, path, body string, header http.Header) result {
	t.Helper()
	var logs bytes.Buffer
	outer := Outer(h, slog.New(slog.NewTextHandler(&logs, nil)), 1024, nil)
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	outer.ServeHTTP(rec, req)
	res := result{status: rec.Code, header: rec.Header()}
	_ = json.Unmarshal(rec.Body.Bytes(), &res.body)
	return res
}

type sample struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

func TestHandlersAnswerTheSpecErrorFormat(t *testing.T) {
	decode := HandlerFunc(func(r *http.Request) (any, error) {
		var s sample
		if err := DecodeJSON(r, &s); err != nil {
			return nil, err
		}
		return Response{Status: http.StatusCreated, Body: s}, nil
	})
	tests := []struct {
		name       string
		handler    http.Handler
		body       string
		wantStatus int
		wantCode   string
	}{
		{"a good body is decoded", decode, `{"name":"a","count":2}`, 201, ""},
		{"a body that is not JSON is M_NOT_JSON", decode, `{"name":`, 400, "M_NOT_JSON"},
		{"a body of the wrong shape is M_BAD_JSON", decode, `{"count":"two"}`, 400, "M_BAD_JSON"},
		{"a body over the limit is M_TOO_LARGE", decode, `{"name":"` + strings.Repeat("a", 2048) + `"}`, 413, "M_TOO_LARGE"},
		{"a spec error keeps its status", HandlerFunc(func(*http.Request) (any, error) {
			return nil, errcode.Forbidden("no")
		}), "", 403, "M_FORBIDDEN"},
		{"a wrapped spec error keeps its status", HandlerFunc(func(*http.Request) (any, error) {
			return nil, errors.Join(errors.New("context"), errcode.NotFound("gone"))
		}), "", 404, "M_NOT_FOUND"},
		{"an internal error is hidden as M_UNKNOWN", HandlerFunc(func(*http.Request) (any, error) {
			return nil, errors.New("database password is hunter2")
		}), "", 500, "M_UNKNOWN"},
		{"a panic is recovered as M_UNKNOWN", HandlerFunc(func(*http.Request) (any, error) {
			panic("boom")
		}), "", 500, "M_UNKNOWN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := serve(t, tt.handler, http.MethodPost, "/x", tt.body, nil)
			if res.status != tt.wantStatus {
				t.Fatalf("status %d, want %d (%v)", res.status, tt.wantStatus, res.body)
			}
			if tt.wantCode == "" {
				return
			}
			if res.body["errcode"] != tt.wantCode {
				t.Errorf("errcode %v, want %s", res.body["errcode"], tt.wantCode)
			}
			msg, _ := res.body["error"].(string)
			if msg == "" || strings.Contains(msg, "hunter2") {
				t.Errorf("error message %q", msg)
			}
			if res.header.Get("Content-Type") != "application/json" {
				t.Errorf("content type %q", res.header.Get("Content-Type"))
			}
		})
	}
}

func TestRequestIDIsKeptOrAssigned(t *testing.T) {
	var seen string
	h := HandlerFunc(func(r *http.Request) (any, error) {
		seen = RequestID(r.Context())
		return struct{}{}, nil
	})
	res := serve(t, h, http.MethodGet, "/x", "", http.Header{RequestIDHeader: {"from-proxy"}})
	if seen != "from-proxy" || res.header.Get(RequestIDHeader) != "from-proxy" {
		t.Errorf("proxy request ID not kept: handler saw %q, header %q", seen, res.header.Get(RequestIDHeader))
	}
	res = serve(t, h, http.MethodGet, "/x", "", nil)
	if seen == "" || res.header.Get(RequestIDHeader) != seen {
		t.Errorf("request ID not assigned: handler saw %q, header %q", seen, res.header.Get(RequestIDHeader))
	}
}

func TestRouterReportsRouteTemplatesToTheObserver(t *testing.T) {
	r := NewRouter()
	r.Handle("/rooms/{roomId}", HandlerFunc(func(*http.Request) (any, error) { return struct{}{}, nil })).Methods(http.MethodGet)
	var routes []string
	observe := func(_ *http.Request, route string, status int, _ time.Duration) {
		routes = append(routes, route+" "+http.StatusText(status))
	}
	h := Outer(r, slog.New(slog.DiscardHandler), 1024, observe)
	for _, path := range []string{"/rooms/!abc:x", "/nowhere"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, path, nil))
	}
	want := []string{"/rooms/{roomId} OK", "unmatched Not Found"}
	if strings.Join(routes, ",") != strings.Join(want, ",") {
		t.Errorf("observed %v, want %v", routes, want)
	}
}

func TestRouterKeepsEncodedSlashesInsideAPathVariable(t *testing.T) {
	r := NewRouter()
	var got map[string]string
	r.Handle("/rooms/{roomId}/state/{eventType}/{stateKey}", HandlerFunc(func(req *http.Request) (any, error) {
		got = Vars(req)
		return struct{}{}, nil
	})).Methods(http.MethodGet)
	tests := []struct {
		name, path, stateKey string
	}{
		{"an encoded slash", "/rooms/!a:x/state/m.t/a%2Fb", "a/b"},
		{"a plus sign stays a plus sign", "/rooms/!a:x/state/m.t/a+b", "a+b"},
		{"an encoded percent sign", "/rooms/!a:x/state/m.t/100%25", "100%"},
		{"everything at once", "/rooms/!a:x/state/m.t/%2F%2B%25%20", "/+% "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got = nil
			w := httptest.NewRecorder()
			r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, tt.path, nil))
			if w.Code != http.StatusOK || got["stateKey"] != tt.stateKey || got["roomId"] != "!a:x" {
				t.Fatalf("%s: status %d, vars %v, want state key %q", tt.path, w.Code, got, tt.stateKey)
			}
		})
	}
}

func TestRouteWithItsOwnBodyLimitAcceptsLargerBodies(t *testing.T) {
	r := NewRouter()
	readAll := HandlerFunc(func(req *http.Request) (any, error) {
		n, err := io.Copy(io.Discard, req.Body)
		if err != nil {
			return nil, err
		}
		return map[string]int64{"read": n}, nil
	})
	r.Handle("/json", readAll).Methods(http.MethodPost)
	r.Handle("/upload", WithBodyLimit(4096, readAll)).Methods(http.MethodPost)
	tests := []struct {
		name, path string
		size       int
		wantStatus int
	}{
		{"the listener limit holds on other routes", "/json", 2048, 413},
		{"a body under the route limit is read", "/upload", 3000, 200},
		{"a body over the route limit is refused", "/upload", 5000, 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := serve(t, r, http.MethodPost, tt.path, strings.Repeat("a", tt.size), nil)
			if res.status != tt.wantStatus {
				t.Fatalf("status %d, want %d (%v)", res.status, tt.wantStatus, res.body)
			}
			if tt.wantStatus == 413 && res.body["errcode"] != "M_TOO_LARGE" {
				t.Errorf("errcode %v", res.body["errcode"])
			}
		})
	}
}
