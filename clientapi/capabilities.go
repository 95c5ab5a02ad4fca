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
	// ProfileFields lets clients change every profile field; the
	// deprecated m.set_displayname and m.set_avatar_url say the same.
	ProfileFields enabledCapability `json:"m.profile_fields"`
	// AccountModeration is only for server admins: the spec wants it
	// left out when its every flag would be false.
	AccountModeration *accountModerationCapability `json:"m.account_moderation,omitempty"`
}

// accountModerationCapability says which admin moderation endpoints the
// caller may use.
// https://spec.matrix.org/latest/client-server-api/#get_matrixclientv3capabilities
type accountModerationCapability struct {
	Suspend bool `json:"suspend"`
	Lock    bool `json:"lock"`
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
		ProfileFields:   enabledCapability{true},
	}
}

// https://spec.matrix.org/latest/client-server-api/#get_matrixclientv3capabilities
func registerCapabilities(r *mux.Router, cfg config.Config, authn httpapi.Authenticator) {
	caps := newCapabilities(cfg)
	admin := caps
	admin.AccountModeration = &accountModerationCapability{Suspend: true, Lock: true}
	httpapi.HandleClient(r, http.MethodGet, "/capabilities", httpapi.Authenticated(authn, func(_ *http.Request, dev *httpapi.Device) (any, error) {
		if dev.IsAdmin {
			return map[string]capabilities{"capabilities": admin}, nil
		}
		return map[string]capabilities{"capabilities": caps}, nil
	}), httpapi.ClientR0V3)
}
