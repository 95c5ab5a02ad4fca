package rooms

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/storage"
)

// Limits of profile fields. The name and display name limits are
// Synapse's, so clients see the same behaviour on both servers; the key
// and whole-profile limits are the spec's.
//
// https://spec.matrix.org/latest/client-server-api/#put_matrixclientv3profileuseridkeyname
const (
	maxDisplaynameLen = 256
	maxAvatarURLLen   = 1000
	maxProfileKeyLen  = 255
	maxProfileSize    = 64 * 1024
)

// The fields the spec defines; every other key is a custom field.
const (
	fieldDisplayname = "displayname"
	fieldAvatarURL   = "avatar_url"
	fieldTimeZone    = "m.tz"
)

// profileKeyPattern is the spec's grammar of profile keys: the defined
// fields or a Common Namespaced Identifier.
var profileKeyPattern = regexp.MustCompile(`^(avatar_url|displayname|m\.tz|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+)$`)

// profile is a user's global profile; nil fields are unset. Fields holds
// m.tz and custom keys with their JSON values.
type profile struct {
	Displayname *string
	AvatarURL   *string
	Fields      map[string]json.RawMessage
}

// MarshalJSON writes the profile as GET /profile/{userId} answers it:
// every set field as one property.
func (p profile) MarshalJSON() ([]byte, error) {
	out := make(map[string]json.RawMessage, len(p.Fields)+2)
	for k, v := range p.Fields {
		out[k] = v
	}
	if p.Displayname != nil {
		out[fieldDisplayname] = mustJSON(*p.Displayname)
	}
	if p.AvatarURL != nil {
		out[fieldAvatarURL] = mustJSON(*p.AvatarURL)
	}
	return json.Marshal(out)
}

// get returns the value of one field.
func (p profile) get(key string) (json.RawMessage, bool) {
	switch key {
	case fieldDisplayname:
		if p.Displayname == nil {
			return nil, false
		}
		return mustJSON(*p.Displayname), true
	case fieldAvatarURL:
		if p.AvatarURL == nil {
			return nil, false
		}
		return mustJSON(*p.AvatarURL), true
	}
	v, ok := p.Fields[key]
	return v, ok
}

// set changes one field to a value profileValue accepted; nil clears it.
func (p *profile) set(key string, value json.RawMessage) {
	var s *string
	if value != nil && (key == fieldDisplayname || key == fieldAvatarURL) {
		var v string
		_ = json.Unmarshal(value, &v)
		s = &v
	}
	switch key {
	case fieldDisplayname:
		p.Displayname = s
	case fieldAvatarURL:
		p.AvatarURL = s
	default:
		if value == nil {
			delete(p.Fields, key)
			return
		}
		if p.Fields == nil {
			p.Fields = map[string]json.RawMessage{}
		}
		p.Fields[key] = value
	}
}

// checkProfileKey validates the {keyName} of a profile path.
func checkProfileKey(key string) error {
	if len(key) > maxProfileKeyLen {
		return errcode.New(errcode.CodeKeyTooLarge, fmt.Sprintf("profile keys are at most %d bytes", maxProfileKeyLen))
	}
	if !profileKeyPattern.MatchString(key) {
		return errcode.InvalidParam("profile key must be displayname, avatar_url, m.tz or a namespaced identifier")
	}
	return nil
}

// profileValue validates a new value of key; nil (for "" of the display
// name or avatar) clears the field. null is refused, as the spec allows
// and Synapse does: clients clear with DELETE.
func profileValue(key string, raw json.RawMessage) (json.RawMessage, error) {
	if string(bytes.TrimSpace(raw)) == "null" {
		return nil, errcode.InvalidParam(key + " cannot be null")
	}
	if key != fieldDisplayname && key != fieldAvatarURL && key != fieldTimeZone {
		// Custom fields may hold any JSON; compact it so the size check
		// counts what is stored.
		var buf bytes.Buffer
		if err := json.Compact(&buf, raw); err != nil {
			return nil, errcode.BadJSON(key + " is not valid JSON")
		}
		return buf.Bytes(), nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, errcode.BadJSON(key + " must be a string")
	}
	switch key {
	case fieldDisplayname:
		if utf8.RuneCountInString(s) > maxDisplaynameLen {
			return nil, errcode.BadJSON(fmt.Sprintf("displayname is too long (max %d)", maxDisplaynameLen))
		}
	case fieldAvatarURL:
		if len(s) > maxAvatarURLLen {
			return nil, errcode.BadJSON(fmt.Sprintf("avatar_url is too long (max %d)", maxAvatarURLLen))
		}
		if s != "" && !strings.HasPrefix(s, "mxc://") {
			return nil, errcode.InvalidParam("avatar_url must be an mxc:// URI")
		}
	}
	if s == "" && key != fieldTimeZone {
		return nil, nil
	}
	return mustJSON(s), nil
}

// readProfileRow reads the stored profile; ok is false when the user
// never stored one.
func readProfileRow(ctx context.Context, q storage.Querier, userID string) (p profile, ok bool, err error) {
	var name, avatar sql.NullString
	var fields string
	err = q.QueryRow(ctx, `SELECT displayname, avatar_url, fields FROM profiles WHERE user_id = $1`, userID).Scan(&name, &avatar, &fields)
	if errors.Is(err, sql.ErrNoRows) {
		return profile{}, false, nil
	}
	if err != nil {
		return profile{}, false, fmt.Errorf("reading profile of %s: %w", userID, err)
	}
	if name.Valid {
		p.Displayname = &name.String
	}
	if avatar.Valid {
		p.AvatarURL = &avatar.String
	}
	if err := json.Unmarshal([]byte(fields), &p.Fields); err != nil {
		return profile{}, false, fmt.Errorf("decoding profile fields of %s: %w", userID, err)
	}
	return p, true, nil
}

// writeProfileRow stores the whole profile.
func writeProfileRow(ctx context.Context, q storage.Querier, userID string, p profile) error {
	fields := p.Fields
	if fields == nil {
		fields = map[string]json.RawMessage{}
	}
	_, err := q.Exec(ctx, `INSERT INTO profiles (user_id, displayname, avatar_url, fields) VALUES ($1, $2, $3, $4)
		ON CONFLICT (user_id) DO UPDATE SET displayname = excluded.displayname, avatar_url = excluded.avatar_url, fields = excluded.fields`,
		userID, nullable(p.Displayname), nullable(p.AvatarURL), string(mustJSON(fields)))
	if err != nil {
		return fmt.Errorf("storing profile of %s: %w", userID, err)
	}
	return nil
}

func nullable(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}
