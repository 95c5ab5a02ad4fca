package syncapi_test

import (
	"net/http"
	"net/url"
	"reflect"
	"testing"
	"time"

	"github.com/ocomms/ocomms/internal/testserver"
)

// accountDataResp is the account data of a /sync response.
type accountDataResp struct {
	NextBatch   string     `json:"next_batch"`
	AccountData eventsResp `json:"account_data"`
	Rooms       struct {
		Join map[string]struct {
			AccountData eventsResp `json:"account_data"`
		} `json:"join"`
		Leave map[string]struct {
			AccountData eventsResp `json:"account_data"`
		} `json:"leave"`
	} `json:"rooms"`
}

type eventsResp struct {
	Events []struct {
		Type    string         `json:"type"`
		Content map[string]any `json:"content"`
	} `json:"events"`
}

// content is the content of the event of evType, nil when absent.
func (e eventsResp) content(evType string) map[string]any {
	for _, ev := range e.Events {
		if ev.Type == evType {
			return ev.Content
		}
	}
	return nil
}

func (e eventsResp) types() []string {
	var out []string
	for _, ev := range e.Events {
		out = append(out, ev.Type)
	}
	return out
}

func syncAccountData(t *testing.T, c *testserver.Client, query url.Values) accountDataResp {
	t.Helper()
	return syncAs[accountDataResp](t, c, query)
}

// parkedSyncWakes parks a /sync of reader at token, runs change and fails
// unless the sync wakes with the global account data of evType.
func parkedSyncWakes(t *testing.T, reader *testserver.Client, token, evType string, change func()) {
	t.Helper()
	got := make(chan accountDataResp, 1)
	go func() { got <- syncAccountData(t, reader, since(token, 30*time.Second)) }()
	change()
	select {
	case s := <-got:
		if s.AccountData.content(evType) == nil {
			t.Errorf("woken sync = %+v, want %s", s, evType)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("a parked sync did not wake for %s", evType)
	}
}

// accountDataUntil syncs from token until cond holds for one response.
func accountDataUntil(t *testing.T, c *testserver.Client, token, what string, cond func(accountDataResp) bool) accountDataResp {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		s := syncAccountData(t, c, since(token, 2*time.Second))
		if cond(s) {
			return s
		}
		if token != "" {
			token = s.NextBatch
		}
		if time.Now().After(deadline) {
			t.Fatalf("sync: %s did not happen in time", what)
		}
	}
}

func putGlobal(t *testing.T, c *testserver.Client, evType string, content any) {
	t.Helper()
	c.MustDo(t, http.MethodPut, v3+"/user/"+esc(c.UserID)+"/account_data/"+esc(evType), content, http.StatusOK)
}

func putRoom(t *testing.T, c *testserver.Client, roomID, evType string, content any) {
	t.Helper()
	c.MustDo(t, http.MethodPut, v3+"/user/"+esc(c.UserID)+"/rooms/"+esc(roomID)+"/account_data/"+esc(evType), content, http.StatusOK)
}

func TestSyncDeliversGlobalAndRoomAccountData(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice := srv.NewUser(t, "alice")
		roomID := createRoom(t, alice, nil)
		putGlobal(t, alice, "org.example.a", map[string]any{"v": 1})
		putGlobal(t, alice, "org.example.b", map[string]any{"v": 1})
		putRoom(t, alice, roomID, "org.example.r", map[string]any{"v": 1})
		alice.MustDo(t, http.MethodPut, v3+"/user/"+esc(alice.UserID)+"/rooms/"+esc(roomID)+"/tags/m.favourite", map[string]any{"order": 0.5}, http.StatusOK)

		initial := accountDataUntil(t, alice, "", "the initial sync has every account data", func(s accountDataResp) bool {
			return s.AccountData.content("org.example.b") != nil && s.Rooms.Join[roomID].AccountData.content("m.tag") != nil
		})
		if got := initial.AccountData.content("org.example.a"); !reflect.DeepEqual(got, map[string]any{"v": float64(1)}) {
			t.Errorf("global org.example.a = %v", got)
		}
		room := initial.Rooms.Join[roomID].AccountData
		if got := room.content("org.example.r"); !reflect.DeepEqual(got, map[string]any{"v": float64(1)}) {
			t.Errorf("room org.example.r = %v", got)
		}
		if got := room.content("m.tag"); !reflect.DeepEqual(got, map[string]any{"tags": map[string]any{"m.favourite": map[string]any{"order": 0.5}}}) {
			t.Errorf("m.tag = %v", got)
		}

		// An incremental sync carries only what changed, with its new content.
		putGlobal(t, alice, "org.example.b", map[string]any{"v": 2})
		next := accountDataUntil(t, alice, initial.NextBatch, "the change of org.example.b arrives", func(s accountDataResp) bool {
			return s.AccountData.content("org.example.b") != nil
		})
		if got := next.AccountData.types(); !reflect.DeepEqual(got, []string{"org.example.b"}) {
			t.Errorf("incremental account data = %v, want only org.example.b", got)
		}
		if got := next.AccountData.content("org.example.b")["v"]; got != float64(2) {
			t.Errorf("org.example.b = %v, want 2", got)
		}
		if got := next.Rooms.Join[roomID].AccountData.types(); len(got) != 0 {
			t.Errorf("unchanged room account data repeated: %v", got)
		}

		putRoom(t, alice, roomID, "org.example.r", map[string]any{"v": 2})
		next = accountDataUntil(t, alice, next.NextBatch, "the room's change arrives", func(s accountDataResp) bool {
			return s.Rooms.Join[roomID].AccountData.content("org.example.r") != nil
		})
		if got := next.Rooms.Join[roomID].AccountData.types(); !reflect.DeepEqual(got, []string{"org.example.r"}) {
			t.Errorf("incremental room account data = %v", got)
		}
		if len(next.AccountData.Events) != 0 {
			t.Errorf("unchanged global account data repeated: %v", next.AccountData.types())
		}
		if s := syncAccountData(t, alice, since(next.NextBatch, 0)); len(s.AccountData.Events)+len(s.Rooms.Join[roomID].AccountData.Events) != 0 {
			t.Errorf("a sync with nothing new = %+v", s)
		}
	})
}

func TestSyncFiltersAccountData(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice := srv.NewUser(t, "alice")
		roomA := createRoom(t, alice, nil)
		roomB := createRoom(t, alice, nil)
		putGlobal(t, alice, "org.example.keep", map[string]any{})
		putGlobal(t, alice, "org.example.drop", map[string]any{})
		putRoom(t, alice, roomA, "org.example.keep", map[string]any{})
		putRoom(t, alice, roomA, "org.other", map[string]any{})
		putRoom(t, alice, roomB, "org.example.keep", map[string]any{})
		// Wait until everything reached the sync API.
		accountDataUntil(t, alice, "", "all account data arrives", func(s accountDataResp) bool {
			return s.Rooms.Join[roomB].AccountData.content("org.example.keep") != nil && s.AccountData.content("org.example.drop") != nil
		})

		filter := mustJSON(t, map[string]any{
			// m.push_rules is global account data of every user.
			"account_data": map[string]any{"not_types": []string{"org.example.drop", "m.push_rules"}},
			"room": map[string]any{"account_data": map[string]any{
				"types": []string{"org.example.*"}, "not_rooms": []string{roomB},
			}},
		})
		s := syncAccountData(t, alice, url.Values{"filter": {filter}})
		if got := s.AccountData.types(); !reflect.DeepEqual(got, []string{"org.example.keep"}) {
			t.Errorf("global account data = %v, want only org.example.keep", got)
		}
		if got := s.Rooms.Join[roomA].AccountData.types(); !reflect.DeepEqual(got, []string{"org.example.keep"}) {
			t.Errorf("room A account data = %v, want only org.example.keep", got)
		}
		if got := s.Rooms.Join[roomB].AccountData.types(); len(got) != 0 {
			t.Errorf("room B account data = %v, want none (not_rooms)", got)
		}
	})
}

func TestNewlyJoinedRoomGetsItsAccountData(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice, bob := srv.NewUser(t, "alice"), srv.NewUser(t, "bob")
		roomID := createRoom(t, alice, map[string]any{"preset": "public_chat"})
		token := accountDataUntil(t, bob, "", "bob's first sync", func(accountDataResp) bool { return true }).NextBatch
		// Bob tags the room before joining it: the tags come with the join.
		bob.MustDo(t, http.MethodPut, v3+"/user/"+esc(bob.UserID)+"/rooms/"+esc(roomID)+"/tags/u.later", map[string]any{}, http.StatusOK)
		// Account data reaches /sync in order: once this marker is there,
		// the tag is before the token, and only the join can bring it.
		putGlobal(t, bob, "org.example.marker", map[string]any{})
		token = accountDataUntil(t, bob, token, "the marker arrives", func(s accountDataResp) bool {
			return s.AccountData.content("org.example.marker") != nil
		}).NextBatch
		join(t, bob, roomID)
		s := accountDataUntil(t, bob, token, "the joined room arrives with its tags", func(s accountDataResp) bool {
			_, ok := s.Rooms.Join[roomID]
			return ok
		})
		if got := s.Rooms.Join[roomID].AccountData.content("m.tag"); got == nil {
			t.Errorf("newly joined room has no m.tag: %+v", s.Rooms.Join[roomID])
		}
	})
}

func TestLongPollWakesOnAccountData(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice := srv.NewUser(t, "alice")
		token := syncAccountData(t, alice, nil).NextBatch
		parkedSyncWakes(t, alice, token, "org.example.wake", func() {
			putGlobal(t, alice, "org.example.wake", map[string]any{"x": 1})
		})
	})
}

func TestAccountDataThroughOneInstanceWakesSyncParkedOnAnother(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		instA, instB := testserver.StartTwoInstances(t, b, testserver.Config(t, b))
		alice := instA.NewUser(t, "alice")
		onB := alice.On(instB)
		token := syncAccountData(t, onB, nil).NextBatch
		parkedSyncWakes(t, onB, token, "org.example.across", func() {
			putGlobal(t, alice, "org.example.across", map[string]any{"from": "A"})
		})
	})
}

func TestAccountDataSurvivesARestart(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		cfg := testserver.Config(t, b)
		srv := testserver.Start(t, cfg)
		alice := srv.NewUser(t, "alice")
		putGlobal(t, alice, "org.example.durable", map[string]any{"kept": true})
		// Stopped at once: the change may still be in the outbox or on
		// the bus, and must reach /sync after the restart all the same.
		srv.Stop()

		srv = testserver.Start(t, cfg)
		alice.BaseURL = srv.URL
		if got := alice.MustDo(t, http.MethodGet, v3+"/user/"+esc(alice.UserID)+"/account_data/org.example.durable", nil, http.StatusOK); got["kept"] != true {
			t.Errorf("account data after the restart = %v", got)
		}
		accountDataUntil(t, alice, "", "the account data is in sync after the restart", func(s accountDataResp) bool {
			return s.AccountData.content("org.example.durable") != nil
		})
	})
}
