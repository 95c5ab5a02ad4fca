package mediaapi

import (
	"mime"
	"strings"

	"github.com/gabriel-vasile/mimetype"
)

// detectType is the content type stored for an upload: what the bytes
// are, never just what the client claimed. The claim is kept only where
// the bytes cannot tell the difference and the claim is harmless: a
// text/* subtype (text/markdown, text/csv) for bytes that are plain
// text. Bytes of no known format are application/octet-stream, as the
// spec allows for "obviously wrong" claims such as an encrypted file
// sent as image/png.
// https://spec.matrix.org/latest/client-server-api/#get_matrixclientv1mediadownloadservernamemediaid
func detectType(head []byte, claimed string) string {
	detected := mimetype.Detect(head)
	base, _, _ := mime.ParseMediaType(claimed)
	base = strings.ToLower(base)
	if detected.Is("text/plain") && strings.HasPrefix(base, "text/") && !activeType(base) {
		if _, params, err := mime.ParseMediaType(detected.String()); err == nil && params["charset"] != "" {
			return mime.FormatMediaType(base, map[string]string{"charset": params["charset"]})
		}
		return base
	}
	if base != "" && detected.Is(base) {
		// The claim names the same type, perhaps by an alias: keep the
		// detected parameters (charset) with the canonical name.
		return detected.String()
	}
	return detected.String()
}

// activeType reports types a browser would run: never inline, never
// trusted from a claim.
func activeType(base string) bool {
	switch base {
	case "text/html", "application/xhtml+xml", "image/svg+xml", "text/javascript", "application/javascript",
		"application/ecmascript", "text/ecmascript", "text/xml", "application/xml", "text/xsl":
		return true
	}
	return false
}

// inlineTypes are the only types served with Content-Disposition inline.
// https://spec.matrix.org/latest/client-server-api/#serving-inline-content
var inlineTypes = map[string]bool{
	"text/css": true, "text/plain": true, "text/csv": true, "application/json": true, "application/ld+json": true,
	"image/jpeg": true, "image/gif": true, "image/png": true, "image/apng": true, "image/webp": true, "image/avif": true,
	"video/mp4": true, "video/webm": true, "video/ogg": true, "video/quicktime": true,
	"audio/mp4": true, "audio/webm": true, "audio/aac": true, "audio/mpeg": true, "audio/ogg": true,
	"audio/wave": true, "audio/wav": true, "audio/x-wav": true, "audio/x-pn-wav": true, "audio/flac": true, "audio/x-flac": true,
}

func servedInline(contentType string) bool {
	base, _, err := mime.ParseMediaType(contentType)
	return err == nil && inlineTypes[strings.ToLower(base)]
}

// thumbnailable are the stored types the thumbnailer decodes.
func thumbnailable(contentType string) bool {
	switch baseType(contentType) {
	case "image/jpeg", "image/png", "image/gif", "image/webp", "image/apng":
		return true
	}
	return false
}

func baseType(contentType string) string {
	base, _, _ := mime.ParseMediaType(contentType)
	return strings.ToLower(base)
}

// contentDisposition builds the header with the file name quoted as RFC
// 6266 requires: a quoted ASCII filename when it is plain, filename* in
// UTF-8 percent-encoding otherwise.
// https://www.rfc-editor.org/rfc/rfc6266#section-4.3
func contentDisposition(disposition, filename string) string {
	if filename == "" {
		return disposition
	}
	plain := true
	for _, r := range filename {
		if r < 0x20 || r >= 0x7f || r == '"' || r == '\\' || r == '%' {
			plain = false
			break
		}
	}
	if plain {
		return disposition + `; filename="` + filename + `"`
	}
	var b strings.Builder
	for _, c := range []byte(filename) {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
		} else {
			b.WriteString("%" + strings.ToUpper(string("0123456789abcdef"[c>>4])+string("0123456789abcdef"[c&15])))
		}
	}
	return disposition + "; filename*=utf-8''" + b.String()
}
