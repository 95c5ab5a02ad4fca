package roomserver_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/ocomms/ocomms/roomserver/api"
	"github.com/ocomms/ocomms/spec/event"
	"github.com/ocomms/ocomms/spec/roomversion"
	"github.com/ocomms/ocomms/storage/storagetest"
)

func TestConcurrentSubmitsToOneRoomFromTwoInstancesMakeALinearDAG(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		instances := []api.API{
			newRoomserver(t, be),
			newRoomserverOn(t, storagetest.Open(t, be.cfg), be.newBus(t)),
		}
		outs := collectOutputs(t, be.newBus(t))
		roomID := createRoom(t, instances[0], roomversion.Default)

		const goroutines, perGoroutine = 8, 15
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			sent []string
		)
		for g := range goroutines {
			wg.Go(func() {
				rs := instances[g%len(instances)]
				for i := range perGoroutine {
					resps, err := rs.Submit(t.Context(), message(roomID, alice, fmt.Sprintf("%d/%d", g, i)))
					if err != nil {
						t.Errorf("goroutine %d: %v", g, err)
						return
					}
					mu.Lock()
					sent = append(sent, resps[0].EventID)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if t.Failed() {
			return
		}

		evs, err := instances[1].Events(t.Context(), sent...)
		if err != nil || len(evs) != goroutines*perGoroutine {
			t.Fatalf("read back %d events: %v", len(evs), err)
		}
		byDepth := map[int64]*event.Event{}
		for _, ev := range evs {
			if other, ok := byDepth[ev.Depth()]; ok {
				t.Fatalf("fork: %s and %s both at depth %d", ev.EventID(), other.EventID(), ev.Depth())
			}
			byDepth[ev.Depth()] = ev
		}
		// The room's four setup events take depths 1-4.
		for depth := int64(5); depth < 5+int64(len(evs)); depth++ {
			ev, ok := byDepth[depth]
			if !ok {
				t.Fatalf("no event at depth %d", depth)
			}
			prev := ev.PrevEventIDs()
			if len(prev) != 1 {
				t.Fatalf("event at depth %d has %d prev_events", depth, len(prev))
			}
			if parent, ok := byDepth[depth-1]; ok && parent.EventID() != prev[0] {
				t.Fatalf("event at depth %d follows %s, not the event at depth %d", depth, prev[0], depth-1)
			}
		}

		// The outputs of the room come in acceptance order.
		published := outs.waitFor(t, "every output", hasEvents(sent...))
		depthOf := map[string]int64{}
		for _, ev := range evs {
			depthOf[ev.EventID()] = ev.Depth()
		}
		last := int64(0)
		for _, out := range published {
			d, ok := depthOf[out.EventID]
			if !ok {
				continue
			}
			if d <= last {
				t.Fatalf("output of depth %d after depth %d", d, last)
			}
			last = d
		}
	})
}

func TestConcurrentSubmitsToManyRoomsSucceed(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		instances := []api.API{
			newRoomserver(t, be),
			newRoomserverOn(t, storagetest.Open(t, be.cfg), be.newBus(t)),
		}
		const rooms, perRoom = 12, 10
		var wg sync.WaitGroup
		for i := range rooms {
			wg.Go(func() {
				rs := instances[i%len(instances)]
				resps, err := rs.Submit(t.Context(),
					api.SubmitRequest{Type: "m.room.create", StateKey: ptr(""), Sender: alice},
					join("", alice),
				)
				if err != nil {
					t.Errorf("room %d: create: %v", i, err)
					return
				}
				for j := range perRoom {
					if _, err := rs.Submit(t.Context(), message(resps[0].RoomID, alice, fmt.Sprint(j))); err != nil {
						t.Errorf("room %d: message %d: %v", i, j, err)
						return
					}
				}
			})
		}
		wg.Wait()
		if n := count(t, be.db, "roomserver_events"); n != rooms*(2+perRoom) {
			t.Errorf("%d events stored, want %d", n, rooms*(2+perRoom))
		}
	})
}
