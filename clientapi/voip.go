package clientapi

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/spec/errcode"
)

type turnServerResponse struct {
	Username string   `json:"username"`
	Password string   `json:"password"`
	URIs     []string `json:"uris"`
	TTL      int64    `json:"ttl"`
}

// registerVoIP mounts GET /voip/turnServer.
// https://spec.matrix.org/latest/client-server-api/#get_matrixclientv3voipturnserver
func registerVoIP(r *mux.Router, cfg config.TURN, authn httpapi.Authenticator) {
	httpapi.HandleClient(r, http.MethodGet, "/voip/turnServer", httpapi.Authenticated(authn,
		func(_ *http.Request, dev *httpapi.Device) (any, error) {
			return turnCredentials(cfg, dev, time.Now())
		}), httpapi.ClientR0V3)
}

// turnCredentials are the credentials of dev's user at now. Without a
// TURN server the answer is 404 M_NOT_FOUND (MSC4166): the spec's
// response has required fields, so an empty object (Synapse's answer)
// is not one. A refused guest gets 403, after which matrix-js-sdk stops
// asking instead of retrying every few minutes.
func turnCredentials(cfg config.TURN, dev *httpapi.Device, now time.Time) (any, error) {
	if !cfg.Configured() {
		return nil, errcode.NotFound("no TURN server is configured")
	}
	if dev.IsGuest && !cfg.AllowGuests {
		return nil, errcode.Forbidden("guest accounts may not use the TURN server")
	}
	ttl := int64(cfg.UserLifetime / time.Second)
	resp := turnServerResponse{URIs: slices.Clone(cfg.URIs), TTL: ttl, Username: cfg.Username, Password: cfg.Password}
	if cfg.SharedSecret != "" {
		// The TURN REST API scheme coturn checks with use-auth-secret:
		// the username carries its own expiry, the password proves the
		// homeserver issued it.
		resp.Username = strconv.FormatInt(now.Unix()+ttl, 10) + ":" + dev.UserID
		resp.Password = turnPassword(cfg.SharedSecret, resp.Username)
	}
	return resp, nil
}

// turnPassword is base64(HMAC-SHA1(secret, username)), the password a TURN
// server with that static-auth-secret expects for username.
func turnPassword(secret, username string) string {
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write([]byte(username))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
