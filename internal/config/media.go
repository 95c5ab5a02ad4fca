package config

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// Media configures the content repository (mediaapi): where uploads are
// stored, how large they may be, thumbnails, retention and URL previews.
type Media struct {
	// Store is where new uploads are written: "local" or "s3". Media
	// already stored elsewhere stays readable there until moved with the
	// admin API.
	Store string  `yaml:"store"`
	Local MediaFS `yaml:"local"`
	S3    MediaS3 `yaml:"s3"`
	// MaxUploadBytes is the largest upload accepted (M_TOO_LARGE above).
	MaxUploadBytes int64 `yaml:"max_upload_bytes"`
	// DefaultUserQuotaBytes bounds what one user may store in total
	// unless an admin set another quota for them; 0 is unlimited.
	DefaultUserQuotaBytes int64 `yaml:"default_user_quota_bytes"`
	// DefaultRoomQuotaBytes bounds the total size of the distinct local
	// media a room's events refer to, unless an admin set another quota
	// for the room; 0 is unlimited.
	DefaultRoomQuotaBytes int64 `yaml:"default_room_quota_bytes"`
	// MaxImagePixels is the largest image (width x height, all frames
	// of an animation together) the server decodes to make thumbnails.
	MaxImagePixels int64 `yaml:"max_image_pixels"`
	// UnauthenticatedBefore keeps the deprecated unauthenticated download
	// and thumbnail endpoints working for media stored before this
	// instant (RFC 3339). Empty: they serve nothing ("frozen").
	UnauthenticatedBefore string `yaml:"unauthenticated_before"`
	// MaxPendingUploads is how many media IDs from /create one user may
	// hold unused at once; UnusedExpiry how long such an ID waits.
	MaxPendingUploads int           `yaml:"max_pending_uploads"`
	UnusedExpiry      time.Duration `yaml:"unused_expiry"`
	// UploadRateLimit bounds uploads and /create per user.
	UploadRateLimit RateLimit      `yaml:"upload_rate_limit"`
	Retention       MediaRetention `yaml:"retention"`
	URLPreview      URLPreview     `yaml:"url_preview"`
}

// MediaFS is the local filesystem store.
type MediaFS struct {
	// Path is relative to DataDir unless absolute.
	Path string `yaml:"path"`
}

// MediaS3 is an S3-compatible object store (AWS S3, MinIO, Ceph, R2...).
type MediaS3 struct {
	// Endpoint is host[:port], such as s3.eu-west-1.amazonaws.com.
	Endpoint        string `yaml:"endpoint"`
	Bucket          string `yaml:"bucket"`
	Region          string `yaml:"region"`
	AccessKeyID     string `yaml:"access_key_id"`
	SecretAccessKey string `yaml:"secret_access_key"`
	// Prefix is prepended to every object key, to share a bucket.
	Prefix string `yaml:"prefix"`
	// UseTLS talks HTTPS to the endpoint.
	UseTLS bool `yaml:"use_tls"`
}

// Configured reports whether an S3 store is set up.
func (s MediaS3) Configured() bool { return s.Endpoint != "" && s.Bucket != "" }

// MediaRetention deletes media nobody needs any more. Zero durations
// keep media forever.
type MediaRetention struct {
	// Interval is how often the retention sweep runs.
	Interval time.Duration `yaml:"interval"`
	// LocalMaxAge deletes media uploaded here longer ago than this.
	LocalMaxAge time.Duration `yaml:"local_max_age"`
	// LocalMaxIdle deletes media uploaded here and not downloaded for
	// this long.
	LocalMaxIdle time.Duration `yaml:"local_max_idle"`
	// RemoteMaxIdle expires cached copies of other servers' media not
	// downloaded for this long; they are fetched again when asked for.
	RemoteMaxIdle time.Duration `yaml:"remote_max_idle"`
}

// URLPreview configures /preview_url. Off by default: the server fetches
// URLs that users post, which an operator must choose to allow.
type URLPreview struct {
	Enabled bool `yaml:"enabled"`
	// AllowedRanges are CIDRs previews may fetch from although they are
	// loopback, private, link-local or otherwise internal; everything
	// internal is refused otherwise.
	AllowedRanges []string `yaml:"allowed_ranges"`
	// MaxBytes bounds every page, oEmbed document and image fetched.
	MaxBytes int64 `yaml:"max_bytes"`
	// Timeout bounds a whole preview, redirects and image included.
	Timeout time.Duration `yaml:"timeout"`
	// CacheDuration is how long a preview is reused.
	CacheDuration time.Duration `yaml:"cache_duration"`
	// RateLimit bounds previews per user.
	RateLimit RateLimit `yaml:"rate_limit"`
	// OEmbedProviders are asked instead of the page itself for URLs that
	// match one of their patterns.
	OEmbedProviders []OEmbedProvider `yaml:"oembed_providers"`
}

// OEmbedProvider is an oEmbed endpoint and the URLs it describes.
// https://oembed.com/#section7
type OEmbedProvider struct {
	// URLPatterns are URLs with * wildcards, such as
	// https://www.youtube.com/watch*.
	URLPatterns []string `yaml:"url_patterns"`
	// Endpoint is the provider's JSON oEmbed endpoint.
	Endpoint string `yaml:"endpoint"`
}

// AllowedPrefixes parses AllowedRanges.
func (u URLPreview) AllowedPrefixes() ([]netip.Prefix, error) {
	return parsePrefixes(u.AllowedRanges)
}

// UnauthenticatedCutoff parses UnauthenticatedBefore; the zero time
// means every piece of media is frozen.
func (m Media) UnauthenticatedCutoff() (time.Time, error) {
	if m.UnauthenticatedBefore == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, m.UnauthenticatedBefore)
	if err != nil {
		return time.Time{}, fmt.Errorf("must be an RFC 3339 time such as 2024-09-01T00:00:00Z, got %q", m.UnauthenticatedBefore)
	}
	return t, nil
}

func defaultMedia() Media {
	return Media{
		Store:             "local",
		Local:             MediaFS{Path: "media"},
		S3:                MediaS3{UseTLS: true},
		MaxUploadBytes:    50 << 20,
		MaxImagePixels:    32_000_000,
		MaxPendingUploads: 5,
		UnusedExpiry:      24 * time.Hour,
		UploadRateLimit:   RateLimit{PerSecond: 1, Burst: 20},
		Retention:         MediaRetention{Interval: time.Hour, RemoteMaxIdle: 90 * 24 * time.Hour},
		URLPreview: URLPreview{
			AllowedRanges: []string{},
			MaxBytes:      10 << 20,
			Timeout:       10 * time.Second,
			CacheDuration: time.Hour,
			RateLimit:     RateLimit{PerSecond: 1, Burst: 10},
			OEmbedProviders: []OEmbedProvider{
				{URLPatterns: []string{"https://www.youtube.com/watch*", "https://youtu.be/*", "https://www.youtube.com/shorts/*"}, Endpoint: "https://www.youtube.com/oembed"},
				{URLPatterns: []string{"https://vimeo.com/*"}, Endpoint: "https://vimeo.com/api/oembed.json"},
				{URLPatterns: []string{"https://soundcloud.com/*"}, Endpoint: "https://soundcloud.com/oembed"},
			},
		},
	}
}

// validate reports the media section's problems through bad.
func (m Media) validate(bad func(key, format string, args ...any)) {
	switch m.Store {
	case "local":
		if m.Local.Path == "" {
			bad("media.local.path", "must not be empty when media.store is local")
		}
	case "s3":
		if !m.S3.Configured() {
			bad("media.s3.endpoint", "media.s3.endpoint and media.s3.bucket must be set when media.store is s3")
		}
	default:
		bad("media.store", `must be "local" or "s3", got %q`, m.Store)
	}
	if m.S3.Endpoint != "" && strings.Contains(m.S3.Endpoint, "://") {
		bad("media.s3.endpoint", "must be host[:port] without a scheme (use media.s3.use_tls), got %q", m.S3.Endpoint)
	}
	if m.MaxUploadBytes < 1024 {
		bad("media.max_upload_bytes", "must be at least 1024, got %d", m.MaxUploadBytes)
	}
	if m.DefaultUserQuotaBytes < 0 {
		bad("media.default_user_quota_bytes", "must not be negative (0 is unlimited), got %d", m.DefaultUserQuotaBytes)
	}
	if m.DefaultRoomQuotaBytes < 0 {
		bad("media.default_room_quota_bytes", "must not be negative (0 is unlimited), got %d", m.DefaultRoomQuotaBytes)
	}
	if m.MaxImagePixels < 1_000_000 {
		bad("media.max_image_pixels", "must be at least 1000000, got %d", m.MaxImagePixels)
	}
	if _, err := m.UnauthenticatedCutoff(); err != nil {
		bad("media.unauthenticated_before", "%v", err)
	}
	if m.MaxPendingUploads < 1 {
		bad("media.max_pending_uploads", "must be at least 1, got %d", m.MaxPendingUploads)
	}
	if m.UnusedExpiry < time.Minute {
		bad("media.unused_expiry", "must be at least 1m")
	}
	for key, rl := range map[string]RateLimit{"upload_rate_limit": m.UploadRateLimit, "url_preview.rate_limit": m.URLPreview.RateLimit} {
		if rl.PerSecond <= 0 || rl.Burst < 1 {
			bad("media."+key, "per_second must be positive and burst at least 1")
		}
	}
	r := m.Retention
	if r.Interval < time.Minute {
		bad("media.retention.interval", "must be at least 1m")
	}
	for key, d := range map[string]time.Duration{"local_max_age": r.LocalMaxAge, "local_max_idle": r.LocalMaxIdle, "remote_max_idle": r.RemoteMaxIdle} {
		if d != 0 && d < time.Hour {
			bad("media.retention."+key, "must be 0 (keep forever) or at least 1h, got %s", d)
		}
	}
	p := m.URLPreview
	if _, err := p.AllowedPrefixes(); err != nil {
		bad("media.url_preview.allowed_ranges", "%v", err)
	}
	if p.MaxBytes < 1024 {
		bad("media.url_preview.max_bytes", "must be at least 1024, got %d", p.MaxBytes)
	}
	if p.Timeout <= 0 {
		bad("media.url_preview.timeout", "must be positive")
	}
	if p.CacheDuration < 0 {
		bad("media.url_preview.cache_duration", "must not be negative")
	}
	for i, prov := range p.OEmbedProviders {
		key := fmt.Sprintf("media.url_preview.oembed_providers[%d]", i)
		if u, err := url.Parse(prov.Endpoint); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			bad(key+".endpoint", "must be an http(s) URL, got %q", prov.Endpoint)
		}
		if len(prov.URLPatterns) == 0 {
			bad(key+".url_patterns", "must list at least one URL pattern")
		}
	}
}
