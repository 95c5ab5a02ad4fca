package syncapi

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ocomms/ocomms/spec/errcode"
)

// Simplified sliding sync (MSC4186) request and response bodies, in the
// shape of the unstable endpoint that Element X and the matrix-rust-sdk
// speak: list ranges as [[start, end]], required_state as [type,
// state_key] pairs, pos and timeout in the query string. The newer
// spellings of the proposal (range, required_state.include/exclude,
// is_invited, pos and timeout in the body) are read too.
//
// https://github.com/matrix-org/matrix-spec-proposals/pull/4186

// Bounds of a request, as the proposal sets them.
const (
	ssMaxLists         = 100
	ssMaxSubscriptions = 100
	ssMaxConnIDLength  = 255
	ssMaxRequiredState = 100
)

type ssRequest struct {
	ConnID            string                  `json:"conn_id"`
	Pos               string                  `json:"pos"`
	Timeout           *int64                  `json:"timeout"`
	SetPresence       string                  `json:"set_presence"`
	Lists             map[string]ssList       `json:"lists"`
	RoomSubscriptions map[string]ssRoomConfig `json:"room_subscriptions"`
	Extensions        ssExtensionsRequest     `json:"extensions"`
}

// ssRoomConfig is what to return for each room a rule matches.
type ssRoomConfig struct {
	TimelineLimit *int            `json:"timeline_limit"`
	RequiredState json.RawMessage `json:"required_state"`
	// spec is RequiredState parsed.
	spec requiredState
}

type ssList struct {
	ssRoomConfig
	Ranges  [][]int64  `json:"ranges"`
	Range   []int64    `json:"range"`
	Filters *ssFilters `json:"filters"`
}

// ssFilters narrow a list. A nil field does not filter.
type ssFilters struct {
	IsDM         *bool     `json:"is_dm"`
	IsInvite     *bool     `json:"is_invite"`
	IsInvited    *bool     `json:"is_invited"`
	IsEncrypted  *bool     `json:"is_encrypted"`
	RoomTypes    []*string `json:"room_types"`
	NotRoomTypes []*string `json:"not_room_types"`
}

type ssExtensionsRequest struct {
	ToDevice    *ssToDeviceRequest `json:"to_device"`
	E2EE        *ssExtension       `json:"e2ee"`
	AccountData *ssExtension       `json:"account_data"`
	Receipts    *ssExtension       `json:"receipts"`
	Typing      *ssExtension       `json:"typing"`
}

// ssExtension switches an extension on; lists and rooms restrict the
// rooms it reports on to those of the named lists and subscriptions
// ("*" or absent: all of them).
type ssExtension struct {
	Enabled *bool     `json:"enabled"`
	Lists   *[]string `json:"lists"`
	Rooms   *[]string `json:"rooms"`
}

func (e *ssExtension) on() bool { return e != nil && e.Enabled != nil && *e.Enabled }

type ssToDeviceRequest struct {
	ssExtension
	Since string `json:"since"`
	Limit *int   `json:"limit"`
}

// parseSlidingSync validates the body and the query parameters.
func parseSlidingSync(req *ssRequest, query map[string][]string, userID string) (time.Duration, error) {
	if v := first(query["pos"]); v != "" {
		req.Pos = v
	}
	var timeout time.Duration
	if v := first(query["timeout"]); v != "" {
		var ms int64
		if _, err := fmt.Sscan(v, &ms); err != nil || ms < 0 {
			return 0, errcode.InvalidParam("timeout must be a non-negative integer of milliseconds")
		}
		timeout = time.Duration(ms) * time.Millisecond
	} else if req.Timeout != nil {
		if *req.Timeout < 0 {
			return 0, errcode.InvalidParam("timeout must be a non-negative integer of milliseconds")
		}
		timeout = time.Duration(*req.Timeout) * time.Millisecond
	}
	if v := first(query["set_presence"]); v != "" {
		req.SetPresence = v
	}
	switch req.SetPresence {
	case "", "online", "offline", "unavailable":
	default:
		return 0, errcode.InvalidParam("set_presence must be online, offline or unavailable")
	}
	if len(req.ConnID) > ssMaxConnIDLength {
		return 0, errcode.InvalidParam("conn_id is too long")
	}
	if len(req.Lists) > ssMaxLists {
		return 0, errcode.InvalidParam(fmt.Sprintf("at most %d lists", ssMaxLists))
	}
	if len(req.RoomSubscriptions) > ssMaxSubscriptions {
		return 0, errcode.InvalidParam(fmt.Sprintf("at most %d room subscriptions", ssMaxSubscriptions))
	}
	for name, l := range req.Lists {
		if name == "" || len(name) > 64 {
			return 0, errcode.InvalidParam("list names must be 1 to 64 characters")
		}
		if l.Range != nil {
			l.Ranges = append(l.Ranges, l.Range)
		}
		for _, r := range l.Ranges {
			if len(r) != 2 || r[0] < 0 || r[1] < r[0] {
				return 0, errcode.InvalidParam(fmt.Sprintf("list %q: a range is [start, end] with 0 <= start <= end", name))
			}
		}
		if err := l.ssRoomConfig.parse(userID); err != nil {
			return 0, errcode.InvalidParam(fmt.Sprintf("list %q: %s", name, err))
		}
		req.Lists[name] = l
	}
	for roomID, c := range req.RoomSubscriptions {
		if !strings.HasPrefix(roomID, "!") || !strings.Contains(roomID, ":") {
			return 0, errcode.InvalidParam(fmt.Sprintf("room subscription %q is not a room ID", roomID))
		}
		if err := c.parse(userID); err != nil {
			return 0, errcode.InvalidParam(fmt.Sprintf("room subscription %s: %s", roomID, err))
		}
		req.RoomSubscriptions[roomID] = c
	}
	if td := req.Extensions.ToDevice; td != nil {
		if td.Limit != nil && *td.Limit < 0 {
			return 0, errcode.InvalidParam("extensions.to_device.limit must not be negative")
		}
		if n, err := strconv.ParseInt(td.Since, 10, 64); td.Since != "" && (err != nil || n < 0) {
			return 0, errcode.InvalidParam("extensions.to_device.since is not a to-device position")
		}
	}
	return min(timeout, maxSyncTimeout), nil
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

func (c *ssRoomConfig) parse(userID string) error {
	if c.TimelineLimit != nil && *c.TimelineLimit < 0 {
		return fmt.Errorf("timeline_limit must not be negative")
	}
	spec, err := parseRequiredState(c.RequiredState, userID)
	if err != nil {
		return err
	}
	c.spec = spec
	return nil
}

func (c *ssRoomConfig) timelineLimit() int {
	if c.TimelineLimit == nil {
		return 0
	}
	return min(*c.TimelineLimit, maxTimelineLimit)
}

// The response body.
type ssResponse struct {
	Pos        string                  `json:"pos"`
	Lists      map[string]ssListResult `json:"lists"`
	Rooms      map[string]*ssRoom      `json:"rooms"`
	Extensions ssExtensions            `json:"extensions"`
}

type ssListResult struct {
	Count int `json:"count"`
}

// ssRoom is one room's result. Omitted fields are unchanged since the
// room was last sent on the connection, unless Initial is set.
type ssRoom struct {
	Name              *string           `json:"name,omitempty"`
	Avatar            *string           `json:"avatar,omitempty"`
	Heroes            []ssHero          `json:"heroes,omitempty"`
	IsDM              bool              `json:"is_dm,omitempty"`
	Initial           bool              `json:"initial,omitempty"`
	ExpandedTimeline  bool              `json:"unstable_expanded_timeline,omitempty"`
	RequiredState     []json.RawMessage `json:"required_state,omitempty"`
	Timeline          []json.RawMessage `json:"timeline,omitempty"`
	PrevBatch         string            `json:"prev_batch,omitempty"`
	Limited           bool              `json:"limited,omitempty"`
	NumLive           *int              `json:"num_live,omitempty"`
	BumpStamp         int64             `json:"bump_stamp,omitempty"`
	JoinedCount       *int              `json:"joined_count,omitempty"`
	InvitedCount      *int              `json:"invited_count,omitempty"`
	NotificationCount int               `json:"notification_count"`
	HighlightCount    int               `json:"highlight_count"`
	InviteState       []json.RawMessage `json:"invite_state,omitempty"`
	Membership        string            `json:"membership,omitempty"`
	Lists             []string          `json:"lists,omitempty"`
}

type ssHero struct {
	UserID      string `json:"user_id"`
	DisplayName string `json:"displayname,omitempty"`
	AvatarURL   string `json:"avatar_url,omitempty"`
}

type ssExtensions struct {
	ToDevice    *ssToDevice    `json:"to_device,omitempty"`
	E2EE        *ssE2EE        `json:"e2ee,omitempty"`
	AccountData *ssAccountData `json:"account_data,omitempty"`
	Receipts    *ssEphemeral   `json:"receipts,omitempty"`
	Typing      *ssEphemeral   `json:"typing,omitempty"`
}

type ssToDevice struct {
	NextBatch string            `json:"next_batch"`
	Events    []json.RawMessage `json:"events"`
}

type ssE2EE struct {
	DeviceLists                  deviceLists    `json:"device_lists"`
	DeviceOneTimeKeysCount       map[string]int `json:"device_one_time_keys_count"`
	DeviceUnusedFallbackKeyTypes []string       `json:"device_unused_fallback_key_types"`
}

type ssAccountData struct {
	Global []json.RawMessage            `json:"global"`
	Rooms  map[string][]json.RawMessage `json:"rooms"`
}

// ssEphemeral is the receipts or typing extension: one event per room.
type ssEphemeral struct {
	Rooms map[string]json.RawMessage `json:"rooms"`
}

// empty reports whether a long-poll has nothing to answer with yet. The
// key counts are not news.
func (r *ssResponse) empty() bool {
	e := r.Extensions
	return len(r.Rooms) == 0 &&
		(e.ToDevice == nil || len(e.ToDevice.Events) == 0) &&
		(e.E2EE == nil || len(e.E2EE.DeviceLists.Changed)+len(e.E2EE.DeviceLists.Left) == 0) &&
		(e.AccountData == nil || len(e.AccountData.Global)+len(e.AccountData.Rooms) == 0) &&
		(e.Receipts == nil || len(e.Receipts.Rooms) == 0) &&
		(e.Typing == nil || len(e.Typing.Rooms) == 0)
}
