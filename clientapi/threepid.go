package clientapi

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/spec/errcode"
)

// This server keeps no third-party identifiers (email addresses, phone
// numbers): it sends no email or SMS to validate them and talks to no
// identity server. The endpoints that manage them answer what is true
// for such a server, as Synapse does without email configuration and with
// enable_3pid_changes off, and m.3pid_changes is false in /capabilities
// so clients do not offer them. Nothing answers success for what was not
// done.
//
// https://spec.matrix.org/latest/client-server-api/#adding-account-administrative-contact-information
func registerThreePID(r *mux.Router, authn httpapi.Authenticator) {
	authed := func(method, path string, h httpapi.AuthedHandlerFunc) {
		httpapi.HandleClient(r, method, path, httpapi.Authenticated(authn, func(req *http.Request, dev *httpapi.Device) (any, error) {
			if dev.IsGuest {
				return nil, errcode.GuestAccessForbidden("guest accounts have no third-party identifiers")
			}
			return h(req, dev)
		}), httpapi.ClientR0V3)
	}
	authed(http.MethodGet, "/account/3pid", func(*http.Request, *httpapi.Device) (any, error) {
		return map[string][]any{"threepids": {}}, nil
	})
	// POST /account/3pid is the deprecated form of /account/3pid/add.
	authed(http.MethodPost, "/account/3pid", func(req *http.Request, _ *httpapi.Device) (any, error) {
		var body map[string]any
		if err := httpapi.DecodeJSON(req, &body); err != nil {
			return nil, err
		}
		return nil, errThreePIDChanges
	})
	authed(http.MethodPost, "/account/3pid/add", func(req *http.Request, _ *httpapi.Device) (any, error) {
		var body struct {
			ClientSecret *string `json:"client_secret"`
			SID          *string `json:"sid"`
		}
		if err := httpapi.DecodeJSON(req, &body); err != nil {
			return nil, err
		}
		if err := requireParams(param{"client_secret", body.ClientSecret}, param{"sid", body.SID}); err != nil {
			return nil, err
		}
		return nil, errThreePIDChanges
	})
	authed(http.MethodPost, "/account/3pid/bind", func(req *http.Request, _ *httpapi.Device) (any, error) {
		var body struct {
			ClientSecret  *string `json:"client_secret"`
			IDServer      *string `json:"id_server"`
			IDAccessToken *string `json:"id_access_token"`
			SID           *string `json:"sid"`
		}
		if err := httpapi.DecodeJSON(req, &body); err != nil {
			return nil, err
		}
		if err := requireParams(param{"client_secret", body.ClientSecret}, param{"id_server", body.IDServer},
			param{"id_access_token", body.IDAccessToken}, param{"sid", body.SID}); err != nil {
			return nil, err
		}
		return nil, errNoIdentityServer
	})
	authed(http.MethodPost, "/account/3pid/delete", func(req *http.Request, _ *httpapi.Device) (any, error) {
		if _, err := decodeThreePIDRef(req); err != nil {
			return nil, err
		}
		return nil, errThreePIDChanges
	})
	authed(http.MethodPost, "/account/3pid/unbind", func(req *http.Request, _ *httpapi.Device) (any, error) {
		ref, err := decodeThreePIDRef(req)
		if err != nil {
			return nil, err
		}
		if ref.IDServer != nil {
			return nil, errNoIdentityServer
		}
		// The spec's answer when the homeserver does not know which
		// identity server the address was bound through: it never
		// bound one, so it knows none.
		return map[string]string{"id_server_unbind_result": "no-support"}, nil
	})
	authed(http.MethodPost, "/account/3pid/email/requestToken", requestToken(emailToken,
		errcode.New(errcode.CodeThreePIDMediumNotSupported, "adding an email address is not supported on this server")))
	authed(http.MethodPost, "/account/3pid/msisdn/requestToken", requestToken(msisdnToken,
		errcode.New(errcode.CodeThreePIDMediumNotSupported, "adding a phone number is not supported on this server")))

	// Registration and password resets by email or phone, called before
	// the user has an access token.
	denied := errcode.New(errcode.CodeThreePIDDenied, "third-party identifiers are not enabled on this server")
	for path, kind := range map[string]tokenKind{
		"/register/email/requestToken":          emailToken,
		"/register/msisdn/requestToken":         msisdnToken,
		"/account/password/email/requestToken":  emailToken,
		"/account/password/msisdn/requestToken": msisdnToken,
	} {
		h := requestToken(kind, denied)
		httpapi.HandleClient(r, http.MethodPost, path, httpapi.HandlerFunc(func(req *http.Request) (any, error) {
			return h(req, nil)
		}), httpapi.ClientR0V3)
	}
}

var (
	errThreePIDChanges  = errcode.New(errcode.CodeForbidden, "third-party identifier changes are disabled on this server").WithStatus(http.StatusBadRequest)
	errNoIdentityServer = errcode.New(errcode.CodeServerNotTrusted, "this server does not use identity servers")
)

// threePIDRef names one of the user's third-party identifiers.
type threePIDRef struct {
	IDServer *string `json:"id_server"`
	Medium   *string `json:"medium"`
	Address  *string `json:"address"`
}

func decodeThreePIDRef(req *http.Request) (threePIDRef, error) {
	var ref threePIDRef
	if err := httpapi.DecodeJSON(req, &ref); err != nil {
		return ref, err
	}
	if err := requireParams(param{"medium", ref.Medium}, param{"address", ref.Address}); err != nil {
		return ref, err
	}
	if *ref.Medium != "email" && *ref.Medium != "msisdn" {
		return ref, errcode.InvalidParam(`medium must be "email" or "msisdn"`)
	}
	return ref, nil
}

type tokenKind int

const (
	emailToken tokenKind = iota
	msisdnToken
)

// requestToken checks a requestToken body (request_email_validation or
// request_msisdn_validation) and answers refusal: no validation message
// is ever sent.
func requestToken(kind tokenKind, refusal error) httpapi.AuthedHandlerFunc {
	return func(req *http.Request, _ *httpapi.Device) (any, error) {
		var body struct {
			ClientSecret *string `json:"client_secret"`
			SendAttempt  *int64  `json:"send_attempt"`
			Email        *string `json:"email"`
			Country      *string `json:"country"`
			PhoneNumber  *string `json:"phone_number"`
		}
		if err := httpapi.DecodeJSON(req, &body); err != nil {
			return nil, err
		}
		params := []param{{"client_secret", body.ClientSecret}, {"email", body.Email}}
		if kind == msisdnToken {
			params = []param{{"client_secret", body.ClientSecret}, {"country", body.Country}, {"phone_number", body.PhoneNumber}}
		}
		if err := requireParams(params...); err != nil {
			return nil, err
		}
		if body.SendAttempt == nil {
			return nil, errcode.MissingParam("missing send_attempt")
		}
		return nil, refusal
	}
}

// param is a required string parameter of a request body.
type param struct {
	name  string
	value *string
}

// requireParams answers M_MISSING_PARAM for the first absent or empty one.
func requireParams(params ...param) error {
	for _, p := range params {
		if p.value == nil || *p.value == "" {
			return errcode.MissingParam("missing " + p.name)
		}
	}
	return nil
}
