package errcode

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Error is a standard error response: what a handler returns for the HTTP
// layer to write, and what a client of another server gets back.
//
// https://spec.matrix.org/latest/client-server-api/#standard-error-response
type Error struct {
	Code    Code
	Message string
	// HTTPStatus is the status to answer with; 0 means Code.DefaultStatus().
	HTTPStatus int
	// Extra holds the additional keys some codes define, such as
	// retry_after_ms or soft_logout. It cannot replace errcode or error.
	Extra map[string]any
}

// ErrMalformedResponse is returned when decoding a body that is not a
// standard error response.
var ErrMalformedResponse = errors.New("errcode: not a standard error response")

// New returns an error with code, message and the code's default status.
func New(code Code, message string) *Error {
	return &Error{Code: code, Message: message, HTTPStatus: code.DefaultStatus()}
}

// Newf is [New] with a formatted message.
func Newf(code Code, format string, args ...any) *Error {
	return New(code, fmt.Sprintf(format, args...))
}

func (e *Error) Error() string {
	if e.Message == "" {
		return string(e.Code)
	}
	return string(e.Code) + ": " + e.Message
}

// Status is the HTTP status to answer with.
func (e *Error) Status() int {
	if e.HTTPStatus != 0 {
		return e.HTTPStatus
	}
	return e.Code.DefaultStatus()
}

// Is matches another *Error or a Code by code alone, so that
// errors.Is(err, errcode.CodeNotFound) and errors.Is(err,
// errcode.NotFound("")) hold for any M_NOT_FOUND error, whatever its
// message or status.
func (e *Error) Is(target error) bool {
	switch t := target.(type) {
	case Code:
		return e.Code == t
	case *Error:
		return t != nil && e.Code == t.Code
	}
	return false
}

// WithStatus returns a copy of e answered with another HTTP status, for
// endpoints that use a code with a status other than its usual one.
func (e *Error) WithStatus(status int) *Error {
	c := e.clone()
	c.HTTPStatus = status
	return c
}

// With returns a copy of e with one more key in the response body.
func (e *Error) With(key string, value any) *Error {
	c := e.clone()
	c.Extra[key] = value
	return c
}

func (e *Error) clone() *Error {
	c := *e
	c.Extra = make(map[string]any, len(e.Extra)+1)
	for k, v := range e.Extra {
		c.Extra[k] = v
	}
	return &c
}

// MarshalJSON writes {"errcode": ..., "error": ..., ...Extra}. The spec
// requires both errcode and error, so they are always present and win
// over keys of the same name in Extra.
func (e *Error) MarshalJSON() ([]byte, error) {
	body := make(map[string]any, len(e.Extra)+2)
	for k, v := range e.Extra {
		body[k] = v
	}
	body["errcode"] = e.Code
	body["error"] = e.Message
	return json.Marshal(body)
}

// UnmarshalJSON reads a standard error response, as a remote server or an
// application service sends it, keeping unknown keys in Extra. The HTTP
// status is not in the body; the caller sets it.
func (e *Error) UnmarshalJSON(data []byte) error {
	var body map[string]json.RawMessage
	if err := json.Unmarshal(data, &body); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformedResponse, err)
	}
	var code, message string
	if err := json.Unmarshal(body["errcode"], &code); err != nil || code == "" {
		return fmt.Errorf("%w: no errcode string", ErrMalformedResponse)
	}
	if raw, ok := body["error"]; ok {
		if err := json.Unmarshal(raw, &message); err != nil {
			return fmt.Errorf("%w: error is not a string", ErrMalformedResponse)
		}
	}
	delete(body, "errcode")
	delete(body, "error")
	extra := make(map[string]any, len(body))
	for k, raw := range body {
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return fmt.Errorf("%w: %q: %w", ErrMalformedResponse, k, err)
		}
		extra[k] = v
	}
	*e = Error{Code: Code(code), Message: message, HTTPStatus: e.HTTPStatus, Extra: extra}
	return nil
}
