package api

import (
	"context"
	"encoding/json"
	"time"

	"github.com/ocomms/ocomms/bus"
)

// AccountDataStream carries every change of a user's account data, global
// or per room, in the order the client API committed them. Subjects are
// AccountDataSubject.
//
// https://spec.matrix.org/latest/client-server-api/#client-config
const (
	AccountDataStream  = "CLIENTAPI_ACCOUNT_DATA"
	AccountDataSubject = "clientapi.account_data"
)

// AccountDataStreams are the bus streams the account data endpoints
// publish to.
func AccountDataStreams() []bus.StreamSpec {
	return []bus.StreamSpec{{
		Name:        AccountDataStream,
		Description: "clientapi: account data changes, global and per room",
		Subjects:    []string{AccountDataSubject},
		Storage:     bus.FileStorage,
		// Consumers (syncapi) copy the stream into their own tables; a
		// week covers any realistic outage of one of them.
		MaxAge:     7 * 24 * time.Hour,
		Duplicates: 2 * time.Minute,
	}}
}

// AccountDataUpdateVersion is the version of AccountDataUpdate on the
// wire; a consumer refuses versions it does not know.
const AccountDataUpdateVersion = 1

// AccountDataUpdate is the new content of one account data type of one
// user, global (RoomID empty) or for one room. It is published from an
// outbox after the change commits. A message may arrive twice, and two
// changes of the same type may in rare cases (concurrent writers on
// PostgreSQL) arrive out of order: consumers keep the content with the
// highest Revision and ignore the rest.
type AccountDataUpdate struct {
	// Version is AccountDataUpdateVersion.
	Version int    `json:"v"`
	UserID  string `json:"user_id"`
	// RoomID is empty for global account data.
	RoomID string `json:"room_id,omitempty"`
	Type   string `json:"type"`
	// Content is the whole new content, a JSON object.
	Content json.RawMessage `json:"content"`
	// Revision counts the changes of (UserID, RoomID, Type), from 1.
	Revision int64 `json:"revision"`
}

// MessageType names the message in bus headers.
func (AccountDataUpdate) MessageType() string { return "clientapi.account_data_update" }

// MessageVersion is the wire version in bus headers.
func (AccountDataUpdate) MessageVersion() int { return AccountDataUpdateVersion }

// AccountData is what other components use to read and write account data
// on a user's behalf, bypassing the client rules on server-managed types:
// the read markers endpoint stores m.fully_read through it.
type AccountData interface {
	// SetAccountData stores the user's global account data of evType.
	SetAccountData(ctx context.Context, userID, evType string, content json.RawMessage) error
	// SetRoomAccountData stores the user's account data of evType for
	// roomID.
	SetRoomAccountData(ctx context.Context, userID, roomID, evType string, content json.RawMessage) error
	// IgnoredUsers is the set of users in the user's m.ignored_user_list.
	IgnoredUsers(ctx context.Context, userID string) (map[string]bool, error)
	// InvitesBlocked reports whether the user's
	// m.invite_permission_config blocks every invite to them.
	InvitesBlocked(ctx context.Context, userID string) (bool, error)
}

// InvitePermissionConfigType is the global account data type with which a
// user blocks invites to them (v1.18, MSC4380).
//
// https://spec.matrix.org/latest/client-server-api/#minvite_permission_config
const InvitePermissionConfigType = "m.invite_permission_config"

// InvitesBlockedBy reads m.invite_permission_config content: only a
// default_action of "block" blocks invites; a missing, invalid or unknown
// value leaves them allowed, as the spec says.
func InvitesBlockedBy(content json.RawMessage) bool {
	var c struct {
		DefaultAction any `json:"default_action"`
	}
	return json.Unmarshal(content, &c) == nil && c.DefaultAction == "block"
}

// IgnoredUserListType is the global account data type listing the users
// whose events a user does not want to receive.
//
// https://spec.matrix.org/latest/client-server-api/#ignoring-users
const IgnoredUserListType = "m.ignored_user_list"

// IgnoredUsersOf reads the users of m.ignored_user_list content. Content
// that does not parse ignores no one.
func IgnoredUsersOf(content json.RawMessage) map[string]bool {
	var c struct {
		IgnoredUsers map[string]json.RawMessage `json:"ignored_users"`
	}
	out := map[string]bool{}
	if json.Unmarshal(content, &c) == nil {
		for u := range c.IgnoredUsers {
			out[u] = true
		}
	}
	return out
}
