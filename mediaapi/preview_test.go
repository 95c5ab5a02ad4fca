package mediaapi_test

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/internal/testserver"
	"github.com/ocomms/ocomms/mediaapi/blobstore/s3test"
)

// site is a web server on loopback with a page, an image, an oEmbed
// endpoint, a redirect to an internal address and an endless page.
func site(t *testing.T, image []byte) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	hits := &atomic.Int32{}
	mux := http.NewServeMux()
	mux.HandleFunc("/article", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "text/html; charset=iso-8859-1")
		fmt.Fprint(w, `<html><head><title>Fallback title</title>
			<meta property="og:title" content="Caf`+"\xe9"+` news">
			<meta property="og:description" content="What happened today">
			<meta property="og:image" content="/picture.png">
			</head><body><script>var x = "<meta property='og:title' content='no'>";</script></body></html>`)
	})
	mux.HandleFunc("/plain", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<html><head><title> Only a title </title><meta name="description" content="and a description"></head></html>`)
	})
	mux.HandleFunc("/picture.png", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(image)
	})
	mux.HandleFunc("/oembed", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"type":"video","title":"A video about %s","provider_name":"Tube","thumbnail_url":"/picture.png","html":"<blockquote><p>Watch it</p><script>x()</script></blockquote>"}`,
			url.QueryEscape(r.URL.Query().Get("url")))
	})
	mux.HandleFunc("/huge", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		chunk := bytes.Repeat([]byte("<p>padding</p>"), 1000)
		for i := 0; i < 2000; i++ {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	mux.HandleFunc("/to-internal", func(w http.ResponseWriter, r *http.Request) {
		// Loopback on another port: internal, and not allowed.
		http.Redirect(w, r, "http://127.0.0.2:1/", http.StatusFound)
	})
	return srv, hits
}

// Previews are tested on both stores: their images are media like any
// other, written to the store uploads go to.
func TestURLPreviewsOfOpenGraphAndOEmbedThroughTheAllowList(t *testing.T) {
	for _, store := range []string{"local", "s3"} {
		t.Run(store, func(t *testing.T) { testURLPreviews(t, store) })
	}
}

func testURLPreviews(t *testing.T, store string) {
	t.Helper()
	image := pngImage(t, 120, 60)
	web, hits := site(t, image)
	s := start(t, testserver.Backends()[0], store, func(cfg *config.Config) {
		p := &cfg.Media.URLPreview
		p.Enabled = true
		p.AllowedRanges = []string{"127.0.0.1/32"}
		p.MaxBytes = 256 << 10
		p.OEmbedProviders = []config.OEmbedProvider{{URLPatterns: []string{web.URL + "/watch*"}, Endpoint: web.URL + "/oembed"}}
	})
	alice := s.srv.NewUser(t, "alice")
	previewPath := func(u string) string { return "/_matrix/client/v1/media/preview_url?url=" + url.QueryEscape(u) }

	t.Run("OpenGraph properties and the image as media", func(t *testing.T) {
		og := alice.MustDo(t, http.MethodGet, previewPath(web.URL+"/article#section"), nil, http.StatusOK)
		if og["og:title"] != "Café news" || og["og:description"] != "What happened today" {
			t.Fatalf("preview %v", og)
		}
		if og["og:image:width"] != float64(120) || og["matrix:image:size"] != float64(len(image)) || og["og:image:type"] != "image/png" {
			t.Errorf("image properties %v", og)
		}
		server, id := splitMXC(t, og["og:image"].(string))
		resp := raw(t, alice, http.MethodGet, "/_matrix/client/v1/media/download/"+server+"/"+id, nil, nil)
		if resp.Status != http.StatusOK || !bytes.Equal(resp.Body, image) {
			t.Fatalf("preview image download: %d", resp.Status)
		}
		if store == "s3" && len(s3test.Objects(t, s.s3, "blobs/")) == 0 {
			t.Fatal("the preview image is not in the bucket")
		}
		before := hits.Load()
		again := alice.MustDo(t, http.MethodGet, "/_matrix/media/v3/preview_url?url="+url.QueryEscape(web.URL+"/article"), nil, http.StatusOK)
		if hits.Load() != before || again["og:title"] != og["og:title"] {
			t.Errorf("second preview was not cached: %d fetches, %v", hits.Load()-before, again)
		}
	})

	t.Run("title and description without OpenGraph", func(t *testing.T) {
		og := alice.MustDo(t, http.MethodGet, previewPath(web.URL+"/plain"), nil, http.StatusOK)
		if og["og:title"] != "Only a title" || og["og:description"] != "and a description" {
			t.Fatalf("preview %v", og)
		}
	})

	t.Run("oEmbed providers describe their URLs", func(t *testing.T) {
		og := alice.MustDo(t, http.MethodGet, previewPath(web.URL+"/watch?v=42"), nil, http.StatusOK)
		if !strings.HasPrefix(og["og:title"].(string), "A video about") || og["og:site_name"] != "Tube" || og["og:description"] != "Watch it" {
			t.Fatalf("preview %v", og)
		}
		if _, ok := og["og:image"].(string); !ok {
			t.Errorf("no thumbnail: %v", og)
		}
	})

	t.Run("limits and bad URLs", func(t *testing.T) {
		wantError(t, alice.Do(t, http.MethodGet, previewPath(web.URL+"/huge"), nil), http.StatusBadGateway, "M_TOO_LARGE")
		wantError(t, alice.Do(t, http.MethodGet, previewPath(web.URL+"/to-internal"), nil), http.StatusForbidden, "M_FORBIDDEN")
		wantError(t, alice.Do(t, http.MethodGet, previewPath("file:///etc/passwd"), nil), http.StatusBadRequest, "M_INVALID_PARAM")
		wantError(t, alice.Do(t, http.MethodGet, "/_matrix/client/v1/media/preview_url", nil), http.StatusBadRequest, "M_MISSING_PARAM")
		wantError(t, s.srv.Anonymous().Do(t, http.MethodGet, previewPath(web.URL+"/article"), nil), http.StatusUnauthorized, "M_MISSING_TOKEN")
	})
}

func TestURLPreviewsRefuseInternalAddresses(t *testing.T) {
	web, hits := site(t, pngImage(t, 8, 8))
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(web.URL, "http://"))
	s := start(t, testserver.Backends()[0], "local", func(cfg *config.Config) { cfg.Media.URLPreview.Enabled = true })
	alice := s.srv.NewUser(t, "alice")
	for _, u := range []string{
		web.URL + "/article",                    // a loopback address
		"http://localhost:" + port + "/article", // a name resolving to loopback: checked when dialled
		"http://[::ffff:127.0.0.1]:" + port + "/article",
		"http://2130706433:" + port + "/article", // 127.0.0.1 as one number
	} {
		resp := alice.Do(t, http.MethodGet, "/_matrix/client/v1/media/preview_url?url="+url.QueryEscape(u), nil)
		if resp.Status != http.StatusForbidden && resp.Status != http.StatusBadGateway {
			t.Errorf("%s: %d %s", u, resp.Status, resp.Body)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the internal site was reached %d times", n)
	}
}
