package syncapi

import (
	"context"
	"fmt"
	"strings"

	"github.com/ocomms/ocomms/spec/event"
)

// bundle is an event's bundled aggregations, loaded before formatting so
// the formatter stays free of I/O.
// https://spec.matrix.org/latest/client-server-api/#aggregations-of-child-events
type bundle struct {
	thread *threadSummary
	// replace is the most recent valid edit.
	// https://spec.matrix.org/latest/client-server-api/#server-side-aggregation-of-mreplace-relationships
	replace *eventRow
	// references are the IDs of the m.reference children, newest first.
	references []string
}

// threadSummary is the m.thread aggregation of a thread root.
// https://spec.matrix.org/latest/client-server-api/#server-side-aggregation-of-mthread-relationships
type threadSummary struct {
	latest       *eventRow
	count        int
	participated bool
}

const (
	// maxBundledReferences bounds the m.reference chunk of one event; the
	// complete list is a /relations query away.
	maxBundledReferences = 100
	// maxBundleParents bounds the parents of one aggregation query, to
	// stay well within the databases' limits on bound parameters.
	maxBundleParents = 2000
	// bundleDepth is how many levels of aggregations are loaded: the
	// events, and the latest events of their threads (whose edits the
	// spec asks for too).
	bundleDepth = 2
)

// roomEvents are events of one room with the user's view of it.
type roomEvents struct {
	vis    *visibility
	events []*eventRow
}

// relationRow is one row of the aggregation query.
type relationRow struct {
	parentID, relType, eventID string
	count                      int
	mine                       bool
}

// attachBundles loads the aggregations of the events' children that the
// user may see, up to stream position upTo, and sets them on the events.
// The children of every event of every group are read by one query (per
// maxBundleParents parents), and the events the aggregations carry by a
// second, whatever the number of events. It also sets unsigned.membership
// on the events and the ones their aggregations carry (markGroups), so
// every path that formats timeline events gets it.
func (s *SyncAPI) attachBundles(ctx context.Context, userID string, upTo int64, groups ...roomEvents) error {
	if err := s.attachBundlesAt(ctx, userID, upTo, groups, bundleDepth); err != nil {
		return err
	}
	return s.markGroups(ctx, groups)
}

func (s *SyncAPI) attachBundlesAt(ctx context.Context, userID string, upTo int64, groups []roomEvents, depth int) error {
	parents := map[string]*eventRow{}
	var batch []roomEvents
	n := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		rows, err := s.relationRows(ctx, userID, upTo, batch)
		batch, n = nil, 0
		if err != nil {
			return err
		}
		return s.applyRelationRows(ctx, userID, upTo, parents, rows, groups, depth)
	}
	for _, g := range groups {
		var evs []*eventRow
		for _, e := range g.events {
			// State events receive no bundled aggregations.
			if e.stateKey == nil && parents[e.eventID] == nil {
				parents[e.eventID] = e
				evs = append(evs, e)
			}
		}
		for len(evs) > 0 {
			take := min(len(evs), maxBundleParents-n)
			batch = append(batch, roomEvents{vis: g.vis, events: evs[:take]})
			evs, n = evs[take:], n+take
			if n == maxBundleParents {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	return flush()
}

// relationRows reads, for the events of the groups, the latest visible
// m.thread child with the thread's count and whether the user took part,
// the candidates for the latest valid m.replace (those with the latest
// origin_server_ts: ties are broken by event ID in Go, as SQL collations
// differ), and the latest m.reference children.
func (s *SyncAPI) relationRows(ctx context.Context, userID string, upTo int64, groups []roomEvents) ([]relationRow, error) {
	args := []any{userID, upTo}
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	var scopes []string
	for _, g := range groups {
		ranges := g.vis.visibleRanges(upTo)
		if len(ranges) == 0 || len(g.events) == 0 {
			continue
		}
		ids := make([]string, len(g.events))
		for i, e := range g.events {
			ids[i] = arg(e.eventID)
		}
		scope := fmt.Sprintf("(rel.room_id = %s AND rel.parent_id IN (%s) AND %s",
			arg(g.events[0].roomID), strings.Join(ids, ", "), rangesSQL("rel.stream_pos", ranges, arg))
		if len(g.vis.ignored) > 0 {
			// The spec leaves the children of ignored users out of
			// aggregations.
			var senders []string
			for u := range g.vis.ignored {
				senders = append(senders, arg(u))
			}
			scope += " AND rel.sender NOT IN (" + strings.Join(senders, ", ") + ")"
		}
		scopes = append(scopes, scope+")")
	}
	if len(scopes) == 0 {
		return nil, nil
	}
	thread, replace, reference := arg(event.RelThread), arg(event.RelReplace), arg(event.RelReference)
	rows, err := s.db.Query(ctx, `SELECT parent_id, rel_type, event_id, n, mine FROM (
		SELECT rel.parent_id, rel.rel_type, rel.event_id,
			COUNT(*) OVER (PARTITION BY rel.parent_id, rel.rel_type) AS n,
			MAX(CASE WHEN rel.sender = $1 THEN 1 ELSE 0 END) OVER (PARTITION BY rel.parent_id, rel.rel_type) AS mine,
			ROW_NUMBER() OVER (PARTITION BY rel.parent_id, rel.rel_type ORDER BY rel.depth DESC, rel.stream_pos DESC) AS newest,
			RANK() OVER (PARTITION BY rel.parent_id, rel.rel_type ORDER BY rel.origin_ts DESC) AS latest_ts
		FROM syncapi_relations rel JOIN syncapi_events p ON p.event_id = rel.parent_id
		WHERE rel.stream_pos <= $2 AND (`+strings.Join(scopes, " OR ")+`) AND (
			rel.rel_type = `+thread+` OR rel.rel_type = `+reference+` OR (rel.rel_type = `+replace+`
				AND rel.sender = p.sender AND rel.event_type = p.type AND p.state_key IS NULL
				AND NOT EXISTS (SELECT 1 FROM syncapi_relations pr WHERE pr.event_id = p.event_id AND pr.rel_type = `+replace+`)))
	) agg WHERE (rel_type = `+thread+` AND newest = 1) OR (rel_type = `+replace+` AND latest_ts = 1)
		OR (rel_type = `+reference+` AND newest <= `+arg(maxBundledReferences)+`)
	ORDER BY parent_id, rel_type, newest`, args...)
	if err != nil {
		return nil, fmt.Errorf("loading aggregations: %w", err)
	}
	defer rows.Close()
	var out []relationRow
	for rows.Next() {
		var r relationRow
		var mine int64
		if err := rows.Scan(&r.parentID, &r.relType, &r.eventID, &r.count, &mine); err != nil {
			return nil, fmt.Errorf("scanning aggregations: %w", err)
		}
		r.mine = mine != 0
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading aggregations: %w", err)
	}
	return out, nil
}

// applyRelationRows loads the events the aggregations carry (latest
// thread events and edits) in one query and sets the bundles. Edits of a
// redacted event are not bundled.
func (s *SyncAPI) applyRelationRows(ctx context.Context, userID string, upTo int64, parents map[string]*eventRow,
	rows []relationRow, groups []roomEvents, depth int) error {
	edits := map[string]string{} // parent -> chosen edit
	var load []string
	for _, r := range rows {
		switch r.relType {
		case event.RelThread:
			load = append(load, r.eventID)
		case event.RelReplace:
			if parents[r.parentID].redactedBy != "" {
				continue
			}
			if cur, ok := edits[r.parentID]; !ok || r.eventID > cur {
				edits[r.parentID] = r.eventID
			}
		}
	}
	for _, id := range edits {
		load = append(load, id)
	}
	loaded, err := s.eventsByID(ctx, load)
	if err != nil {
		return err
	}
	byID := make(map[string]*eventRow, len(loaded))
	for _, e := range loaded {
		byID[e.eventID] = e
	}
	bundleOf := func(id string) *bundle {
		p := parents[id]
		if p.relations == nil {
			p.relations = &bundle{}
		}
		return p.relations
	}
	var latest []*eventRow
	for _, r := range rows {
		switch r.relType {
		case event.RelThread:
			if e := byID[r.eventID]; e != nil {
				bundleOf(r.parentID).thread = &threadSummary{latest: e, count: r.count,
					participated: r.mine || parents[r.parentID].sender == userID}
				latest = append(latest, e)
			}
		case event.RelReplace:
			if edits[r.parentID] == r.eventID && byID[r.eventID] != nil {
				bundleOf(r.parentID).replace = byID[r.eventID]
			}
		case event.RelReference:
			b := bundleOf(r.parentID)
			b.references = append(b.references, r.eventID)
		}
	}
	if depth <= 1 || len(latest) == 0 {
		return nil
	}
	// The latest events of threads get their own aggregations (an edited
	// latest reply shows its edit), with the view of their room.
	visOf := map[string]*visibility{}
	for _, g := range groups {
		if len(g.events) > 0 {
			visOf[g.events[0].roomID] = g.vis
		}
	}
	next := map[string]*roomEvents{}
	var order []string
	for _, e := range latest {
		g := next[e.roomID]
		if g == nil {
			g = &roomEvents{vis: visOf[e.roomID]}
			next[e.roomID] = g
			order = append(order, e.roomID)
		}
		g.events = append(g.events, e)
	}
	nextGroups := make([]roomEvents, 0, len(order))
	for _, r := range order {
		nextGroups = append(nextGroups, *next[r])
	}
	return s.attachBundlesAt(ctx, userID, upTo, nextGroups, depth-1)
}
