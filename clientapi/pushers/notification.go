package pushers

import (
	"encoding/json"

	"github.com/ocomms/ocomms/spec/pushrules"
	syncout "github.com/ocomms/ocomms/syncapi/api"
)

// notifyRequest is the body of POST /_matrix/push/v1/notify.
// https://spec.matrix.org/latest/push-gateway-api/#post_matrixpushv1notify
type notifyRequest struct {
	Notification notification `json:"notification"`
}

type notification struct {
	EventID           string          `json:"event_id"`
	RoomID            string          `json:"room_id"`
	Type              string          `json:"type,omitempty"`
	Sender            string          `json:"sender,omitempty"`
	SenderDisplayName string          `json:"sender_display_name,omitempty"`
	RoomName          string          `json:"room_name,omitempty"`
	RoomAlias         string          `json:"room_alias,omitempty"`
	UserIsTarget      bool            `json:"user_is_target,omitempty"`
	Prio              string          `json:"prio"`
	Content           json.RawMessage `json:"content,omitempty"`
	Counts            counts          `json:"counts"`
	Devices           []device        `json:"devices"`
}

// counts omits zero counts, as the spec asks.
type counts struct {
	Unread      int `json:"unread,omitempty"`
	MissedCalls int `json:"missed_calls,omitempty"`
}

type device struct {
	AppID     string                     `json:"app_id"`
	PushKey   string                     `json:"pushkey"`
	PushKeyTS int64                      `json:"pushkey_ts"`
	Data      map[string]json.RawMessage `json:"data"`
	Tweaks    map[string]json.RawMessage `json:"tweaks"`
}

// buildNotification is what the pusher's gateway is told about the push:
// everything the spec lists, or with data.format event_id_only only the
// IDs, counts and priority (the app fetches the event itself, which keeps
// encrypted rooms' metadata off the gateway).
func buildNotification(p pusher, push syncout.Push, ev syncout.PushEvent, actions pushrules.Actions) notifyRequest {
	var data map[string]json.RawMessage
	_ = json.Unmarshal(p.Data, &data)
	delete(data, "url")
	if data == nil {
		data = map[string]json.RawMessage{}
	}
	tweaks := actions.Tweaks()
	if tweaks == nil {
		tweaks = map[string]json.RawMessage{}
	}
	n := notification{
		EventID: push.EventID, RoomID: push.RoomID,
		Prio:    priority(push, ev, actions),
		Counts:  counts{Unread: ev.Unread},
		Devices: []device{{AppID: p.AppID, PushKey: p.PushKey, PushKeyTS: p.PushKeyTS, Data: data, Tweaks: tweaks}},
	}
	var format string
	if f, ok := data["format"]; ok {
		_ = json.Unmarshal(f, &format)
	}
	if format == formatEventIDOnly {
		return notifyRequest{Notification: n}
	}
	n.Type, n.Sender, n.Content = ev.Type, ev.Sender, ev.Content
	n.SenderDisplayName, n.RoomName, n.RoomAlias = ev.SenderDisplayName, ev.RoomName, ev.RoomAlias
	n.UserIsTarget = ev.StateKey != nil && *ev.StateKey == push.UserID
	return notifyRequest{Notification: n}
}

// priority is high for what a person should see now (highlights, sounds,
// messages, calls, invites of the user) and low for the rest, so gateways
// can batch those to spare batteries.
func priority(push syncout.Push, ev syncout.PushEvent, actions pushrules.Actions) string {
	if push.Highlight || actions.Sound() != "" {
		return "high"
	}
	switch ev.Type {
	case "m.room.message", "m.room.encrypted", "m.call.invite", "m.sticker":
		return "high"
	case "m.room.member":
		var c struct {
			Membership string `json:"membership"`
		}
		_ = json.Unmarshal(ev.Content, &c)
		if c.Membership == "invite" && ev.StateKey != nil && *ev.StateKey == push.UserID {
			return "high"
		}
	}
	return "low"
}
