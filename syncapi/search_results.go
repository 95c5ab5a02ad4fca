package syncapi

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"github.com/ocomms/ocomms/internal/httpapi"
)

type roomEventsResult struct {
	Count      int                                `json:"count"`
	Highlights []string                           `json:"highlights"`
	Results    []searchResult                     `json:"results"`
	State      map[string][]json.RawMessage       `json:"state,omitempty"`
	Groups     map[string]map[string]*searchGroup `json:"groups,omitempty"`
	NextBatch  string                             `json:"next_batch,omitempty"`
}

type searchResult struct {
	Rank    float64         `json:"rank"`
	Result  json.RawMessage `json:"result"`
	Context *searchContext  `json:"context,omitempty"`
}

type searchContext struct {
	Start        string                   `json:"start"`
	End          string                   `json:"end"`
	ProfileInfo  map[string]searchProfile `json:"profile_info,omitempty"`
	EventsBefore []json.RawMessage        `json:"events_before"`
	EventsAfter  []json.RawMessage        `json:"events_after"`
}

type searchProfile struct {
	DisplayName string `json:"displayname,omitempty"`
	AvatarURL   string `json:"avatar_url,omitempty"`
}

type searchGroup struct {
	NextBatch string   `json:"next_batch,omitempty"`
	Order     int      `json:"order"`
	Results   []string `json:"results"`
}

// searchPage is the visible matches of one request.
type searchPage struct {
	hits   []searchHit
	events []*eventRow
	// next is where the following page starts; nil when no match is left.
	next *searchToken
}

// searchRoomEvents runs the search and assembles the response.
func (s *SyncAPI) searchRoomEvents(ctx context.Context, device *httpapi.Device, p *searchParams) (*roomEventsResult, error) {
	q, err := s.searchQueryFor(ctx, device.UserID, p)
	if err != nil {
		return nil, err
	}
	views := map[string]*visibility{}
	viewOf := func(roomID string) (*visibility, error) {
		if v, ok := views[roomID]; ok {
			return v, nil
		}
		v, err := s.visibilityFor(ctx, device.UserID, roomID, q.upTo)
		views[roomID] = v
		return v, err
	}
	page, err := s.searchPage(ctx, q, p, viewOf)
	if err != nil {
		return nil, err
	}
	count := 0
	if p.token != nil && p.token.Room == "" && p.token.Sender == "" {
		count = p.token.Count
	} else if count, err = s.searchCount(ctx, q); err != nil {
		return nil, err
	}
	if page.next != nil && page.next.Room == "" && page.next.Sender == "" {
		page.next.Count = count
	}
	res := &roomEventsResult{Count: count, Highlights: p.terms, Results: []searchResult{}}
	var contexts map[string]*searchContext
	if p.withContext {
		if contexts, err = s.searchContexts(ctx, device, p, page.events, viewOf); err != nil {
			return nil, err
		}
	}
	byRoom := map[string][]*eventRow{}
	for _, e := range page.events {
		byRoom[e.roomID] = append(byRoom[e.roomID], e)
	}
	groups := make([]roomEvents, 0, len(byRoom))
	for roomID, evs := range byRoom {
		groups = append(groups, roomEvents{vis: views[roomID], events: evs})
	}
	if err := s.attachBundles(ctx, device.UserID, q.upTo, groups...); err != nil {
		return nil, err
	}
	fm := newFormatter(device.UserID, device.DeviceID, nil)
	for i, e := range page.events {
		res.Results = append(res.Results, searchResult{Rank: page.hits[i].rank, Result: fm.event(e), Context: contexts[e.eventID]})
	}
	if page.next != nil {
		res.NextBatch = page.next.String()
	}
	if p.includeState {
		if res.State, err = s.searchState(ctx, device, q, page.events, viewOf); err != nil {
			return nil, err
		}
	}
	res.Groups = searchGroups(p, page)
	return res, nil
}

// searchQueryFor turns the request into the query of its first batch.
func (s *SyncAPI) searchQueryFor(ctx context.Context, userID string, p *searchParams) (searchQuery, error) {
	q := searchQuery{terms: p.terms, keys: p.keys, recent: p.recent, limit: p.limit + 1}
	if t := p.token; t != nil {
		q.upTo, q.after = t.UpTo, &searchHit{pos: t.Pos, rank: t.Rank}
	} else {
		now, err := s.currentPosition(ctx)
		if err != nil {
			return q, err
		}
		q.upTo = now
	}
	rooms, err := s.searchRooms(ctx, userID)
	if err != nil {
		return q, err
	}
	f := p.filter
	for _, r := range rooms {
		if allows(f.Rooms, f.NotRooms, r.roomID, false) && (p.token == nil || p.token.Room == "" || p.token.Room == r.roomID) {
			q.rooms = append(q.rooms, r)
		}
	}
	if f.Senders != nil {
		q.senders = *f.Senders
	}
	if p.token != nil && p.token.Sender != "" {
		if q.senders != nil && !slices.Contains(q.senders, p.token.Sender) {
			q.rooms = nil
		}
		q.senders = []string{p.token.Sender}
	}
	ignored, err := s.ignoredUsers(ctx, userID)
	if err != nil {
		return q, err
	}
	q.notSenders = slices.Clone(f.NotSenders)
	for u := range ignored {
		q.notSenders = append(q.notSenders, u)
	}
	// Types with wildcards are left to the filter, applied to each match.
	if f.Types != nil && !slices.ContainsFunc(*f.Types, func(t string) bool { return strings.Contains(t, "*") }) {
		q.types = *f.Types
	}
	return q, nil
}

// searchPage reads matches batch by batch, keeping those the user may see
// and the filter admits, until it has a page or reads no more.
func (s *SyncAPI) searchPage(ctx context.Context, q searchQuery, p *searchParams, viewOf func(string) (*visibility, error)) (searchPage, error) {
	var page searchPage
	next := searchToken{Recent: p.recent, UpTo: q.upTo}
	if p.token != nil {
		next.Room, next.Sender = p.token.Room, p.token.Sender
	}
	for scanned := 0; ; {
		hits, err := s.searchHits(ctx, q)
		if err != nil {
			return page, err
		}
		positions := make([]int64, len(hits))
		for i, h := range hits {
			positions[i] = h.pos
		}
		evs, err := s.eventsAt(ctx, positions)
		if err != nil {
			return page, err
		}
		if err := s.markErased(ctx, slices.Collect(maps.Values(evs))); err != nil {
			return page, err
		}
		for i, h := range hits {
			if len(page.events) == p.limit {
				page.next = &next
				return page, nil
			}
			next.Pos, next.Rank = h.pos, h.rank
			q.after = &hits[i]
			scanned++
			e := evs[h.pos]
			if e == nil || e.redactedBy != "" || !p.filter.matches(e) {
				continue
			}
			vis, err := viewOf(e.roomID)
			if err != nil {
				return page, err
			}
			// The text of an erased user's event is no longer there for
			// a user who did not see it before the erasure.
			if vis.canSee(e) && (e.erasedAt == 0 || vis.sawBeforeErasure(e)) {
				page.hits = append(page.hits, hits[i])
				page.events = append(page.events, e)
			}
		}
		if len(hits) < q.limit {
			return page, nil
		}
		if scanned >= searchScanFactor*p.limit {
			page.next = &next
			return page, nil
		}
	}
}

// searchGroups groups the page by room or sender; a group's next_batch
// continues the search within the group.
func searchGroups(p *searchParams, page searchPage) map[string]map[string]*searchGroup {
	if !p.groupByRoom && !p.groupBySender {
		return nil
	}
	out := map[string]map[string]*searchGroup{}
	add := func(key, value, eventID string, restrict func(*searchToken)) {
		if out[key] == nil {
			out[key] = map[string]*searchGroup{}
		}
		g := out[key][value]
		if g == nil {
			g = &searchGroup{Order: len(out[key]) + 1}
			if page.next != nil {
				t := *page.next
				restrict(&t)
				g.NextBatch = t.String()
			}
			out[key][value] = g
		}
		g.Results = append(g.Results, eventID)
	}
	for _, e := range page.events {
		if p.groupByRoom {
			add("room_id", e.roomID, e.eventID, func(t *searchToken) { t.Room = e.roomID })
		}
		if p.groupBySender {
			add("sender", e.sender, e.eventID, func(t *searchToken) { t.Sender = e.sender })
		}
	}
	return out
}
