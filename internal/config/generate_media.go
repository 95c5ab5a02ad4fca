package config

import "text/template"

// mediaTemplate is the media section of the generated file, rendered with
// the Media value.
const mediaTemplate = `
media:
  # Where new uploads are stored: "local" (the directory below) or "s3"
  # (the bucket below). Media stored before a change stays readable where it
  # is; move it with POST /_ocomms/admin/v1/media/move (see README).
  store: {{printf "%q" .Store}}
  local:
    # Directory of the local store, relative to data_dir unless absolute.
    # Files are named by their SHA-256, so identical uploads share one file.
    path: {{printf "%q" .Local.Path}}
  s3:
    # S3-compatible object storage: host[:port] of the endpoint (no scheme),
    # such as s3.eu-west-1.amazonaws.com or minio.internal:9000.
    endpoint: {{printf "%q" .S3.Endpoint}}
    bucket: {{printf "%q" .S3.Bucket}}
    region: {{printf "%q" .S3.Region}}
    access_key_id: {{printf "%q" .S3.AccessKeyID}}
    # Prefer OCOMMS_MEDIA_S3_SECRET_ACCESS_KEY over writing it here.
    secret_access_key: {{printf "%q" .S3.SecretAccessKey}}
    # Prepended to every object key, so several servers can share a bucket.
    prefix: {{printf "%q" .S3.Prefix}}
    use_tls: {{.S3.UseTLS}}
  # Largest upload in bytes; bigger ones get 413 M_TOO_LARGE. Clients read
  # it from /_matrix/client/v1/media/config.
  max_upload_bytes: {{.MaxUploadBytes}}
  # Total bytes one user may store, unless an admin set their quota with
  # PUT /_synapse/admin/v1/users/{userId}/media_quota. 0 is unlimited.
  default_user_quota_bytes: {{.DefaultUserQuotaBytes}}
  # Total size of the distinct media of this server that one room's
  # messages and avatar refer to, unless an admin set the room's quota with
  # PUT /_ocomms/admin/v1/rooms/{roomId}/media_quota. A message that would
  # attach more is refused (403 M_FORBIDDEN). Media in encrypted rooms is
  # invisible to the server and not counted. 0 is unlimited.
  default_room_quota_bytes: {{.DefaultRoomQuotaBytes}}
  # Images with more pixels than this (all frames together for animations)
  # are never decoded, so a small file cannot exhaust memory.
  max_image_pixels: {{.MaxImagePixels}}
  # The deprecated unauthenticated /_matrix/media/{r0,v3}/download and
  # /thumbnail endpoints serve only media stored before this RFC 3339 time,
  # such as "2024-09-01T00:00:00Z" (set it to when you upgraded, for old
  # clients). Empty: they serve nothing, as the spec recommends.
  unauthenticated_before: {{printf "%q" .UnauthenticatedBefore}}
  # Media IDs reserved with POST /_matrix/media/v1/create: how many one user
  # may hold unused, and how long they wait for their upload.
  max_pending_uploads: {{.MaxPendingUploads}}
  unused_expiry: {{.UnusedExpiry}}
  # Uploads (and /create) per user; over it M_LIMIT_EXCEEDED.
  upload_rate_limit:
    per_second: {{.UploadRateLimit.PerSecond}}
    burst: {{.UploadRateLimit.Burst}}
  retention:
    # How often the sweep below runs (every instance runs it).
    interval: {{.Retention.Interval}}
    # Delete media uploaded here after this long, or when nobody downloaded
    # it for this long. 0 keeps it forever.
    local_max_age: {{.Retention.LocalMaxAge}}
    local_max_idle: {{.Retention.LocalMaxIdle}}
    # Drop cached copies of other servers' media not downloaded for this
    # long (they are fetched again when asked for). 0 keeps them.
    remote_max_idle: {{.Retention.RemoteMaxIdle}}
  url_preview:
    # Let clients ask the server for previews of URLs posted in rooms. The
    # server then fetches those URLs itself: loopback, private, link-local,
    # CGNAT and cloud metadata addresses are always refused, also through
    # redirects and DNS tricks, unless listed in allowed_ranges.
    enabled: {{.URLPreview.Enabled}}
    # CIDRs previews may reach although they are internal, such as
    # ["10.1.2.0/24"] for an intranet wiki. Empty is the safe choice.
    allowed_ranges: [{{range $i, $p := .URLPreview.AllowedRanges}}{{if $i}}, {{end}}{{printf "%q" $p}}{{end}}]
    # Largest page, oEmbed document or image fetched for a preview.
    max_bytes: {{.URLPreview.MaxBytes}}
    # Time limit of one preview, redirects and image included.
    timeout: {{.URLPreview.Timeout}}
    # How long a preview is reused before the URL is fetched again.
    cache_duration: {{.URLPreview.CacheDuration}}
    rate_limit:
      per_second: {{.URLPreview.RateLimit.PerSecond}}
      burst: {{.URLPreview.RateLimit.Burst}}
    # oEmbed endpoints asked about URLs matching their patterns (* matches
    # anything) instead of fetching the page.
    oembed_providers:{{range .URLPreview.OEmbedProviders}}
      - endpoint: {{printf "%q" .Endpoint}}
        url_patterns: [{{range $i, $p := .URLPatterns}}{{if $i}}, {{end}}{{printf "%q" $p}}{{end}}]{{else}} []{{end}}
`

// withMedia adds the media and push sections' templates to the file's.
func withMedia(t *template.Template) *template.Template {
	template.Must(t.New("media").Parse(mediaTemplate))
	template.Must(t.New("push").Parse(pushTemplate))
	return t
}
