package httpapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/ocomms/ocomms/spec/errcode"
)

// Device is the authenticated caller of a client endpoint: one access
// token of one device of one user.
type Device struct {
	UserID   string
	DeviceID string
	// SessionID identifies the access token (not the token itself), so a
	// logout can be told apart from a token that was never valid.
	SessionID int64
	IsGuest   bool
	IsAdmin   bool
	// Suspended accounts may read but not use the endpoints that
	// suspension.go lists; Authenticated refuses those.
	Suspended bool
	// AppServiceID is set when an application service acts as the user.
	AppServiceID string
}

// Authenticator resolves an access token. It returns an *errcode.Error
// (M_UNKNOWN_TOKEN, M_USER_LOCKED, ...) for tokens that do not grant
// access. The accounts component implements it; every component serving
// client endpoints uses it instead of reading the accounts tables.
type Authenticator interface {
	Authenticate(ctx context.Context, accessToken string, r *http.Request) (*Device, error)
}

// AccessToken extracts the token the spec allows in the Authorization
// header or, for older clients, the access_token query parameter.
// https://spec.matrix.org/latest/client-server-api/#using-access-tokens
func AccessToken(r *http.Request) (string, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
			return "", errcode.MissingToken("Authorization header is not a Bearer token")
		}
		return strings.TrimSpace(token), nil
	}
	if token := r.URL.Query().Get("access_token"); token != "" {
		return token, nil
	}
	return "", errcode.MissingToken("missing access token")
}

type deviceKey struct{}

// DeviceFrom returns the authenticated device of a request that went
// through Authenticated.
func DeviceFrom(ctx context.Context) *Device {
	d, _ := ctx.Value(deviceKey{}).(*Device)
	return d
}

// AuthedHandlerFunc is a client endpoint that needs an authenticated caller.
type AuthedHandlerFunc func(r *http.Request, device *Device) (any, error)

// Authenticated wraps h so it runs only for a valid access token, and not
// for a suspended account on an endpoint suspension forbids.
func Authenticated(authn Authenticator, h AuthedHandlerFunc) HandlerFunc {
	return func(r *http.Request) (any, error) {
		token, err := AccessToken(r)
		if err != nil {
			return nil, err
		}
		device, err := authn.Authenticate(r.Context(), token, r)
		if err != nil {
			return nil, err
		}
		if device.Suspended && forbiddenWhileSuspended(r) {
			return nil, errcode.UserSuspended("You cannot perform this action while suspended.")
		}
		r = r.WithContext(context.WithValue(r.Context(), deviceKey{}, device))
		return h(r, device)
	}
}
