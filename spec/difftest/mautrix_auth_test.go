//go:build goexperiment.jsonv2

package difftest

import (
	"encoding/base64"
	"encoding/json/v2"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tidwall/gjson"
	"maunium.net/go/mautrix/federation/eventauth"
	"maunium.net/go/mautrix/federation/pdu"
	"maunium.net/go/mautrix/id"

	"github.com/ocomms/ocomms/spec/auth"
	"github.com/ocomms/ocomms/spec/event"
	"github.com/ocomms/ocomms/spec/roomversion"
	"github.com/ocomms/ocomms/spec/signing"
)

// mautrixKnows: mautrix's pdu package implements the event format of room
// versions 3 and later (its v1 format is parsed separately and has no
// event auth).
func mautrixKnows(id roomversion.ID) bool {
	rules, err := roomversion.Lookup(id)
	return err == nil && rules.EventFormat != roomversion.EventFormatV1
}

// mautrixPDU is mautrix's parse of our event.
func mautrixPDU(t *testing.T, raw []byte) *pdu.PDU {
	t.Helper()
	var p pdu.PDU
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatalf("mautrix cannot parse %s: %v", raw, err)
	}
	return &p
}

// mautrixKeys knows key under every server name.
func mautrixKeys(key signing.SigningKey) pdu.GetKeyFunc {
	return func(_ string, keyID id.KeyID, _ time.Time) (id.SigningKey, time.Time, error) {
		if string(keyID) != string(key.ID) {
			return "", time.Time{}, nil
		}
		return id.SigningKey(base64.RawStdEncoding.EncodeToString(key.Public())), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), nil
	}
}

// TestEventSignaturesAgreeWithMautrix signs random events and has both
// sides verify them as built, tampered with (outside signatures and
// unsigned) and signed by an unknown key, for every server our
// VerifyEventSignatures requires.
func TestEventSignaturesAgreeWithMautrix(t *testing.T) {
	key := testKey(t)
	for _, rules := range versions(t, mautrixKnows) {
		t.Run("v"+string(rules.ID), func(t *testing.T) {
			r, n := newRand(t, 60)
			valid, compared := 0, 0
			for i := range n {
				tmpl := randEventTemplate(r, rules)
				signer := key
				if r.IntN(4) == 0 {
					signer = randKey(t, r)
				}
				built, err := event.Build(rules, tmpl, serverOf(tmpl.Sender), signer)
				if err != nil {
					t.Fatalf("case %d: Build: %v", i, err)
				}
				raw := built.JSON()
				if r.IntN(3) == 0 {
					raw = tamper(t, r, raw)
				}
				ev, err := event.Parse(rules, raw)
				if err != nil {
					continue // the tampering broke the event itself
				}
				servers, err := event.RequiredSigners(rules, ev)
				if err != nil || len(servers) == 0 {
					continue
				}
				ours := event.VerifyEventSignatures(rules, ev, keyResolver(key))
				var theirs error
				p := mautrixPDU(t, raw)
				for _, s := range servers {
					if theirs = p.VerifySignature(id.RoomVersion(rules.ID), s, mautrixKeys(key)); theirs != nil {
						break
					}
				}
				compared++
				if ours == nil {
					valid++
				}
				if (ours == nil) != (theirs == nil) {
					t.Errorf("case %d: signature of %s\nours:   %v\ntheirs: %v", i, raw, ours, theirs)
				}
			}
			t.Logf("%d events compared, %d validly signed", compared, valid)
		})
	}
}

// TestAuthDecisionsAgreeWithMautrix checks random candidate events
// against random rooms with both implementations of the authorization
// rules, mautrix given the room's current state as the auth events (its
// precomputed form, as in state resolution).
func TestAuthDecisionsAgreeWithMautrix(t *testing.T) {
	key := testKey(t)
	for _, rules := range versions(t, mautrixKnows) {
		t.Run("v"+string(rules.ID), func(t *testing.T) {
			r, n := newRand(t, 40)
			rv := id.RoomVersion(rules.ID)
			accepted, total := 0, 0
			deviations := map[string]int{}
			for i := range n {
				rm := newRandomRoom(t, r, rules)
				pdus := map[id.EventID]*pdu.PDU{}
				var stateList []*pdu.PDU
				for _, k := range sortedStateKeys(rm.state) {
					p := mautrixPDU(t, rm.state[k].JSON())
					pdus[id.EventID(rm.state[k].EventID())] = p
					if !(rules.RoomIDFromCreateEvent && k.Type == typeCreate) {
						stateList = append(stateList, p)
					}
				}
				getEvents := func(ids []id.EventID) ([]*pdu.PDU, error) {
					out := make([]*pdu.PDU, 0, len(ids))
					for _, evID := range ids {
						if p, ok := pdus[evID]; ok {
							out = append(out, p)
						}
					}
					return out, nil
				}
				for j := range 10 {
					ev, desc := rm.randCandidate()
					ours := auth.Allowed(rules, ev, stateMap(rm.state))
					theirs := mautrixAuthorize(rv, mautrixPDU(t, ev.JSON()), stateList, getEvents, mautrixKeys(key))
					total++
					if ours == nil {
						accepted++
					}
					if (ours == nil) != (theirs == nil) {
						if d := knownMautrixDeviation(rm, ev, ours, theirs); d != "" {
							deviations[d]++
							continue
						}
						t.Errorf("room %d, candidate %d, %s\nours:   %v\ntheirs: %v\nevent: %s\nstate:\n%s",
							i, j, desc, ours, theirs, ev.JSON(), dumpState(rm.state))
					}
				}
			}
			t.Logf("%d of %d candidates accepted; known mautrix deviations: %v", accepted, total, deviations)
		})
	}
}

// errMautrixPanic: see deviationMautrixRemovedUser.
var errMautrixPanic = errors.New("mautrix's event auth panicked")

// mautrixAuthorize is eventauth.Authorize with a panic turned into
// errMautrixPanic.
func mautrixAuthorize(rv id.RoomVersion, p *pdu.PDU, state []*pdu.PDU, get eventauth.GetEventsFunc, keys pdu.GetKeyFunc) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", errMautrixPanic, r)
		}
	}()
	return eventauth.Authorize(rv, p, state, get, keys)
}

// deviationMautrixAliases: mautrix has no special case for m.room.aliases,
// which room versions 1 to 5 authorise on the state key alone, before the
// membership and power level rules: "If type is m.room.aliases: If event
// has no state_key, reject. If sender's domain doesn't match state_key,
// reject. Otherwise, allow." (rule 4 of room version 3).
// https://spec.matrix.org/latest/rooms/v3/#authorization-rules
const deviationMautrixAliases = "m.room.aliases without the special case of versions 1-5"

// deviationMautrixRemovedUser: mautrix's check of an m.room.power_levels
// change dereferences the new value of every users entry the sender may
// change (allowPowerChangeMap in federation/eventauth), so an entry that the
// new content removes makes it panic. The rules allow removing an entry
// "if the current value is less than the sender's power level" (rule 10.5
// of room version 1); we decide the event by the rules.
// https://spec.matrix.org/latest/rooms/v1/#authorization-rules
const deviationMautrixRemovedUser = "power levels users entry removed (mautrix panics)"

// deviationMautrixNotificationsBeforeV6: mautrix checks changes to the
// notifications levels in every room version; before version 6 the rules
// check only the events and users entries of an m.room.power_levels change
// ("For each entry being changed in, or removed from, the events property",
// "... the users property", rule 10 of room version 3), and version 6 added
// notifications.
// https://spec.matrix.org/latest/rooms/v6/#authorization-rules
const deviationMautrixNotificationsBeforeV6 = "notifications levels checked before room version 6"

// knownMautrixDeviation returns the known deviation of mautrix's event
// auth that explains why it (answer theirs) disagrees with us on ev, or "".
func knownMautrixDeviation(rm *room, ev *event.Event, ours, theirs error) string {
	switch {
	case ev.Type() == typeAliases && rm.rules.SpecialCasedAliasesAuth:
		return deviationMautrixAliases
	case ev.Type() == typePowerLevels && !rm.rules.NotificationsPowerLevels && ours == nil && notificationsChanged(rm, ev):
		return deviationMautrixNotificationsBeforeV6
	case errors.Is(theirs, errMautrixPanic) && ev.Type() == typePowerLevels && removesUser(rm, ev):
		return deviationMautrixRemovedUser
	}
	return ""
}

// notificationsChanged reports whether a power levels event changes the
// notifications levels of the current power levels.
func notificationsChanged(rm *room, ev *event.Event) bool {
	old := rm.state[auth.StateKey{Type: typePowerLevels}]
	return old != nil && gjson.GetBytes(old.Content(), "notifications").Raw != gjson.GetBytes(ev.Content(), "notifications").Raw
}

// removesUser reports whether a power levels event drops a users entry
// the current power levels have.
func removesUser(rm *room, ev *event.Event) bool {
	old, ok := rm.state[auth.StateKey{Type: typePowerLevels}]
	if !ok {
		return false
	}
	n := gjson.GetBytes(ev.Content(), "users")
	removed := false
	gjson.GetBytes(old.Content(), "users").ForEach(func(k, _ gjson.Result) bool {
		removed = !n.Get(gjsonEscape(k.Str)).Exists()
		return !removed
	})
	return removed
}

// gjsonEscape escapes a key for a gjson path.
func gjsonEscape(k string) string {
	var b strings.Builder
	for _, c := range k {
		if strings.ContainsRune(`.*?|#@\!=<>%:`, c) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}
