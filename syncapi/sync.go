package syncapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/spec/errcode"
)

// maxSyncTimeout bounds how long a /sync is parked. Clients ask for 30 s;
// one asking for more gets an empty answer earlier and simply syncs again.
const maxSyncTimeout = 60 * time.Second

// syncResponse is the body of GET /sync.
// https://spec.matrix.org/latest/client-server-api/#get_matrixclientv3sync
type syncResponse struct {
	NextBatch   string      `json:"next_batch"`
	Rooms       syncRooms   `json:"rooms"`
	AccountData eventsList  `json:"account_data"`
	Presence    eventsList  `json:"presence"`
	ToDevice    eventsList  `json:"to_device"`
	DeviceLists deviceLists `json:"device_lists"`
	// DeviceOneTimeKeysCount and DeviceUnusedFallbackKeyTypes describe the
	// syncing device's keys; they are sent on every sync, as clients
	// decide from them whether to upload more.
	DeviceOneTimeKeysCount       map[string]int `json:"device_one_time_keys_count"`
	DeviceUnusedFallbackKeyTypes []string       `json:"device_unused_fallback_key_types"`
}

// deviceLists are the users whose devices changed, and the users the
// syncing user no longer shares a room with.
type deviceLists struct {
	Changed []string `json:"changed,omitempty"`
	Left    []string `json:"left,omitempty"`
}

// empty reports whether the response has nothing new, so a long-poll keeps
// waiting. The device key counts are not news.
func (r *syncResponse) empty() bool {
	return r.Rooms.empty() && len(r.AccountData.Events) == 0 && len(r.Presence.Events) == 0 &&
		len(r.ToDevice.Events) == 0 && len(r.DeviceLists.Changed) == 0 && len(r.DeviceLists.Left) == 0
}

type eventsList struct {
	Events []json.RawMessage `json:"events"`
}

func newEventsList(evs []json.RawMessage) eventsList {
	if evs == nil {
		evs = []json.RawMessage{}
	}
	return eventsList{Events: evs}
}

type syncRooms struct {
	Join   map[string]*joinedRoom  `json:"join"`
	Invite map[string]*invitedRoom `json:"invite"`
	Leave  map[string]*leftRoom    `json:"leave"`
	Knock  map[string]*knockedRoom `json:"knock"`
}

func (r *syncRooms) empty() bool {
	return len(r.Join)+len(r.Invite)+len(r.Leave)+len(r.Knock) == 0
}

type timeline struct {
	Events    []json.RawMessage `json:"events"`
	Limited   bool              `json:"limited"`
	PrevBatch string            `json:"prev_batch,omitempty"`
}

type joinedRoom struct {
	Timeline timeline `json:"timeline"`
	roomState
	AccountData eventsList   `json:"account_data"`
	Ephemeral   eventsList   `json:"ephemeral"`
	Summary     *roomSummary `json:"summary,omitempty"`
	// UnreadNotifications counts the room's notifying events after the
	// user's read receipt; with unread_thread_notifications in the filter
	// the main timeline's, and UnreadThreadNotifications each thread's.
	UnreadNotifications       *unreadCounts           `json:"unread_notifications,omitempty"`
	UnreadThreadNotifications map[string]unreadCounts `json:"unread_thread_notifications,omitempty"`
}

// unreadCounts are a room's or thread's notification counts.
// https://spec.matrix.org/latest/client-server-api/#receiving-notifications
type unreadCounts struct {
	HighlightCount    int `json:"highlight_count"`
	NotificationCount int `json:"notification_count"`
}

type leftRoom struct {
	Timeline timeline `json:"timeline"`
	roomState
	AccountData eventsList `json:"account_data"`
}

// roomState is the state section of a joined or left room: State, the
// state up to the start of the timeline, or with use_state_after (v1.16,
// MSC4222) StateAfter, the state up to its end. Exactly one is set; the
// spec requires the other omitted.
type roomState struct {
	State      *eventsList `json:"state,omitempty"`
	StateAfter *eventsList `json:"state_after,omitempty"`
}

// newRoomState puts evs in the section the request asked for.
func newRoomState(req syncRequest, evs []json.RawMessage) roomState {
	l := newEventsList(evs)
	if req.useStateAfter {
		return roomState{StateAfter: &l}
	}
	return roomState{State: &l}
}

type invitedRoom struct {
	InviteState eventsList `json:"invite_state"`
}

type knockedRoom struct {
	KnockState eventsList `json:"knock_state"`
}

// syncRequest is a parsed GET /sync.
type syncRequest struct {
	device    *httpapi.Device
	since     *syncToken
	fullState bool
	// useStateAfter is use_state_after: rooms carry state_after, the
	// state at the end of the timeline, in place of state.
	useStateAfter bool
	filter        *Filter
	timeout       time.Duration
	// setPresence is the set_presence parameter, "" when absent.
	setPresence string
}

func (s *SyncAPI) registerSync(routes httpapi.Routes) {
	httpapi.HandleClient(routes.Client, http.MethodGet, "/sync", httpapi.Authenticated(s.authn, s.handleSync), httpapi.ClientR0V3)
}

// handleSync serves GET /sync: at once for an initial sync, a full_state
// sync or timeout 0, otherwise parked until something concerns the user or
// the timeout ends.
func (s *SyncAPI) handleSync(r *http.Request, device *httpapi.Device) (any, error) {
	req, err := s.parseSyncRequest(r, device)
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	s.synced(ctx, req)
	if req.since == nil || req.fullState || req.timeout == 0 {
		resp, _, err := s.computeSync(ctx, req)
		return resp, err
	}

	var resp *syncResponse
	err = s.parkUntil(ctx, device.UserID, req.timeout, func() (bool, syncWatch, error) {
		r, watch, err := s.computeSync(ctx, req)
		resp = r
		return err == nil && !r.empty(), watch, err
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// parkUntil runs compute until it has news, then at every wake-up that
// concerns what it watches, until the timeout ends or the server shuts
// down; compute keeps its last response.
func (s *SyncAPI) parkUntil(ctx context.Context, userID string, timeout time.Duration, compute func() (news bool, watch syncWatch, err error)) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	w := s.notifier.register(userID)
	defer s.notifier.unregister(w)
	for {
		news, watch, err := compute()
		if err != nil || news {
			return err
		}
		s.notifier.watch(w, watch.rooms, watch.future)
		select {
		case <-w.ch:
		case <-deadline.C:
			return nil
		case <-s.notifier.done:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (s *SyncAPI) parseSyncRequest(r *http.Request, device *httpapi.Device) (syncRequest, error) {
	q := r.URL.Query()
	req := syncRequest{device: device, filter: &Filter{}}
	if v := q.Get("since"); v != "" {
		tok, err := parseSyncToken(v)
		if err != nil {
			return req, err
		}
		req.since = &tok
	}
	if v := q.Get("timeout"); v != "" {
		ms, err := strconv.ParseInt(v, 10, 64)
		if err != nil || ms < 0 {
			return req, errcode.InvalidParam("timeout must be a non-negative integer of milliseconds")
		}
		req.timeout = min(time.Duration(ms)*time.Millisecond, maxSyncTimeout)
	}
	var err error
	if req.fullState, err = boolParam(q, "full_state"); err != nil {
		return req, err
	}
	if req.useStateAfter, err = boolParam(q, "use_state_after"); err != nil {
		return req, err
	}
	switch req.setPresence = q.Get("set_presence"); req.setPresence {
	case "", "online", "offline", "unavailable":
	default:
		return req, errcode.InvalidParam("set_presence must be online, offline or unavailable")
	}
	if v := q.Get("filter"); v != "" {
		f, err := s.syncFilter(r.Context(), device.UserID, v)
		if err != nil {
			return req, err
		}
		req.filter = f
	}
	return req, nil
}

// boolParam reads a boolean query parameter, false when absent.
func boolParam(q url.Values, name string) (bool, error) {
	switch q.Get(name) {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	}
	return false, errcode.InvalidParam(name + " must be true or false")
}

// syncFilter reads the filter parameter: an inline JSON filter or the ID
// of one the user uploaded.
func (s *SyncAPI) syncFilter(ctx context.Context, userID, v string) (*Filter, error) {
	if strings.HasPrefix(v, "{") {
		return parseFilter([]byte(v))
	}
	f, err := s.loadFilter(ctx, userID, v)
	if err != nil {
		return nil, err
	}
	if f == nil {
		return nil, errcode.InvalidParam("no such filter")
	}
	return f, nil
}
