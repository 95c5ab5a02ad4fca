package syncapi

import (
	"slices"
	"testing"
	"time"

	"github.com/ocomms/ocomms/bus"
	clientapi "github.com/ocomms/ocomms/clientapi/api"
)

func TestTypingStateAppliesOnlyTheExpiryOfTheLatestStart(t *testing.T) {
	t0 := time.Now()
	const room, user = "!r:x", "@u:x"
	steps := []struct {
		name        string
		seq         uint64
		typing      bool
		expires     uint64
		wantChanged bool
		wantUsers   []string
	}{
		{"a start adds the typist", 1, true, 0, true, []string{user}},
		{"a renewal changes nothing", 2, true, 0, false, []string{user}},
		{"the expiry of the renewed start is stale", 3, false, 1, false, []string{user}},
		{"the expiry of the latest start removes the typist", 4, false, 2, true, []string{}},
		{"a second copy of that expiry changes nothing", 5, false, 2, false, []string{}},
		{"a redelivered old sequence is ignored", 5, true, 0, false, []string{}},
	}
	ts := newTypingState()
	for _, st := range steps {
		msg := bus.Message{Sequence: st.seq, Published: t0}
		ty := clientapi.Typing{RoomID: room, UserID: user, Typing: st.typing, Expires: st.expires, TimeoutMS: 1000}
		if got := ts.apply(msg, ty); got != st.wantChanged {
			t.Errorf("%s: changed = %v, want %v", st.name, got, st.wantChanged)
		}
		sets, _ := ts.snapshot([]string{room})
		if got := sets[room].users; !slices.Equal(got, st.wantUsers) {
			t.Errorf("%s: typing = %v, want %v", st.name, got, st.wantUsers)
		}
	}
	if got := ts.position(); got != 5 {
		t.Errorf("position = %d, want 5", got)
	}
}

func TestTypingStateExpiresOnTheStreamsClock(t *testing.T) {
	published := time.Now().Add(-time.Hour)
	ts := newTypingState()
	ts.apply(bus.Message{Sequence: 7, Published: published}, clientapi.Typing{RoomID: "!r:x", UserID: "@u:x", Typing: true, TimeoutMS: 1000})
	if got := ts.expired(published.Add(999 * time.Millisecond)); len(got) != 0 {
		t.Errorf("expired before its timeout: %+v", got)
	}
	got := ts.expired(published.Add(time.Second))
	if len(got) != 1 || got[0].Expires != 7 || got[0].Typing {
		t.Fatalf("expired = %+v, want the stop of start 7", got)
	}
	ts.stopSent("!r:x", "@u:x", 7)
	if got := ts.expired(published.Add(2 * time.Second)); len(got) != 0 {
		t.Errorf("the stop was offered again after it went out: %+v", got)
	}
}
