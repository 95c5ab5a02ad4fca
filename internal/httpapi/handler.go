// Package httpapi is the HTTP plumbing shared by every component: handlers
// that return (response, error), the spec's JSON errors, and the middleware
// every listener runs (request IDs, access logs, panic recovery, body limits,
// CORS, metrics).
package httpapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/ocomms/ocomms/spec/errcode"
)

// Response lets a handler choose a status other than 200 or add headers.
type Response struct {
	Status int
	Header http.Header
	Body   any
}

// HandlerFunc is the shape of every JSON endpoint: it returns the body to
// send, or an error that the adapter turns into the spec's error JSON. No
// handler writes error JSON itself.
type HandlerFunc func(r *http.Request) (any, error)

// ServeHTTP writes the handler's result.
func (h HandlerFunc) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := h(r)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	if resp, ok := body.(Response); ok {
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		WriteJSON(w, resp.Status, resp.Body)
		return
	}
	WriteJSON(w, http.StatusOK, body)
}

// WriteJSON sends v as a JSON body with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		data, _ = json.Marshal(errcode.Unknown("internal error encoding the response"))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

// WriteError sends err as the spec's error JSON. Errors that are not an
// *errcode.Error are internal: logged with the request, and the client sees
// only M_UNKNOWN so internals never leak.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	var e *errcode.Error
	if !errors.As(err, &e) {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			e = errcode.TooLarge("request body is too large")
		} else {
			LoggerFrom(r.Context()).ErrorContext(r.Context(), "request failed", slog.Any("error", err))
			e = errcode.Unknown("internal server error")
		}
	}
	status := e.HTTPStatus
	if status == 0 {
		status = http.StatusInternalServerError
	}
	if ms, ok := e.RetryAfterMs(); ok && e.Code == errcode.CodeLimitExceeded {
		// Retry-After is in whole seconds; round up so a client that obeys
		// it is not limited again.
		w.Header().Set("Retry-After", strconv.FormatInt((ms+999)/1000, 10))
	}
	WriteJSON(w, status, e)
}
