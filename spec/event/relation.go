package event

import (
	"encoding/json"

	"github.com/ocomms/ocomms/spec/id"
)

// Relationship types the specification defines.
// https://spec.matrix.org/latest/client-server-api/#relationship-types
const (
	RelAnnotation = "m.annotation"
	RelReplace    = "m.replace"
	RelThread     = "m.thread"
	RelReference  = "m.reference"
)

// Relation is the parent an event points at through content.m.relates_to.
//
// https://spec.matrix.org/latest/client-server-api/#forming-relationships-between-events
type Relation struct {
	// RelType is the relationship type (m.thread, m.replace, ... or a
	// namespaced one).
	RelType string
	// EventID is the parent event.
	EventID string
	// Key is the annotation key of an m.annotation; empty otherwise.
	Key string
}

// RelationOf reads the relationship in an event's content. ok is false when
// there is none or it does not match the schema (rel_type and event_id
// strings, a key for m.annotation): the spec says such relationships are
// ignored. A rich reply alone (m.in_reply_to without rel_type) is not a
// relationship.
func RelationOf(content json.RawMessage) (Relation, bool) {
	var c struct {
		RelatesTo json.RawMessage `json:"m.relates_to"`
	}
	if json.Unmarshal(content, &c) != nil || len(c.RelatesTo) == 0 {
		return Relation{}, false
	}
	var r struct {
		RelType any `json:"rel_type"`
		EventID any `json:"event_id"`
		Key     any `json:"key"`
	}
	if json.Unmarshal(c.RelatesTo, &r) != nil {
		return Relation{}, false
	}
	relType, ok1 := r.RelType.(string)
	eventID, ok2 := r.EventID.(string)
	if !ok1 || !ok2 || relType == "" {
		return Relation{}, false
	}
	if _, err := id.ParseEventID(eventID); err != nil {
		return Relation{}, false
	}
	rel := Relation{RelType: relType, EventID: eventID}
	if relType == RelAnnotation {
		key, ok := r.Key.(string)
		if !ok || key == "" {
			return Relation{}, false
		}
		rel.Key = key
	}
	return rel, true
}

// HasNewContent reports whether content carries the m.new_content object a
// replacement needs. Encrypted replacements carry it in the ciphertext,
// which the server cannot check.
// https://spec.matrix.org/latest/client-server-api/#validity-of-replacement-events
func HasNewContent(content json.RawMessage) bool {
	var c struct {
		NewContent json.RawMessage `json:"m.new_content"`
	}
	if json.Unmarshal(content, &c) != nil {
		return false
	}
	var obj map[string]json.RawMessage
	return json.Unmarshal(c.NewContent, &obj) == nil && obj != nil
}
