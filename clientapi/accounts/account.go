package accounts

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/internal/httpapi"
)

// https://spec.matrix.org/latest/client-server-api/#account-registration-and-management
func (a *Accounts) registerAccount(r *mux.Router) {
	httpapi.HandleClient(r, http.MethodGet, "/account/whoami", httpapi.Authenticated(a, a.getWhoami), httpapi.ClientR0V3)
}

// https://spec.matrix.org/latest/client-server-api/#get_matrixclientv3accountwhoami
func (a *Accounts) getWhoami(_ *http.Request, device *httpapi.Device) (any, error) {
	return map[string]any{
		"user_id":   device.UserID,
		"device_id": device.DeviceID,
		"is_guest":  device.IsGuest,
	}, nil
}
