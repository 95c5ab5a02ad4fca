package api

import (
	"time"

	"github.com/ocomms/ocomms/bus"
)

// PushRulesStream carries a note each time a local user's push rules
// change (the /pushrules endpoints), so the sync API sends the user the
// m.push_rules account data event again.
const (
	PushRulesStream  = "CLIENTAPI_PUSH_RULES"
	PushRulesSubject = "clientapi.push_rules"
)

// PushRulesStreams are the streams the push rules endpoint family
// publishes to.
func PushRulesStreams() []bus.StreamSpec {
	return []bus.StreamSpec{{
		Name:        PushRulesStream,
		Description: "clientapi: local users' push rules changed",
		Subjects:    []string{PushRulesSubject},
		Storage:     bus.FileStorage,
		MaxAge:      7 * 24 * time.Hour,
		Duplicates:  2 * time.Minute,
	}}
}

// PushRulesChangedVersion is the wire version of PushRulesChanged.
const PushRulesChangedVersion = 1

// PushRulesChanged says that a user's push rules changed. It carries no
// rules: a consumer that needs them asks the client API, which always
// answers with the latest.
type PushRulesChanged struct {
	// Version is PushRulesChangedVersion.
	Version int    `json:"v"`
	UserID  string `json:"user_id"`
	// Revision increases with every change of the user's rules, so a
	// consumer can tell a redelivered message from a new change.
	Revision int64 `json:"revision"`
}

// MessageType names the message in bus headers.
func (PushRulesChanged) MessageType() string { return "clientapi.push_rules_changed" }

// MessageVersion is the wire version in bus headers.
func (PushRulesChanged) MessageVersion() int { return PushRulesChangedVersion }
