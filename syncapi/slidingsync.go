package syncapi

import (
	"context"
	"net/http"
	"slices"

	"github.com/ocomms/ocomms/internal/httpapi"
)

// ClientSimplifiedSlidingSync is the unstable prefix of simplified sliding
// sync (MSC4186), the only sync Element X speaks.
var ClientSimplifiedSlidingSync = []string{"unstable/org.matrix.simplified_msc3575"}

func (s *SyncAPI) registerSlidingSync(routes httpapi.Routes) {
	httpapi.HandleClient(routes.Client, http.MethodPost, "/sync", httpapi.Authenticated(s.authn, s.handleSlidingSync), ClientSimplifiedSlidingSync)
}

// handleSlidingSync serves POST /sync of simplified sliding sync: at once
// on a connection's first request or with timeout 0, otherwise parked
// until something concerns the user or the timeout ends.
func (s *SyncAPI) handleSlidingSync(r *http.Request, device *httpapi.Device) (any, error) {
	var req ssRequest
	if err := httpapi.DecodeJSON(r, &req); err != nil {
		return nil, err
	}
	timeout, err := parseSlidingSync(&req, r.URL.Query(), device.UserID)
	if err != nil {
		return nil, err
	}
	var pos *ssPos
	if req.Pos != "" {
		p, err := parseSSPos(req.Pos)
		if err != nil {
			return nil, err
		}
		pos = &p
	}
	ctx := r.Context()
	s.synced(ctx, syncRequest{device: device, setPresence: req.SetPresence})
	key := ssConnKey{userID: device.UserID, deviceID: device.DeviceID, connID: req.ConnID}
	sent, err := s.openConnection(ctx, key, pos)
	if err != nil {
		return nil, err
	}
	if pos == nil || timeout == 0 {
		resp, _, err := s.computeSlidingSync(ctx, &req, device, key, pos, sent)
		return resp, err
	}
	var resp *ssResponse
	err = s.parkUntil(ctx, device.UserID, timeout, func() (bool, syncWatch, error) {
		r, watch, err := s.computeSlidingSync(ctx, &req, device, key, pos, sent)
		resp = r
		return err == nil && !r.empty(), watch, err
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// computeSlidingSync builds one response from the connection's rooms as of
// pos and records what it sends under a new pos.
func (s *SyncAPI) computeSlidingSync(ctx context.Context, req *ssRequest, device *httpapi.Device, key ssConnKey, pos *ssPos, sent map[string]sentRoom) (*ssResponse, syncWatch, error) {
	var watch syncWatch
	now, err := s.currentPositions(ctx)
	if err != nil {
		return nil, watch, err
	}
	ss := &ssSync{req: syncRequest{device: device, filter: &Filter{}}, now: now, userID: device.UserID}
	ss.fm = newFormatter(device.UserID, device.DeviceID, nil)
	var since syncToken
	if pos != nil {
		// A token beyond this server's streams (a restored database)
		// resumes from where the server is.
		since = s.forgetVolatile(pos.tok, now).atMost(now)
		ss.since = &since
		ss.req.since = &since
	}
	if ss.ignored, err = s.ignoredUsers(ctx, device.UserID); err != nil {
		return nil, watch, err
	}
	ss.sc = &syncContext{req: ss.req, ignored: ss.ignored}
	if ss.dm, err = s.directRooms(ctx, device.UserID); err != nil {
		return nil, watch, err
	}
	list, all, err := s.ssRoomList(ctx, device.UserID, now.Rooms, sent, ss.sc)
	if err != nil {
		return nil, watch, err
	}
	for _, c := range all {
		if c.joined() {
			watch.rooms = append(watch.rooms, c.roomID)
		}
	}
	resp := &ssResponse{Lists: map[string]ssListResult{}, Rooms: map[string]*ssRoom{}}
	configs, order, err := s.matchRooms(ctx, req, ss, list, all, resp)
	if err != nil {
		return nil, watch, err
	}
	nowSent := map[string]sentRoom{}
	for _, roomID := range order {
		var prev *sentRoom
		if p, ok := sent[roomID]; ok {
			prev = &p
		}
		room, held, err := s.roomResult(ctx, ss, all[roomID], configs[roomID], prev)
		if err != nil {
			return nil, watch, err
		}
		if room != nil {
			resp.Rooms[roomID] = room
			nowSent[roomID] = *held
		}
	}
	if err := s.addExtensions(ctx, req, ss, order, all, configs, resp); err != nil {
		return nil, watch, err
	}
	next := ssPos{tok: now.atLeast(since)}
	if pos != nil {
		next.conn = pos.conn
	}
	if pos == nil || len(nowSent) > 0 {
		if next.conn, err = s.recordSent(ctx, key, nowSent); err != nil {
			return nil, watch, err
		}
	}
	resp.Pos = next.String()
	return resp, watch, nil
}

// matchRooms applies the lists and subscriptions: each matched room with
// its combined config, in list order (subscriptions after).
func (s *SyncAPI) matchRooms(ctx context.Context, req *ssRequest, ss *ssSync, list []*ssCandidate, all map[string]*ssCandidate, resp *ssResponse) (map[string]*combinedConfig, []string, error) {
	configs := map[string]*combinedConfig{}
	var order []string
	config := func(roomID string) *combinedConfig {
		c, ok := configs[roomID]
		if !ok {
			c = &combinedConfig{}
			configs[roomID] = c
			order = append(order, roomID)
		}
		return c
	}
	facts := &ssFacts{s: s, userID: ss.userID, now: ss.now.Rooms, dm: ss.dm, encrypted: map[string]bool{}, roomType: map[string]*string{}}
	names := make([]string, 0, len(req.Lists))
	for name := range req.Lists {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		l := req.Lists[name]
		var filtered []*ssCandidate
		for _, c := range list {
			ok, err := facts.matches(ctx, l.Filters, c)
			if err != nil {
				return nil, nil, err
			}
			if ok {
				filtered = append(filtered, c)
			}
		}
		resp.Lists[name] = ssListResult{Count: len(filtered)}
		in := make([]bool, len(filtered))
		if len(l.Ranges) == 0 {
			for i := range in {
				in[i] = true
			}
		}
		for _, r := range l.Ranges {
			for i := r[0]; i <= r[1] && i < int64(len(filtered)); i++ {
				in[i] = true
			}
		}
		for i, c := range filtered {
			if in[i] {
				cfg := config(c.roomID)
				cfg.add(&l.ssRoomConfig)
				cfg.lists = append(cfg.lists, name)
			}
		}
	}
	subs := make([]string, 0, len(req.RoomSubscriptions))
	for roomID := range req.RoomSubscriptions {
		subs = append(subs, roomID)
	}
	slices.Sort(subs)
	for _, roomID := range subs {
		// A room the user never had a membership of is not shown, as if
		// it did not exist.
		if _, ok := all[roomID]; ok {
			sub := req.RoomSubscriptions[roomID]
			config(roomID).add(&sub)
		}
	}
	return configs, order, nil
}
