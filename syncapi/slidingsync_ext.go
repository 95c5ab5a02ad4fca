package syncapi

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/ocomms/ocomms/spec/errcode"
)

// Sliding sync extensions are /sync's sections delivered on their own:
// each runs the section's add against a syncContext whose rooms are the
// joined rooms the extension reports on, and moves what it wrote into the
// extension's shape. A room sent with initial (every room, on a
// connection's first request) gets the section's whole current state, as
// a newly joined room does in /sync.

// runSection adds the part of (since, now] of every section of the stream
// to sc: the account data stream has two (push rules, the rest).
func (s *SyncAPI) runSection(ctx context.Context, sc *syncContext, name string) error {
	found := false
	for _, sec := range s.sections {
		if sec.name != name {
			continue
		}
		found = true
		from, to := *sec.position(&sc.since), *sec.position(&sc.now)
		if sc.full {
			from = 0
		}
		if err := sec.add(ctx, sc, min(from, to), to); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	if !found {
		return fmt.Errorf("no section %s", name)
	}
	return nil
}

func emptySyncResponse(next string) *syncResponse {
	return &syncResponse{
		NextBatch:   next,
		Rooms:       syncRooms{Join: map[string]*joinedRoom{}, Invite: map[string]*invitedRoom{}, Leave: map[string]*leftRoom{}, Knock: map[string]*knockedRoom{}},
		AccountData: newEventsList(nil), Presence: newEventsList(nil), ToDevice: newEventsList(nil),
		DeviceOneTimeKeysCount: map[string]int{}, DeviceUnusedFallbackKeyTypes: []string{},
	}
}

// extensionRooms are the joined rooms an extension reports on: those of
// the lists and subscriptions it names (all when it names none).
func extensionRooms(ext *ssExtension, req *ssRequest, order []string, all map[string]*ssCandidate, configs map[string]*combinedConfig) []string {
	allowed := func(names *[]string, v string) bool {
		return names == nil || slices.Contains(*names, "*") || slices.Contains(*names, v)
	}
	var out []string
	for _, roomID := range order {
		if !all[roomID].joined() {
			continue
		}
		_, subscribed := req.RoomSubscriptions[roomID]
		ok := subscribed && allowed(ext.Rooms, roomID)
		for _, l := range configs[roomID].lists {
			ok = ok || allowed(ext.Lists, l)
		}
		if ok {
			out = append(out, roomID)
		}
	}
	return out
}

func (s *SyncAPI) addExtensions(ctx context.Context, req *ssRequest, ss *ssSync, order []string, all map[string]*ssCandidate,
	configs map[string]*combinedConfig, resp *ssResponse) error {
	ext := &req.Extensions
	var since syncToken
	if ss.since != nil {
		since = *ss.since
	}
	newSC := func(rooms []string) *syncContext {
		sc := &syncContext{req: ss.req, resp: emptySyncResponse(""), full: ss.since == nil, joined: rooms,
			newlyJoined: map[string]bool{}, since: since, now: ss.now, next: ss.now, ignored: ss.ignored}
		for _, r := range rooms {
			if room, ok := resp.Rooms[r]; sc.full || ok && room.Initial {
				sc.newlyJoined[r] = true
			}
		}
		return sc
	}
	if ext.ToDevice != nil && ext.ToDevice.on() {
		if err := s.toDeviceExtension(ctx, ext.ToDevice, newSC(nil), resp); err != nil {
			return err
		}
	}
	if ext.E2EE.on() {
		sc := newSC(nil)
		if err := s.runSection(ctx, sc, streamDeviceLists); err != nil {
			return err
		}
		if err := s.addKeyCounts(ctx, sc); err != nil {
			return err
		}
		dl := sc.resp.DeviceLists
		if dl.Changed == nil {
			dl.Changed = []string{}
		}
		if dl.Left == nil {
			dl.Left = []string{}
		}
		resp.Extensions.E2EE = &ssE2EE{DeviceLists: dl, DeviceOneTimeKeysCount: sc.resp.DeviceOneTimeKeysCount,
			DeviceUnusedFallbackKeyTypes: sc.resp.DeviceUnusedFallbackKeyTypes}
	}
	if ext.AccountData.on() {
		sc := newSC(extensionRooms(ext.AccountData, req, order, all, configs))
		if err := s.runSection(ctx, sc, streamAccountData); err != nil {
			return err
		}
		ad := &ssAccountData{Global: sc.resp.AccountData.Events, Rooms: map[string][]json.RawMessage{}}
		for roomID, jr := range sc.resp.Rooms.Join {
			if len(jr.AccountData.Events) > 0 {
				ad.Rooms[roomID] = jr.AccountData.Events
			}
		}
		resp.Extensions.AccountData = ad
	}
	for _, e := range []struct {
		on      *ssExtension
		section string
		evType  string
		out     **ssEphemeral
	}{
		{ext.Receipts, streamReceipts, "m.receipt", &resp.Extensions.Receipts},
		{ext.Typing, streamTyping, "m.typing", &resp.Extensions.Typing},
	} {
		if !e.on.on() {
			continue
		}
		sc := newSC(extensionRooms(e.on, req, order, all, configs))
		if err := s.runSection(ctx, sc, e.section); err != nil {
			return err
		}
		eph := &ssEphemeral{Rooms: map[string]json.RawMessage{}}
		for roomID, jr := range sc.resp.Rooms.Join {
			for _, ev := range jr.Ephemeral.Events {
				var head struct {
					Type string `json:"type"`
				}
				if json.Unmarshal(ev, &head) == nil && head.Type == e.evType {
					eph.Rooms[roomID] = ev
				}
			}
		}
		*e.out = eph
	}
	return nil
}

// toDeviceExtension delivers the device's to-device messages after the
// extension's since (its last next_batch), deleting those up to since.
func (s *SyncAPI) toDeviceExtension(ctx context.Context, ext *ssToDeviceRequest, sc *syncContext, resp *ssResponse) error {
	sc.full = false
	sc.since.ToDevice = 0
	if ext.Since != "" {
		p, err := strconv.ParseInt(ext.Since, 10, 64)
		if err != nil || p < 0 {
			return errcode.InvalidParam("extensions.to_device.since is not a to-device position")
		}
		// A position beyond the stream (a restored database) delivers
		// everything still stored rather than nothing.
		sc.since.ToDevice = min(p, sc.now.ToDevice)
		sc.req.since = &sc.since
	} else {
		sc.req.since = nil
	}
	if err := s.runSection(ctx, sc, streamToDevice); err != nil {
		return err
	}
	resp.Extensions.ToDevice = &ssToDevice{NextBatch: strconv.FormatInt(max(sc.next.ToDevice, sc.since.ToDevice), 10), Events: sc.resp.ToDevice.Events}
	return nil
}
