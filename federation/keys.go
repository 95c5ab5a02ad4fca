package federation

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/spec/b64"
	"github.com/ocomms/ocomms/spec/signing"
)

// serverKeys is the body of GET /_matrix/key/v2/server before signing.
// https://spec.matrix.org/latest/server-server-api/#get_matrixkeyv2server
type serverKeys struct {
	ServerName    string               `json:"server_name"`
	ValidUntilTS  int64                `json:"valid_until_ts"`
	VerifyKeys    map[string]verifyKey `json:"verify_keys"`
	OldVerifyKeys map[string]oldKey    `json:"old_verify_keys"`
}

type verifyKey struct {
	Key string `json:"key"`
}

type oldKey struct {
	Key       string `json:"key"`
	ExpiredTS int64  `json:"expired_ts"`
}

func (f *Federation) registerKeys(r *mux.Router) {
	r.Handle("/_matrix/key/v2/server", httpapi.HandlerFunc(f.handleServerKeys)).Methods(http.MethodGet)
}

// handleServerKeys publishes the signing key, signed with itself, so a
// server fetching it directly or through a notary can check it came from
// here.
func (f *Federation) handleServerKeys(*http.Request) (any, error) {
	signed, err := f.signedServerKeys()
	if err != nil {
		return nil, err
	}
	return json.RawMessage(signed), nil
}

func (f *Federation) signedServerKeys() ([]byte, error) {
	body := serverKeys{
		ServerName:    f.serverName,
		ValidUntilTS:  f.now().Add(keyValidity).UnixMilli(),
		VerifyKeys:    map[string]verifyKey{string(f.key.ID): {Key: b64.Encode(f.key.Public())}},
		OldVerifyKeys: map[string]oldKey{},
	}
	unsigned, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("encoding server keys: %w", err)
	}
	signed, err := signing.SignJSON(f.serverName, f.key, unsigned)
	if err != nil {
		return nil, fmt.Errorf("signing server keys: %w", err)
	}
	return signed, nil
}
