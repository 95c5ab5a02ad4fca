package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/ocomms/ocomms/spec/errcode"
)

// DecodeJSON reads the request body into v, answering the spec's errors:
// M_NOT_JSON when the body is not JSON, M_BAD_JSON when it is JSON of the
// wrong shape, M_TOO_LARGE when it exceeds the body limit.
func DecodeJSON(r *http.Request, v any) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return errcode.TooLarge(fmt.Sprintf("request body exceeds %d bytes", tooLarge.Limit))
		}
		return fmt.Errorf("reading request body: %w", err)
	}
	if !json.Valid(body) {
		return errcode.NotJSON("request body is not valid JSON")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			return errcode.BadJSON(fmt.Sprintf("%s: expected %s, got %s", typeErr.Field, typeErr.Type, typeErr.Value))
		}
		return errcode.BadJSON(err.Error())
	}
	return nil
}
