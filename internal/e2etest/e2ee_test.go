//go:build goolm

package e2etest

import (
	"context"
	"errors"
	"testing"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/crypto"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
	"maunium.net/go/mautrix/synapseadmin"

	"github.com/ocomms/ocomms/internal/testserver"
)

// user is a mautrix client with its Olm machine, synced by hand so the
// test decides when each side sees what.
type user struct {
	cli      *mautrix.Client
	mach     *crypto.OlmMachine
	state    mautrix.StateStore
	password string
	since    string
}

func newUser(t *testing.T, srv *testserver.Server, name string) *user {
	t.Helper()
	anon, err := mautrix.NewClient(srv.URL, "", "")
	if err != nil {
		t.Fatal(err)
	}
	password := "correct horse battery " + name
	resp, err := (&synapseadmin.Client{Client: anon}).SharedSecretRegister(t.Context(), testserver.SharedSecret, synapseadmin.ReqSharedSecretRegister{Username: name, Password: password})
	if err != nil {
		t.Fatalf("registering %s: %v", name, err)
	}
	return startDevice(t, srv, resp.UserID, resp.DeviceID, resp.AccessToken, password)
}

// newDevice logs the user in again, on srv, as a device of its own with a
// fresh Olm machine that knows none of the user's room keys.
func (u *user) newDevice(t *testing.T, srv *testserver.Server) *user {
	t.Helper()
	anon, err := mautrix.NewClient(srv.URL, "", "")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := anon.Login(t.Context(), &mautrix.ReqLogin{
		Type:       mautrix.AuthTypePassword,
		Identifier: mautrix.UserIdentifier{Type: mautrix.IdentifierTypeUser, User: u.cli.UserID.String()},
		Password:   u.password,
	})
	if err != nil {
		t.Fatalf("logging %s in again: %v", u.cli.UserID, err)
	}
	return startDevice(t, srv, resp.UserID, resp.DeviceID, resp.AccessToken, u.password)
}

// startDevice builds the client and Olm machine of a logged-in device and
// uploads its keys.
func startDevice(t *testing.T, srv *testserver.Server, userID id.UserID, deviceID id.DeviceID, token, password string) *user {
	t.Helper()
	ctx := t.Context()
	cli, err := mautrix.NewClient(srv.URL, userID, token)
	if err != nil {
		t.Fatal(err)
	}
	cli.DeviceID = deviceID
	u := &user{cli: cli, state: mautrix.NewMemoryStateStore(), password: password}
	cli.StateStore = u.state
	u.mach = crypto.NewOlmMachine(cli, nil, crypto.NewMemoryStore(nil), u.state.(crypto.StateStore))
	if err := u.mach.Load(ctx); err != nil {
		t.Fatalf("loading %s's olm machine: %v", userID, err)
	}
	if err := u.mach.ShareKeys(ctx, -1); err != nil {
		t.Fatalf("%s uploading keys: %v", userID, err)
	}
	return u
}

// crossSign creates and uploads the user's cross-signing keys and signs
// the user's device with them.
func (u *user) crossSign(t *testing.T) {
	t.Helper()
	ctx := t.Context()
	keys, err := u.mach.GenerateCrossSigningKeys()
	if err != nil {
		t.Fatal(err)
	}
	uia := func(r *mautrix.RespUserInteractive) any {
		return &mautrix.ReqUIAuthLogin{
			BaseAuthData: mautrix.BaseAuthData{Type: mautrix.AuthTypePassword, Session: r.Session},
			User:         u.cli.UserID.String(), Password: u.password,
		}
	}
	if err := u.mach.PublishCrossSigningKeys(ctx, keys, uia); err != nil {
		t.Fatalf("publishing cross-signing keys: %v", err)
	}
	if err := u.mach.SignOwnDevice(ctx, u.mach.OwnIdentity()); err != nil {
		t.Fatalf("signing own device: %v", err)
	}
}

// sync runs one sync through the Olm machine (to-device messages, device
// lists, key counts) and the state store, returning the room's timeline.
func (u *user) sync(t *testing.T, roomID id.RoomID) []*event.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	resp, err := u.cli.SyncRequest(ctx, 1000, u.since, "", false, event.PresenceOnline)
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	since := u.since
	u.since = resp.NextBatch
	var timeline []*event.Event
	for rid, jr := range resp.Rooms.Join {
		for _, evs := range [][]*event.Event{jr.State.Events, jr.Timeline.Events} {
			for _, ev := range evs {
				ev.RoomID = rid
				_ = ev.Content.ParseRaw(ev.Type)
				if ev.StateKey != nil {
					mautrix.UpdateStateStore(ctx, u.state, ev)
				}
				if rid == roomID {
					timeline = append(timeline, ev)
				}
			}
		}
	}
	u.mach.ProcessSyncResponse(ctx, resp, since)
	return timeline
}

// decryptNext syncs until a message of the room's timeline decrypts to
// body. The room key travels as a to-device message on a stream of its
// own, so it may arrive a sync after the message: as clients do, an event
// without its session is tried again after the next sync.
func (u *user) decryptNext(t *testing.T, roomID id.RoomID, body string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var pending []*event.Event
	var lastErr error
	for time.Now().Before(deadline) {
		pending = append(pending, u.sync(t, roomID)...)
		var still []*event.Event
		for _, ev := range pending {
			if ev.Type != event.EventEncrypted {
				continue
			}
			dec, err := u.mach.DecryptMegolmEvent(t.Context(), ev)
			if errors.Is(err, crypto.ErrNoSessionFound) {
				still, lastErr = append(still, ev), err
				continue
			}
			if err != nil {
				t.Fatalf("%s decrypting %s: %v", u.cli.UserID, ev.ID, err)
			}
			// The user's own earlier messages come by too.
			if dec.Content.AsMessage().Body == body {
				return
			}
		}
		pending = still
	}
	t.Fatalf("%s never decrypted %q (last error: %v)", u.cli.UserID, body, lastErr)
}

// send encrypts a text message for the room's members and sends it.
func (u *user) send(t *testing.T, roomID id.RoomID, members []id.UserID, body string) {
	t.Helper()
	ctx := t.Context()
	if err := u.mach.ShareGroupSession(ctx, roomID, members); err != nil {
		t.Fatalf("sharing the group session: %v", err)
	}
	enc, err := u.mach.EncryptMegolmEvent(ctx, roomID, event.EventMessage, &event.MessageEventContent{MsgType: event.MsgText, Body: body})
	if err != nil {
		t.Fatalf("encrypting: %v", err)
	}
	if _, err := u.cli.SendMessageEvent(ctx, roomID, event.EventEncrypted, enc); err != nil {
		t.Fatalf("sending: %v", err)
	}
}

func exchangeEncryptedMessages(t *testing.T, aliceSrv, bobSrv *testserver.Server) {
	ctx := t.Context()
	alice, bob := newUser(t, aliceSrv, "alice"), newUser(t, bobSrv, "bob")
	alice.crossSign(t)
	bob.crossSign(t)

	room, err := alice.cli.CreateRoom(ctx, &mautrix.ReqCreateRoom{
		Preset: "private_chat", Invite: []id.UserID{bob.cli.UserID},
		InitialState: []*event.Event{{Type: event.StateEncryption, StateKey: new(string),
			Content: event.Content{Parsed: &event.EncryptionEventContent{Algorithm: id.AlgorithmMegolmV1}}}},
	})
	if err != nil {
		t.Fatalf("creating the room: %v", err)
	}
	bob.sync(t, "")
	if _, err := bob.cli.JoinRoomByID(ctx, room.RoomID); err != nil {
		t.Fatalf("joining: %v", err)
	}
	members := []id.UserID{alice.cli.UserID, bob.cli.UserID}
	deadline := time.Now().Add(20 * time.Second)
	for !alice.memberJoined(t, room.RoomID, bob.cli.UserID) {
		if time.Now().After(deadline) {
			t.Fatal("alice never saw bob join")
		}
	}
	bob.sync(t, room.RoomID)

	// Each verifies the other through their cross-signing identity.
	alice.verify(t, bob)
	bob.verify(t, alice)
	// The server hands alice her signature of bob's master key back.
	q, err := alice.cli.QueryKeys(ctx, &mautrix.ReqQueryKeys{DeviceKeys: mautrix.DeviceKeysRequest{bob.cli.UserID: {}}})
	if err != nil {
		t.Fatalf("querying bob's keys: %v", err)
	}
	if _, ok := q.MasterKeys[bob.cli.UserID].Signatures[alice.cli.UserID]; !ok {
		t.Errorf("bob's master key as alice sees it carries no signature of hers: %+v", q.MasterKeys[bob.cli.UserID])
	}

	alice.send(t, room.RoomID, members, "hello, encrypted")
	bob.decryptNext(t, room.RoomID, "hello, encrypted")
	bob.send(t, room.RoomID, members, "and back")
	alice.decryptNext(t, room.RoomID, "and back")

	// Alice backs her room keys up and restores them on a new device (on
	// bob's instance), which then reads the conversation from before it
	// existed.
	backupKey := alice.backUpRoomKeys(t)
	laptop := alice.newDevice(t, bobSrv)
	laptop.adoptCrossSigning(t, alice)
	laptop.restoreRoomKeys(t, backupKey)
	laptop.decryptHistory(t, room.RoomID, "hello, encrypted", "and back")
	// The new device trusts bob through the signature alice's other
	// device made, which only the server could have told it about.
	laptop.assertTrusts(t, bob)
	// Bob learns of the new device through his device list and trusts it
	// through alice's self-signing key.
	bob.awaitTrustedDevice(t, laptop)
}

// memberJoined syncs once and reports whether the state store has userID
// joined to the room.
func (u *user) memberJoined(t *testing.T, roomID id.RoomID, userID id.UserID) bool {
	t.Helper()
	u.sync(t, roomID)
	return u.state.IsMembership(t.Context(), roomID, userID, event.MembershipJoin)
}

func TestTwoUsersExchangeEncryptedMessages(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := testserver.Start(t, testserver.Config(t, b))
		exchangeEncryptedMessages(t, srv, srv)
	})
}

func TestTwoUsersOnTwoInstancesExchangeEncryptedMessages(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		instA, instB := testserver.StartTwoInstances(t, b, testserver.Config(t, b))
		exchangeEncryptedMessages(t, instA, instB)
	})
}
