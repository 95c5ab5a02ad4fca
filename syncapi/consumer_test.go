package syncapi

import (
	"crypto/rand"
	"encoding/json"
	"testing"
	"time"

	"github.com/ocomms/ocomms/roomserver/api"
	"github.com/ocomms/ocomms/spec/event"
	"github.com/ocomms/ocomms/spec/roomversion"
	"github.com/ocomms/ocomms/spec/signing"
	"github.com/ocomms/ocomms/storage"
	"github.com/ocomms/ocomms/storage/storagetest"
)

// buildEvent makes a signed room version 11 event for the consumer tests.
func buildEvent(t *testing.T, key signing.SigningKey, depth int64, evType string, stateKey *string, content string) *event.Event {
	t.Helper()
	rules, err := roomversion.Lookup("11")
	if err != nil {
		t.Fatal(err)
	}
	ev, err := event.Build(rules, event.Template{
		Type: evType, StateKey: stateKey, Sender: "@alice:test", RoomID: "!room:test",
		Content: json.RawMessage(content), Depth: depth, OriginServerTS: time.Now().UnixMilli(),
		PrevEvents: []string{}, AuthEvents: []string{},
	}, "test", key)
	if err != nil {
		t.Fatalf("building %s: %v", evType, err)
	}
	return ev
}

func TestConsumerStoresEachOutputEventOnceInOrder(t *testing.T) {
	storagetest.ForEachBackend(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		s, b := startAlone(t, db)

		id, _ := signing.NewKeyID("ed25519", "test")
		key, err := signing.GenerateSigningKey(rand.Reader, id)
		if err != nil {
			t.Fatal(err)
		}
		empty := ""
		topic := buildEvent(t, key, 1, "m.room.topic", &empty, `{"topic":"first"}`)
		msg := buildEvent(t, key, 2, "m.room.message", nil, `{"body":"hi","url":"mxc://x/y"}`)
		topic2 := buildEvent(t, key, 3, "m.room.topic", &empty, `{"topic":"second"}`)
		redaction := buildEvent(t, key, 4, "m.room.redaction", nil, `{"redacts":"`+msg.EventID()+`"}`)
		outputs := []api.OutputEvent{
			{EventID: topic.EventID(), Event: topic.JSON(), AddsState: []string{topic.EventID()}},
			{EventID: msg.EventID(), Event: msg.JSON(), Transaction: &api.Transaction{UserID: "@alice:test", DeviceID: "D", TxnID: "x"}},
			{EventID: topic2.EventID(), Event: topic2.JSON(), AddsState: []string{topic2.EventID()}, RemovesState: []string{topic.EventID()}},
			{EventID: redaction.EventID(), Event: redaction.JSON(), RedactsEventID: msg.EventID()},
		}
		// The second copy of the message is a redelivery: it must not get
		// a position of its own.
		outputs = append(outputs[:2], append([]api.OutputEvent{outputs[1]}, outputs[2:]...)...)
		for i, oe := range outputs {
			oe.Version, oe.Sequence, oe.RoomID, oe.RoomVersion = api.OutputEventVersion, int64(i+1), "!room:test", "11"
			if err := b.Publish(ctx, api.OutputSubject, oe); err != nil {
				t.Fatal(err)
			}
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			pos, err := s.currentPosition(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if pos == 4 {
				break
			}
			if pos > 4 || time.Now().After(deadline) {
				t.Fatalf("stream position is %d, want 4 events stored once each", pos)
			}
			time.Sleep(10 * time.Millisecond)
		}

		evs, err := s.roomRange(ctx, "!room:test", 0, 4, 10)
		if err != nil {
			t.Fatal(err)
		}
		wantOrder := []string{redaction.EventID(), topic2.EventID(), msg.EventID(), topic.EventID()}
		for i, e := range evs {
			if e.eventID != wantOrder[i] || e.pos != int64(4-i) {
				t.Errorf("event at %d = %s (pos %d), want %s", i, e.eventID, e.pos, wantOrder[i])
			}
		}
		stored := evs[2]
		if stored.redactedBy != redaction.EventID() || stored.containsURL || stored.txnID != "x" {
			t.Errorf("redacted message = %+v, want redacted, without url, with its transaction", stored)
		}
		if evs[1].replaces != topic.EventID() {
			t.Errorf("second topic replaces %q, want the first", evs[1].replaces)
		}
		state, err := s.stateAt(ctx, "!room:test", 4, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(state) != 1 || state[0].eventID != topic2.EventID() {
			t.Errorf("current state = %+v, want only the second topic", state)
		}
		if old, err := s.stateAt(ctx, "!room:test", 2, ""); err != nil || len(old) != 1 || old[0].eventID != topic.EventID() {
			t.Errorf("state at 2 = %+v (%v), want the first topic", old, err)
		}
	})
}
