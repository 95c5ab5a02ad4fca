package syncapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/ocomms/ocomms/spec/errcode"
)

// Filter is the spec's sync filter: what /sync returns and how.
// https://spec.matrix.org/latest/client-server-api/#filtering
type Filter struct {
	EventFields []string    `json:"event_fields,omitempty"`
	EventFormat string      `json:"event_format,omitempty"`
	Presence    EventFilter `json:"presence"`
	AccountData EventFilter `json:"account_data"`
	Room        RoomFilter  `json:"room"`
}

// RoomFilter selects the rooms and the room data of a sync.
type RoomFilter struct {
	Rooms        *[]string       `json:"rooms,omitempty"`
	NotRooms     []string        `json:"not_rooms,omitempty"`
	IncludeLeave bool            `json:"include_leave,omitempty"`
	Ephemeral    RoomEventFilter `json:"ephemeral"`
	State        RoomEventFilter `json:"state"`
	Timeline     RoomEventFilter `json:"timeline"`
	AccountData  RoomEventFilter `json:"account_data"`
}

// EventFilter selects events by type and sender. A nil list means "any";
// an empty list means "none".
type EventFilter struct {
	Limit      *int      `json:"limit,omitempty"`
	Types      *[]string `json:"types,omitempty"`
	NotTypes   []string  `json:"not_types,omitempty"`
	Senders    *[]string `json:"senders,omitempty"`
	NotSenders []string  `json:"not_senders,omitempty"`
}

// RoomEventFilter is an EventFilter for room events.
type RoomEventFilter struct {
	EventFilter
	Rooms                     *[]string `json:"rooms,omitempty"`
	NotRooms                  []string  `json:"not_rooms,omitempty"`
	ContainsURL               *bool     `json:"contains_url,omitempty"`
	LazyLoadMembers           bool      `json:"lazy_load_members,omitempty"`
	IncludeRedundantMembers   bool      `json:"include_redundant_members,omitempty"`
	UnreadThreadNotifications bool      `json:"unread_thread_notifications,omitempty"`
}

// Limits on timelines: the spec leaves them to the server; these are
// Synapse's.
const (
	defaultTimelineLimit = 10
	maxTimelineLimit     = 100
)

// parseFilter decodes and validates a filter definition. It answers
// M_NOT_JSON for text that is not JSON and M_BAD_JSON for JSON that does
// not match the schema.
func parseFilter(data []byte) (*Filter, error) {
	if !json.Valid(data) {
		return nil, errcode.NotJSON("filter is not valid JSON")
	}
	var f Filter
	if err := strictDecode(data, &f); err != nil {
		return nil, err
	}
	if err := f.validate(); err != nil {
		return nil, errcode.BadJSON(err.Error())
	}
	return &f, nil
}

// parseRoomEventFilter decodes the filter parameter of /messages and
// /context.
func parseRoomEventFilter(data []byte) (*RoomEventFilter, error) {
	if !json.Valid(data) {
		return nil, errcode.NotJSON("filter is not valid JSON")
	}
	var f RoomEventFilter
	if err := strictDecode(data, &f); err != nil {
		return nil, err
	}
	if err := f.validate("filter"); err != nil {
		return nil, errcode.BadJSON(err.Error())
	}
	return &f, nil
}

func strictDecode(data []byte, v any) error {
	if bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")) == false {
		return errcode.BadJSON("filter must be a JSON object")
	}
	if err := json.Unmarshal(data, v); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return errcode.BadJSON(fmt.Sprintf("filter field %s: expected %s, got %s", typeErr.Field, typeErr.Type, typeErr.Value))
		}
		return errcode.BadJSON("filter: " + err.Error())
	}
	return nil
}

func (f *Filter) validate() error {
	switch f.EventFormat {
	case "", "client", "federation":
	default:
		return fmt.Errorf("event_format must be client or federation, not %q", f.EventFormat)
	}
	if err := f.Presence.validate("presence"); err != nil {
		return err
	}
	if err := f.AccountData.validate("account_data"); err != nil {
		return err
	}
	if err := roomIDs("room.rooms", f.Room.Rooms); err != nil {
		return err
	}
	if err := roomIDs("room.not_rooms", &f.Room.NotRooms); err != nil {
		return err
	}
	for name, rf := range map[string]*RoomEventFilter{
		"room.ephemeral": &f.Room.Ephemeral, "room.state": &f.Room.State,
		"room.timeline": &f.Room.Timeline, "room.account_data": &f.Room.AccountData,
	} {
		if err := rf.validate(name); err != nil {
			return err
		}
	}
	return nil
}

func (f *EventFilter) validate(name string) error {
	if f.Limit != nil && *f.Limit < 1 {
		return fmt.Errorf("%s.limit must be greater than 0", name)
	}
	if f.Senders != nil {
		if err := userIDs(name+".senders", *f.Senders); err != nil {
			return err
		}
	}
	return userIDs(name+".not_senders", f.NotSenders)
}

func (f *RoomEventFilter) validate(name string) error {
	if err := f.EventFilter.validate(name); err != nil {
		return err
	}
	if err := roomIDs(name+".rooms", f.Rooms); err != nil {
		return err
	}
	return roomIDs(name+".not_rooms", &f.NotRooms)
}

func roomIDs(name string, ids *[]string) error {
	if ids == nil {
		return nil
	}
	for _, id := range *ids {
		if !strings.HasPrefix(id, "!") {
			return fmt.Errorf("%s: %q is not a room ID", name, id)
		}
	}
	return nil
}

func userIDs(name string, ids []string) error {
	for _, id := range ids {
		if !strings.HasPrefix(id, "@") {
			return fmt.Errorf("%s: %q is not a user ID", name, id)
		}
	}
	return nil
}

// timelineLimit is the number of timeline events per room.
func (f *RoomEventFilter) timelineLimit() int {
	if f.Limit == nil {
		return defaultTimelineLimit
	}
	return min(*f.Limit, maxTimelineLimit)
}

// allowsRoom applies rooms and not_rooms.
func (f *RoomFilter) allowsRoom(roomID string) bool {
	return allows(f.Rooms, f.NotRooms, roomID, false)
}

func (f *EventFilter) matches(evType, sender string) bool {
	return allows(f.Types, f.NotTypes, evType, true) && allows(f.Senders, f.NotSenders, sender, false)
}

// matches applies the filter to a room event.
func (f *RoomEventFilter) matches(e *eventRow) bool {
	if !f.EventFilter.matches(e.evType, e.sender) || !allows(f.Rooms, f.NotRooms, e.roomID, false) {
		return false
	}
	return f.ContainsURL == nil || *f.ContainsURL == e.containsURL
}

// allows is the include/exclude rule of every filter list: excluded wins,
// a missing include list allows everything. Types may end in "*".
func allows(include *[]string, exclude []string, v string, wildcards bool) bool {
	for _, x := range exclude {
		if match(x, v, wildcards) {
			return false
		}
	}
	if include == nil {
		return true
	}
	for _, x := range *include {
		if match(x, v, wildcards) {
			return true
		}
	}
	return false
}

func match(pattern, v string, wildcards bool) bool {
	if wildcards && strings.Contains(pattern, "*") {
		return globMatch(pattern, v)
	}
	return pattern == v
}

// globMatch matches "*" against any run of characters.
func globMatch(pattern, v string) bool {
	parts := strings.Split(pattern, "*")
	if !strings.HasPrefix(v, parts[0]) {
		return false
	}
	v = v[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(v, p)
		if i < 0 {
			return false
		}
		v = v[i+len(p):]
	}
	return strings.HasSuffix(v, last)
}
