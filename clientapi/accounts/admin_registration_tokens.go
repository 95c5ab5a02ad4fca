package accounts

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/spec/errcode"
)

// The registration token admin API is Synapse's, so the admin tools built
// for it work here.
// https://element-hq.github.io/synapse/latest/usage/administration/admin_api/registration_tokens.html
func (a *Accounts) registerRegistrationTokens(r *mux.Router) {
	const base = "/_synapse/admin/v1/registration_tokens"
	r.Handle(base, a.admin(a.listRegistrationTokens)).Methods(http.MethodGet)
	r.Handle(base+"/new", a.admin(a.createRegistrationToken)).Methods(http.MethodPost)
	r.Handle(base+"/{token}", a.admin(a.getRegistrationToken)).Methods(http.MethodGet)
	r.Handle(base+"/{token}", a.admin(a.updateRegistrationToken)).Methods(http.MethodPut)
	r.Handle(base+"/{token}", a.admin(a.deleteRegistrationToken)).Methods(http.MethodDelete)
}

// admin wraps a handler that only server admins may call.
func (a *Accounts) admin(h httpapi.AuthedHandlerFunc) httpapi.HandlerFunc {
	return httpapi.Authenticated(a, func(r *http.Request, device *httpapi.Device) (any, error) {
		if !device.IsAdmin {
			return nil, errcode.Forbidden("You are not a server admin")
		}
		return h(r, device)
	})
}

func (a *Accounts) listRegistrationTokens(r *http.Request, _ *httpapi.Device) (any, error) {
	var valid *bool
	switch r.URL.Query().Get("valid") {
	case "":
	case "true":
		v := true
		valid = &v
	case "false":
		v := false
		valid = &v
	default:
		return nil, errcode.InvalidParam("valid must be true or false")
	}
	tokens, err := a.ListRegistrationTokens(r.Context(), valid)
	if err != nil {
		return nil, err
	}
	return map[string]any{"registration_tokens": tokens}, nil
}

func (a *Accounts) getRegistrationToken(r *http.Request, _ *httpapi.Device) (any, error) {
	t, err := a.GetRegistrationToken(r.Context(), httpapi.Vars(r)["token"])
	if errors.Is(err, ErrTokenNotFound) {
		return nil, errcode.NotFound("No such registration token: " + httpapi.Vars(r)["token"])
	}
	return t, err
}

// optionalInt reads a member that may be absent, null or a non-negative
// integer; set reports whether it was given at all.
func optionalInt(raw json.RawMessage, name string) (v *int64, set bool, err error) {
	if len(raw) == 0 {
		return nil, false, nil
	}
	if string(raw) == "null" {
		return nil, true, nil
	}
	var n int64
	if err := json.Unmarshal(raw, &n); err != nil || n < 0 {
		return nil, true, errcode.InvalidParam(name + " must be a non-negative integer or null")
	}
	return &n, true, nil
}

type tokenRequest struct {
	Token       json.RawMessage `json:"token"`
	Length      json.RawMessage `json:"length"`
	UsesAllowed json.RawMessage `json:"uses_allowed"`
	ExpiryTime  json.RawMessage `json:"expiry_time"`
}

func (a *Accounts) createRegistrationToken(r *http.Request, _ *httpapi.Device) (any, error) {
	var req tokenRequest
	if err := httpapi.DecodeJSON(r, &req); err != nil {
		return nil, err
	}
	var n NewRegistrationToken
	if _, err := field(req.Token, "token", &n.Token); err != nil {
		return nil, errcode.InvalidParam("token must be a string")
	}
	length, lengthSet, err := optionalInt(req.Length, "length")
	if err != nil || lengthSet && (length == nil || *length < 1) {
		return nil, errcode.InvalidParam("length must be an integer between 1 and 64")
	}
	if length != nil {
		n.Length = int(min(*length, 65))
	}
	if n.UsesAllowed, _, err = optionalInt(req.UsesAllowed, "uses_allowed"); err != nil {
		return nil, err
	}
	if n.ExpiryTime, _, err = optionalInt(req.ExpiryTime, "expiry_time"); err != nil {
		return nil, err
	}
	if err := ValidateNewRegistrationToken(n, nowMs()); err != nil {
		return nil, errcode.InvalidParam(err.Error())
	}
	t, err := a.CreateRegistrationToken(r.Context(), n)
	if errors.Is(err, ErrTokenExists) {
		return nil, errcode.InvalidParam("Token already exists")
	}
	return t, err
}

func (a *Accounts) updateRegistrationToken(r *http.Request, _ *httpapi.Device) (any, error) {
	var req tokenRequest
	if err := httpapi.DecodeJSON(r, &req); err != nil {
		return nil, err
	}
	var u RegistrationTokenUpdate
	var set bool
	var err error
	if u.UsesAllowed, set, err = optionalInt(req.UsesAllowed, "uses_allowed"); err != nil {
		return nil, err
	}
	u.ClearUsesAllowed = set && u.UsesAllowed == nil
	if u.ExpiryTime, set, err = optionalInt(req.ExpiryTime, "expiry_time"); err != nil {
		return nil, err
	}
	u.ClearExpiryTime = set && u.ExpiryTime == nil
	if u.ExpiryTime != nil && *u.ExpiryTime < nowMs() {
		return nil, errcode.InvalidParam("expiry_time must not be in the past")
	}
	t, err := a.UpdateRegistrationToken(r.Context(), httpapi.Vars(r)["token"], u)
	if errors.Is(err, ErrTokenNotFound) {
		return nil, errcode.NotFound("No such registration token: " + httpapi.Vars(r)["token"])
	}
	return t, err
}

func (a *Accounts) deleteRegistrationToken(r *http.Request, _ *httpapi.Device) (any, error) {
	err := a.DeleteRegistrationToken(r.Context(), httpapi.Vars(r)["token"])
	if errors.Is(err, ErrTokenNotFound) {
		return nil, errcode.NotFound("No such registration token: " + httpapi.Vars(r)["token"])
	}
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}
