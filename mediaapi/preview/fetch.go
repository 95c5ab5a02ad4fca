// Package preview builds URL previews: it fetches a page (or asks an
// oEmbed provider about it) and extracts OpenGraph properties, through an
// HTTP client that never reaches internal addresses and bounds the size
// and time of everything it fetches.
package preview

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/ocomms/ocomms/internal/netguard"
)

// Errors of a preview.
var (
	ErrTooLarge = errors.New("preview: the response is larger than the limit")
	ErrFetch    = errors.New("preview: the URL could not be fetched")
)

// maxRedirects bounds the redirects followed for one fetch.
const maxRedirects = 5

// Config bounds and directs previews.
type Config struct {
	// Allowed are internal ranges previews may reach anyway.
	Allowed  []netip.Prefix
	MaxBytes int64
	Timeout  time.Duration
	OEmbed   []Provider
	// UserAgent is sent with every request.
	UserAgent string
}

// Provider is an oEmbed endpoint and the URL patterns it describes.
type Provider struct {
	Patterns []string
	Endpoint string
}

type provider struct {
	patterns []*regexp.Regexp
	endpoint string
}

// Previewer fetches and parses pages for previews. It is safe for
// concurrent use.
type Previewer struct {
	cfg       Config
	client    *http.Client
	providers []provider
}

// New builds a previewer whose every connection goes through the address
// guard.
func New(cfg Config) (*Previewer, error) {
	transport := netguard.Guard{Allowed: cfg.Allowed}.Transport(cfg.Timeout)
	p := &Previewer{cfg: cfg, client: &http.Client{
		Transport: transport,
		Timeout:   cfg.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= maxRedirects {
				return fmt.Errorf("%w: more than %d redirects", ErrFetch, maxRedirects)
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return fmt.Errorf("%w: redirect to a %s URL", ErrFetch, req.URL.Scheme)
			}
			return nil
		},
	}}
	for _, prov := range cfg.OEmbed {
		pp := provider{endpoint: prov.Endpoint}
		for _, pat := range prov.Patterns {
			re, err := regexp.Compile("^" + strings.ReplaceAll(regexp.QuoteMeta(pat), `\*`, ".*") + "$")
			if err != nil {
				return nil, fmt.Errorf("oEmbed pattern %q: %w", pat, err)
			}
			pp.patterns = append(pp.patterns, re)
		}
		p.providers = append(p.providers, pp)
	}
	return p, nil
}

// CheckURL validates a URL a client asks to preview.
func CheckURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return nil, fmt.Errorf("preview: %q is not an http(s) URL", raw)
	}
	u.Fragment, u.RawFragment = "", ""
	return u, nil
}

// fetched is a bounded response.
type fetched struct {
	body        []byte
	contentType string
	url         *url.URL // after redirects
}

// get fetches u with the guard, reading at most MaxBytes.
func (p *Previewer) get(ctx context.Context, u *url.URL, accept string) (fetched, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fetched{}, fmt.Errorf("%w: %v", ErrFetch, err)
	}
	req.Header.Set("User-Agent", p.cfg.UserAgent)
	req.Header.Set("Accept", accept)
	resp, err := p.client.Do(req)
	if err != nil {
		if errors.Is(err, netguard.ErrForbiddenAddress) {
			return fetched{}, err
		}
		return fetched{}, fmt.Errorf("%w: %v", ErrFetch, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fetched{}, fmt.Errorf("%w: %s answered %d", ErrFetch, resp.Request.URL.Host, resp.StatusCode)
	}
	if resp.ContentLength > p.cfg.MaxBytes {
		return fetched{}, ErrTooLarge
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, p.cfg.MaxBytes+1))
	if err != nil {
		return fetched{}, fmt.Errorf("%w: %v", ErrFetch, err)
	}
	if int64(len(body)) > p.cfg.MaxBytes {
		return fetched{}, ErrTooLarge
	}
	return fetched{body: body, contentType: resp.Header.Get("Content-Type"), url: resp.Request.URL}, nil
}

// Image fetches an image a preview names, with the same guard and limits.
func (p *Previewer) Image(ctx context.Context, rawURL string) ([]byte, error) {
	u, err := CheckURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFetch, err)
	}
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	f, err := p.get(ctx, u, "image/*")
	return f.body, err
}
