package roomserver_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/roomserver"
	"github.com/ocomms/ocomms/roomserver/api"
	"github.com/ocomms/ocomms/spec/roomversion"
	"github.com/ocomms/ocomms/storage/storagetest"
)

func TestOutputEventsDescribeTheStateChange(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		rs := newRoomserver(t, be)
		outs := collectOutputs(t, be.newBus(t))
		roomID := createRoom(t, rs, roomversion.Default)
		firstTopic := submitOne(t, rs, api.SubmitRequest{RoomID: roomID, Type: "m.room.topic", StateKey: ptr(""), Sender: alice, Content: []byte(`{"topic":"a"}`)})
		secondTopic := submitOne(t, rs, api.SubmitRequest{RoomID: roomID, Type: "m.room.topic", StateKey: ptr(""), Sender: alice, Content: []byte(`{"topic":"b"}`)})
		msg := message(roomID, alice, "hi")
		msg.Transaction = &api.Transaction{UserID: alice, DeviceID: "D", TxnID: "t1"}
		sent := submitOne(t, rs, msg)

		evs := outs.waitFor(t, "every output", hasEvents(firstTopic.EventID, secondTopic.EventID, sent.EventID))
		byID := map[string]api.OutputEvent{}
		var seqs []int64
		for _, out := range evs {
			byID[out.EventID] = out
			seqs = append(seqs, out.Sequence)
			if out.Version != api.OutputEventVersion || out.RoomID != roomID || out.RoomVersion != roomversion.Default || len(out.Event) == 0 {
				t.Errorf("output %+v lacks its envelope", out)
			}
		}
		if !slices.IsSorted(seqs) || len(slices.Compact(slices.Clone(seqs))) != len(seqs) {
			t.Errorf("sequences %v are not strictly increasing", seqs)
		}
		second := byID[secondTopic.EventID]
		if !slices.Equal(second.AddsState, []string{secondTopic.EventID}) || !slices.Equal(second.RemovesState, []string{firstTopic.EventID}) {
			t.Errorf("second topic adds %v removes %v", second.AddsState, second.RemovesState)
		}
		message := byID[sent.EventID]
		if len(message.AddsState)+len(message.RemovesState) != 0 {
			t.Errorf("a message changes state: %+v", message)
		}
		if message.Transaction == nil || *message.Transaction != *msg.Transaction {
			t.Errorf("message transaction = %+v, want %+v", message.Transaction, msg.Transaction)
		}
	})
}

func TestOutboxKeepsEventsUntilTheBusTakesThem(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		// The first instance's bus is closed: it can store events but not
		// publish them, as when NATS is down.
		downBus := be.newBus(t)
		down := newRoomserverOn(t, be.db, downBus)
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		if err := downBus.Close(ctx); err != nil {
			t.Fatalf("close bus: %v", err)
		}
		roomID := createRoom(t, down, roomversion.Default)
		sent := submitOne(t, down, message(roomID, alice, "while the bus is down"))
		if n := count(t, be.db, "roomserver_outbox"); n != 5 {
			t.Errorf("outbox holds %d rows, want 5", n)
		}
		if err := down.Stop(ctx); err != nil {
			t.Fatalf("stop: %v", err)
		}

		// A new process publishes what the outbox holds when it starts.
		outs := collectOutputs(t, be.newBus(t))
		newRoomserverOn(t, storagetest.Open(t, be.cfg), be.newBus(t))
		outs.waitFor(t, "the events stored while the bus was down", hasEvents(sent.EventID))
		waitUntil(t, "the outbox to empty", func() bool { return count(t, be.db, "roomserver_outbox") == 0 })
	})
}

func TestOutboxRetriesFailedPublishes(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		// Without its stream every publish fails, until the stream exists.
		b := be.newBus(t)
		cfg := config.Defaults()
		cfg.ServerName = serverName
		rs := roomserver.New(be.db, b, cfg, testKey, storagetest.Logger(t))
		if err := be.db.Migrate(t.Context(), rs.Name(), rs.Migrations()); err != nil {
			t.Fatal(err)
		}
		if err := rs.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = rs.Stop(context.Background()) })
		roomID := createRoom(t, rs, roomversion.Default)
		sent := submitOne(t, rs, message(roomID, alice, "retried"))

		// Let the publisher fail at least once before the stream appears.
		waitUntil(t, "a failed publish", func() bool { return count(t, be.db, "roomserver_outbox") == 5 })
		if err := b.EnsureStreams(t.Context(), rs.Streams()...); err != nil {
			t.Fatal(err)
		}
		outs := collectOutputs(t, be.newBus(t))
		outs.waitFor(t, "the retried events", hasEvents(sent.EventID))
	})
}

// waitUntil polls cond until it holds, or fails the test after a deadline.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestAnotherInstancePublishesWhenThePublisherStops(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		first := newRoomserver(t, be)
		second := newRoomserverOn(t, storagetest.Open(t, be.cfg), be.newBus(t))
		outs := collectOutputs(t, be.newBus(t))
		roomID := createRoom(t, first, roomversion.Default)
		before := submitOne(t, second, message(roomID, alice, "before"))
		outs.waitFor(t, "the first message", hasEvents(before.EventID))

		if err := first.Stop(t.Context()); err != nil {
			t.Fatal(err)
		}
		after := submitOne(t, second, message(roomID, alice, "after"))
		evs := outs.waitFor(t, "the message sent after the first instance stopped", hasEvents(after.EventID))
		seen := map[string]int{}
		for _, out := range evs {
			seen[out.EventID]++
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("%s published %d times", id, n)
			}
		}
	})
}
