package mediaapi_test

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/internal/testserver"
)

// Guests may download and thumbnail through the authenticated media
// endpoints (Matrix v1.12, MSC4189).
func TestGuestsDownloadAndThumbnailAuthenticatedMedia(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		s := start(t, b, "local", func(cfg *config.Config) { cfg.Registration.GuestAccess = true })
		alice := s.srv.NewUser(t, "alice")
		data := pngImage(t, 64, 64)
		server, mediaID := upload(t, alice, data, "image/png", "pic.png")

		res := s.srv.Anonymous().MustDo(t, http.MethodPost, "/_matrix/client/v3/register?kind=guest", map[string]any{}, http.StatusOK)
		guest := s.srv.Anonymous()
		guest.AccessToken, _ = res["access_token"].(string)

		download := raw(t, guest, http.MethodGet, "/_matrix/client/v1/media/download/"+server+"/"+mediaID, nil, nil)
		if download.Status != http.StatusOK || !bytes.Equal(download.Body, data) {
			t.Fatalf("guest download: %d (%d bytes)", download.Status, len(download.Body))
		}
		thumb := raw(t, guest, http.MethodGet, "/_matrix/client/v1/media/thumbnail/"+server+"/"+mediaID+"?width=32&height=32&method=scale", nil, nil)
		if thumb.Status != http.StatusOK || thumb.Header.Get("Content-Type") != "image/png" {
			t.Fatalf("guest thumbnail: %d %s %s", thumb.Status, thumb.Header.Get("Content-Type"), thumb.Body)
		}
		// Without a token the authenticated endpoints still refuse.
		wantError(t, raw(t, s.srv.Anonymous(), http.MethodGet, "/_matrix/client/v1/media/download/"+server+"/"+mediaID, nil, nil), 401, "M_MISSING_TOKEN")
	})
}
