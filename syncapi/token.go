package syncapi

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ocomms/ocomms/spec/errcode"
)

// syncToken is the position of a client in every stream /sync serves. On
// the wire it is "s" followed by one decimal position per stream, joined
// with "_", in the order of the fields below ("s42_3_0_7_0_12_5"). A stream
// added later appends a field; a token written before it simply lacks that
// field, which reads as position 0 of the new stream, so old tokens stay
// valid. Every position is assigned by the server (the room, account data,
// receipt, presence, to-device and device list streams by syncapi's
// ordered consumers, typing by the bus stream's sequence), so any instance
// resumes a token another wrote.
//
// https://spec.matrix.org/latest/client-server-api/#syncing
type syncToken struct {
	// Rooms is the room event stream position: every event at or below it
	// has been delivered.
	Rooms       int64
	AccountData int64
	Receipts    int64
	Typing      int64
	Presence    int64
	ToDevice    int64
	DeviceLists int64
}

// fields lists the token's positions in wire order.
func (t *syncToken) fields() []*int64 {
	return []*int64{&t.Rooms, &t.AccountData, &t.Receipts, &t.Typing, &t.Presence, &t.ToDevice, &t.DeviceLists}
}

// String writes the token without trailing zero positions, which read
// back as zero: a pagination token of the room stream stays "s42".
func (t syncToken) String() string {
	fields := t.fields()
	for len(fields) > 1 && *fields[len(fields)-1] == 0 {
		fields = fields[:len(fields)-1]
	}
	var b strings.Builder
	b.WriteByte('s')
	for i, f := range fields {
		if i > 0 {
			b.WriteByte('_')
		}
		b.WriteString(strconv.FormatInt(*f, 10))
	}
	return b.String()
}

// parseSyncToken reads a token from any instance of any version that wrote
// the streams in the same order. Fields beyond the ones known here come
// from a newer version during a rolling upgrade and are ignored.
func parseSyncToken(s string) (syncToken, error) {
	rest, ok := strings.CutPrefix(s, "s")
	if !ok || rest == "" {
		return syncToken{}, errcode.InvalidParam(fmt.Sprintf("malformed sync token %q", s))
	}
	var tok syncToken
	dst := tok.fields()
	for i, f := range strings.Split(rest, "_") {
		p, err := strconv.ParseInt(f, 10, 64)
		if err != nil || p < 0 {
			return syncToken{}, errcode.InvalidParam(fmt.Sprintf("malformed sync token %q", s))
		}
		if i < len(dst) {
			*dst[i] = p
		}
	}
	return tok, nil
}

// ahead reports whether any position of t is beyond now's: a token from a
// restored database or a replica behind.
func (t syncToken) ahead(now syncToken) bool {
	nf := now.fields()
	for i, f := range t.fields() {
		if *f > *nf[i] {
			return true
		}
	}
	return false
}

// atMost is t with every position brought down to now's.
func (t syncToken) atMost(now syncToken) syncToken {
	nf := now.fields()
	for i, f := range t.fields() {
		*f = min(*f, *nf[i])
	}
	return t
}

// atLeast is t with every position brought up to other's.
func (t syncToken) atLeast(other syncToken) syncToken {
	of := other.fields()
	for i, f := range t.fields() {
		*f = max(*f, *of[i])
	}
	return t
}

// topoToken is a point in a room's topological order, between two events:
// the point just after the event at (Depth, Pos). /messages hands them out
// as start and end; paging backwards from it returns that event first,
// paging forwards returns the events after it.
//
// https://spec.matrix.org/latest/client-server-api/#get_matrixclientv3roomsroomidmessages
type topoToken struct {
	Depth, Pos int64
}

func (t topoToken) String() string {
	return "t" + strconv.FormatInt(t.Depth, 10) + "_" + strconv.FormatInt(t.Pos, 10)
}

// roomPoint is where a pagination starts or stops: a topological point, or
// a sync token's stream position (for prev_batch and next_batch, which
// clients pass to /messages).
type roomPoint struct {
	topo   *topoToken
	stream int64
}

func (p roomPoint) String() string {
	if p.topo != nil {
		return p.topo.String()
	}
	return syncToken{Rooms: p.stream}.String()
}

// parseRoomPoint reads a /messages, /context or /members token.
func parseRoomPoint(s string) (roomPoint, error) {
	// A sliding sync pos ("7/s42_3") names the point of its sync token.
	if _, tok, ok := strings.Cut(s, "/"); ok {
		s = tok
	}
	if rest, ok := strings.CutPrefix(s, "t"); ok {
		d, p, ok := strings.Cut(rest, "_")
		depth, err1 := strconv.ParseInt(d, 10, 64)
		pos, err2 := strconv.ParseInt(p, 10, 64)
		if !ok || err1 != nil || err2 != nil || pos < 0 {
			return roomPoint{}, errcode.InvalidParam(fmt.Sprintf("malformed pagination token %q", s))
		}
		return roomPoint{topo: &topoToken{Depth: depth, Pos: pos}}, nil
	}
	st, err := parseSyncToken(s)
	if err != nil {
		return roomPoint{}, errcode.InvalidParam(fmt.Sprintf("malformed pagination token %q", s))
	}
	return roomPoint{stream: st.Rooms}, nil
}
