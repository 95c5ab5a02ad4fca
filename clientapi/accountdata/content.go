package accountdata

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/ocomms/ocomms/clientapi/api"
	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/spec/id"
)

// Account data types with rules of their own.
const (
	typeFullyRead       = "m.fully_read"
	typePushRules       = "m.push_rules"
	typeIgnoredUserList = api.IgnoredUserListType
	typeTag             = "m.tag"
)

// maxTypeBytes is the spec's limit on event types, which account data
// types are.
// https://spec.matrix.org/latest/client-server-api/#size-limits
const maxTypeBytes = 255

// serverManaged are the types clients set through other endpoints
// (/read_markers, /pushrules); the spec requires a 405 here, for global
// and room account data alike.
//
// https://spec.matrix.org/latest/client-server-api/#server-behaviour-17
var serverManaged = map[string]bool{typeFullyRead: true, typePushRules: true}

// checkType refuses types clients may not set.
func checkType(evType string) error {
	if len(evType) > maxTypeBytes {
		return errcode.InvalidParam(fmt.Sprintf("account data type is longer than %d bytes", maxTypeBytes))
	}
	if serverManaged[evType] {
		return errcode.BadJSON(fmt.Sprintf("Cannot set %s through this API.", evType)).WithStatus(http.StatusMethodNotAllowed)
	}
	return nil
}

// readContent reads a request body that must be a JSON object and
// returns it compacted: M_NOT_JSON when it is not JSON, M_BAD_JSON when it
// is JSON but not an object, M_TOO_LARGE over the body limit.
func readContent(r *http.Request) (json.RawMessage, error) {
	var body json.RawMessage
	if err := httpapi.DecodeJSON(r, &body); err != nil {
		return nil, err
	}
	return objectContent(body)
}

// objectContent checks that content is a JSON object and compacts it.
func objectContent(content []byte) (json.RawMessage, error) {
	trimmed := bytes.TrimSpace(content)
	if len(trimmed) == 0 || trimmed[0] != '{' || !json.Valid(trimmed) {
		return nil, errcode.BadJSON("Content must be a JSON object.")
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, trimmed); err != nil {
		return nil, errcode.BadJSON("Content must be a JSON object.")
	}
	return buf.Bytes(), nil
}

// validateContent applies the schema of the types the server acts on.
func validateContent(evType string, content json.RawMessage) error {
	if evType == typeIgnoredUserList {
		return validateIgnoredUsers(content)
	}
	return nil
}

// validateIgnoredUsers checks the m.ignored_user_list schema: ignored_users
// is required and maps user IDs to objects.
//
// https://spec.matrix.org/latest/client-server-api/#mignored_user_list
func validateIgnoredUsers(content json.RawMessage) error {
	var c struct {
		IgnoredUsers map[string]json.RawMessage `json:"ignored_users"`
	}
	if err := json.Unmarshal(content, &c); err != nil {
		return errcode.BadJSON("ignored_users must be an object mapping user IDs to objects")
	}
	if c.IgnoredUsers == nil {
		return errcode.BadJSON("ignored_users is required and must be an object")
	}
	for userID, v := range c.IgnoredUsers {
		if _, err := id.ParseUserID(userID); err != nil {
			return errcode.BadJSON(fmt.Sprintf("ignored_users: %q is not a user ID", userID))
		}
		if v := bytes.TrimSpace(v); len(v) == 0 || v[0] != '{' {
			return errcode.BadJSON(fmt.Sprintf("ignored_users: the value for %s must be an object", userID))
		}
	}
	return nil
}
