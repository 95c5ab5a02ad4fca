package clientapi

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/spec/roomversion"
)

type enabledCapability struct {
	Enabled bool `json:"enabled"`
}

type roomVersionsCapability struct {
	Default   string            `json:"default"`
	Available map[string]string `json:"available"`
}

type capabilities struct {
	ChangePassword  enabledCapability      `json:"m.change_password"`
	RoomVersions    roomVersionsCapability `json:"m.room_versions"`
	SetDisplayname  enabledCapability      `json:"m.set_displayname"`
	SetAvatarURL    enabledCapability      `json:"m.set_avatar_url"`
	ThreePIDChanges enabledCapability      `json:"m.3pid_changes"`
	GetLoginToken   enabledCapability      `json:"m.get_login_token"`
}

// newCapabilities describes what this configuration lets users do. Third
// party identifiers are not kept, so they cannot be changed.
func newCapabilities(cfg config.Config) capabilities {
	available := map[string]string{}
	for _, v := range roomversion.All() {
		available[string(v.ID)] = string(v.Stability)
	}
	return capabilities{
		ChangePassword:  enabledCapability{true},
		RoomVersions:    roomVersionsCapability{Default: cfg.Rooms.DefaultVersion, Available: available},
		SetDisplayname:  enabledCapability{true},
		SetAvatarURL:    enabledCapability{true},
		ThreePIDChanges: enabledCapability{false},
		GetLoginToken:   enabledCapability{cfg.Auth.LoginToken.Enabled},
	}
}

// https://spec.matrix.org/latest/client-server-api/#get_matrixclientv3capabilities
func registerCapabilities(r *mux.Router, cfg config.Config, authn httpapi.Authenticator) {
	resp := map[string]capabilities{"capabilities": newCapabilities(cfg)}
	httpapi.HandleClient(r, http.MethodGet, "/capabilities", httpapi.Authenticated(authn, func(*http.Request, *httpapi.Device) (any, error) {
		return resp, nil
	}), httpapi.ClientR0V3)
}
