package clienttest

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
	"maunium.net/go/mautrix/synapseadmin"

	"github.com/ocomms/ocomms/internal/testserver"
	"github.com/ocomms/ocomms/spec/b64"
	"github.com/ocomms/ocomms/spec/signing"
)

// newUser registers a user through the shared-secret admin API, as
// provisioning tools do, and returns a logged-in mautrix client.
func newUser(t *testing.T, srv *testserver.Server, name string) *mautrix.Client {
	t.Helper()
	anon, err := mautrix.NewClient(srv.URL, "", "")
	if err != nil {
		t.Fatal(err)
	}
	admin := synapseadmin.Client{Client: anon}
	resp, err := admin.SharedSecretRegister(t.Context(), testserver.SharedSecret, synapseadmin.ReqSharedSecretRegister{
		Username: name, Password: "correct horse battery " + name,
	})
	if err != nil {
		t.Fatalf("registering %s: %v", name, err)
	}
	cli, err := mautrix.NewClient(srv.URL, resp.UserID, resp.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	cli.DeviceID = resp.DeviceID
	return cli
}

// syncer follows one client's incremental syncs.
type syncer struct {
	cli   *mautrix.Client
	since string
}

// until syncs until cond holds for the events gathered so far in roomID's
// timeline (across syncs), and returns them.
func (s *syncer) until(t *testing.T, what string, roomID id.RoomID, cond func(timeline []*event.Event, resp *mautrix.RespSync) bool) []*event.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	var timeline []*event.Event
	for {
		resp, err := s.cli.SyncRequest(ctx, 5000, s.since, "", false, event.PresenceOnline)
		if err != nil {
			t.Fatalf("waiting for %s: sync: %v", what, err)
		}
		s.since = resp.NextBatch
		if jr, ok := resp.Rooms.Join[roomID]; ok {
			for _, ev := range jr.Timeline.Events {
				// As clients do; content of a type mautrix does not know
				// stays raw.
				_ = ev.Content.ParseRaw(ev.Type)
			}
			timeline = append(timeline, jr.Timeline.Events...)
		}
		if cond(timeline, resp) {
			return timeline
		}
	}
}

// waitFor syncs until the event reaches roomID's timeline.
func (s *syncer) waitFor(t *testing.T, what string, roomID id.RoomID, eventID id.EventID) []*event.Event {
	t.Helper()
	return s.until(t, what, roomID, func(tl []*event.Event, _ *mautrix.RespSync) bool { return has(tl, eventID) })
}

func find(timeline []*event.Event, eventID id.EventID) *event.Event {
	for _, ev := range timeline {
		if ev.ID == eventID {
			return ev
		}
	}
	return nil
}

func has(timeline []*event.Event, ids ...id.EventID) bool {
	for _, want := range ids {
		if find(timeline, want) == nil {
			return false
		}
	}
	return true
}

func TestMautrixClientsChatReactEditRedactThreadAndUploadKeys(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := testserver.Start(t, testserver.Config(t, b))
		ctx := t.Context()
		alice, bob := newUser(t, srv, "alice"), newUser(t, srv, "bob")
		chatReactEditRedactThread(t, alice, bob)

		// Alice's device publishes its keys; bob's client finds them, and
		// alice's sync counts her one-time keys.
		uploadDeviceKeys(t, alice)
		keys, err := bob.QueryKeys(ctx, &mautrix.ReqQueryKeys{DeviceKeys: mautrix.DeviceKeysRequest{alice.UserID: {}}})
		if err != nil {
			t.Fatalf("query keys: %v", err)
		}
		if dk, ok := keys.DeviceKeys[alice.UserID][alice.DeviceID]; !ok || dk.Keys.GetEd25519(alice.DeviceID) == "" {
			t.Errorf("bob does not see alice's device keys: %+v", keys.DeviceKeys)
		}
		aliceSync := &syncer{cli: alice}
		aliceSync.until(t, "alice's one-time key count", "", func(_ []*event.Event, resp *mautrix.RespSync) bool {
			return resp.DeviceOTKCount.SignedCurve25519 == 1
		})
	})
}

// chatReactEditRedactThread is what a chat client does in a room and
// what the other member's client must see through /sync: alice creates a
// room inviting bob, who joins; they chat, react, edit, reply in a thread
// and redact the reaction. A client syncing afresh sees the redaction
// applied. It returns the room and bob's syncer, caught up.
func chatReactEditRedactThread(t *testing.T, alice, bob *mautrix.Client) (id.RoomID, *syncer) {
	t.Helper()
	ctx := t.Context()
	if who, err := alice.Whoami(ctx); err != nil || who.UserID != alice.UserID || who.DeviceID != alice.DeviceID {
		t.Fatalf("whoami = %+v, %v", who, err)
	}

	aliceSync, bobSync := &syncer{cli: alice}, &syncer{cli: bob}
	aliceSync.until(t, "alice's first sync", "", func([]*event.Event, *mautrix.RespSync) bool { return true })
	bobSync.until(t, "bob's first sync", "", func([]*event.Event, *mautrix.RespSync) bool { return true })

	room, err := alice.CreateRoom(ctx, &mautrix.ReqCreateRoom{
		Preset: "private_chat", Name: "Planning", Invite: []id.UserID{bob.UserID}, IsDirect: true,
	})
	if err != nil {
		t.Fatalf("createRoom: %v", err)
	}
	bobSync.until(t, "the invite", "", func(_ []*event.Event, resp *mautrix.RespSync) bool {
		_, invited := resp.Rooms.Invite[room.RoomID]
		return invited
	})
	if joined, err := bob.JoinRoomByID(ctx, room.RoomID); err != nil || joined.RoomID != room.RoomID {
		t.Fatalf("join = %+v, %v", joined, err)
	}
	aliceSync.until(t, "bob's join", room.RoomID, func(tl []*event.Event, _ *mautrix.RespSync) bool {
		for _, ev := range tl {
			if ev.Type == event.StateMember && ev.GetStateKey() == bob.UserID.String() && ev.Content.AsMember().Membership == event.MembershipJoin {
				return true
			}
		}
		return false
	})

	// Each step is seen by the other member's sync before the next, as in
	// a conversation: the reaction is checked before it is redacted.
	msg, err := alice.SendText(ctx, room.RoomID, "lunch at noon?")
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	timeline := bobSync.waitFor(t, "the message", room.RoomID, msg.EventID)
	checkContent(t, find(timeline, msg.EventID), "body", "lunch at noon?")

	reaction, err := bob.SendReaction(ctx, room.RoomID, msg.EventID, "👍")
	if err != nil {
		t.Fatalf("react: %v", err)
	}
	timeline = aliceSync.waitFor(t, "the reaction", room.RoomID, reaction.EventID)
	if rel := relation(t, find(timeline, reaction.EventID)); rel.Type != event.RelAnnotation || rel.EventID != msg.EventID || rel.Key != "👍" {
		t.Errorf("reaction relates %+v", rel)
	}

	edit := &event.MessageEventContent{MsgType: event.MsgText, Body: "lunch at one?"}
	edit.SetEdit(msg.EventID)
	edited, err := alice.SendMessageEvent(ctx, room.RoomID, event.EventMessage, edit)
	if err != nil {
		t.Fatalf("edit: %v", err)
	}
	timeline = bobSync.waitFor(t, "the edit", room.RoomID, edited.EventID)
	checkContent(t, find(timeline, edited.EventID), "m.new_content", "body", "lunch at one?")
	if rel := relation(t, find(timeline, edited.EventID)); rel.Type != event.RelReplace || rel.EventID != msg.EventID {
		t.Errorf("edit relates %+v", rel)
	}

	reply := &event.MessageEventContent{MsgType: event.MsgText, Body: "one works"}
	reply.GetRelatesTo().SetThread(msg.EventID, msg.EventID)
	threaded, err := bob.SendMessageEvent(ctx, room.RoomID, event.EventMessage, reply)
	if err != nil {
		t.Fatalf("thread reply: %v", err)
	}
	timeline = aliceSync.waitFor(t, "the thread reply", room.RoomID, threaded.EventID)
	if rel := relation(t, find(timeline, threaded.EventID)); rel.Type != event.RelThread || rel.EventID != msg.EventID {
		t.Errorf("thread reply relates %+v", rel)
	}

	redaction, err := bob.RedactEvent(ctx, room.RoomID, reaction.EventID, mautrix.ReqRedact{Reason: "changed my mind"})
	if err != nil {
		t.Fatalf("redact: %v", err)
	}
	timeline = aliceSync.waitFor(t, "the redaction", room.RoomID, redaction.EventID)
	if red := find(timeline, redaction.EventID); red.Redacts != reaction.EventID && red.Content.AsRedaction().Redacts != reaction.EventID {
		t.Errorf("redaction %s does not name the reaction", redaction.EventID)
	}

	// A client starting afresh sees the reaction already redacted.
	fresh := &syncer{cli: alice}
	timeline = fresh.until(t, "alice's initial sync", room.RoomID, func(tl []*event.Event, _ *mautrix.RespSync) bool {
		return has(tl, reaction.EventID)
	})
	gone := find(timeline, reaction.EventID)
	if len(gone.Content.VeryRaw) > 2 && string(gone.Content.VeryRaw) != "{}" {
		t.Errorf("the redacted reaction still has content %s", gone.Content.VeryRaw)
	}
	if gone.Unsigned.RedactedBecause == nil || gone.Unsigned.RedactedBecause.ID != redaction.EventID {
		t.Errorf("the redacted reaction lacks redacted_because: %+v", gone.Unsigned)
	}

	// The state bob's client builds names the room and both members.
	members, err := bob.JoinedMembers(ctx, room.RoomID)
	if err != nil {
		t.Fatal(err)
	}
	if len(members.Joined) != 2 {
		t.Errorf("joined members = %v", members.Joined)
	}
	var name event.RoomNameEventContent
	if err := bob.StateEvent(ctx, room.RoomID, event.StateRoomName, "", &name); err != nil || name.Name != "Planning" {
		t.Errorf("room name = %q, %v", name.Name, err)
	}
	return room.RoomID, bobSync
}

// uploadDeviceKeys signs and uploads an ed25519 device key and one
// signed one-time key for the client's device, as a crypto client does.
func uploadDeviceKeys(t *testing.T, cli *mautrix.Client) {
	t.Helper()
	keyID, err := signing.NewKeyID("ed25519", string(cli.DeviceID))
	if err != nil {
		t.Fatal(err)
	}
	key, err := signing.GenerateSigningKey(rand.Reader, keyID)
	if err != nil {
		t.Fatal(err)
	}
	sign := func(v any) json.RawMessage {
		t.Helper()
		raw, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		signed, err := signing.SignJSON(cli.UserID.String(), key, raw)
		if err != nil {
			t.Fatal(err)
		}
		return signed
	}
	device := sign(map[string]any{
		"user_id": cli.UserID, "device_id": cli.DeviceID,
		"algorithms": []string{"m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"},
		"keys": map[string]string{
			"ed25519:" + string(cli.DeviceID):    b64.Encode(key.Public()),
			"curve25519:" + string(cli.DeviceID): b64.Encode(make([]byte, 32)),
		},
	})
	var req mautrix.ReqUploadKeys
	if err := json.Unmarshal([]byte(`{"device_keys":`+string(device)+`,"one_time_keys":{"signed_curve25519:AAAAAQ":`+
		string(sign(map[string]any{"key": b64.Encode(make([]byte, 32))}))+`}}`), &req); err != nil {
		t.Fatal(err)
	}
	resp, err := cli.UploadKeys(t.Context(), &req)
	if err != nil {
		t.Fatalf("upload keys: %v", err)
	}
	if resp.OneTimeKeyCounts.SignedCurve25519 != 1 {
		t.Errorf("one_time_key_counts = %+v", resp.OneTimeKeyCounts)
	}
}

func relation(t *testing.T, ev *event.Event) event.RelatesTo {
	t.Helper()
	var c struct {
		RelatesTo event.RelatesTo `json:"m.relates_to"`
	}
	if err := json.Unmarshal(ev.Content.VeryRaw, &c); err != nil {
		t.Fatal(err)
	}
	return c.RelatesTo
}

func checkContent(t *testing.T, ev *event.Event, path ...string) {
	t.Helper()
	want := path[len(path)-1]
	var v any
	if err := json.Unmarshal(ev.Content.VeryRaw, &v); err != nil {
		t.Fatal(err)
	}
	for _, k := range path[:len(path)-1] {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%s: no %q in %s", ev.ID, k, ev.Content.VeryRaw)
		}
		v = m[k]
	}
	if fmt.Sprint(v) != want {
		t.Errorf("%s: %v = %v, want %s", ev.ID, path[:len(path)-1], v, want)
	}
}
