package mediaapi

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/internal/httpapi"
)

func (m *MediaAPI) registerConfig(r *mux.Router) {
	h := httpapi.Authenticated(m.authn, m.mediaConfig)
	httpapi.HandleClient(r, http.MethodGet, "/media/config", h, httpapi.ClientV1)
	handleMedia(r, http.MethodGet, "/config", h, "r0", "v3")
}

// mediaConfig is GET /_matrix/client/v1/media/config.
// https://spec.matrix.org/latest/client-server-api/#get_matrixclientv1mediaconfig
func (m *MediaAPI) mediaConfig(*http.Request, *httpapi.Device) (any, error) {
	return map[string]int64{"m.upload.size": m.cfg.Media.MaxUploadBytes}, nil
}
