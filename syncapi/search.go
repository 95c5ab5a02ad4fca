package syncapi

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/spec/errcode"
)

// Limits of a search request: they bound the work one request costs.
const (
	defaultSearchLimit  = 10
	maxSearchLimit      = 100
	maxSearchTerms      = 16
	maxSearchTermLength = 512 // characters of search_term
	defaultContextLimit = 5
	maxContextLimit     = 50
	// searchScanFactor times the limit is how many matches one request
	// reads at most while dropping those the user may not see; past it
	// the page ends early with a next_batch.
	searchScanFactor = 20
)

func (s *SyncAPI) registerSearch(routes httpapi.Routes) {
	httpapi.HandleClient(routes.Client, http.MethodPost, "/search",
		httpapi.Authenticated(s.authn, s.handleSearch), httpapi.ClientR0V3)
}

type searchRequest struct {
	SearchCategories struct {
		RoomEvents *roomEventsCriteria `json:"room_events"`
	} `json:"search_categories"`
}

type roomEventsCriteria struct {
	SearchTerm   *string         `json:"search_term"`
	Keys         []string        `json:"keys"`
	Filter       json.RawMessage `json:"filter"`
	OrderBy      string          `json:"order_by"`
	EventContext *struct {
		BeforeLimit    *int `json:"before_limit"`
		AfterLimit     *int `json:"after_limit"`
		IncludeProfile bool `json:"include_profile"`
	} `json:"event_context"`
	IncludeState bool `json:"include_state"`
	Groupings    struct {
		GroupBy []struct {
			Key string `json:"key"`
		} `json:"group_by"`
	} `json:"groupings"`
}

// searchParams is a validated room_events search.
type searchParams struct {
	terms          []string
	keys           []string
	filter         *RoomEventFilter
	limit          int
	recent         bool
	withContext    bool
	before, after  int
	includeProfile bool
	includeState   bool
	groupByRoom    bool
	groupBySender  bool
	token          *searchToken
}

// searchToken is the opaque next_batch: where the next page starts, in
// the snapshot of the first page (events up to UpTo), and the group it is
// restricted to when it is a group's next_batch.
type searchToken struct {
	Recent bool    `json:"t,omitempty"`
	UpTo   int64   `json:"u"`
	Pos    int64   `json:"p"` // the last match read
	Rank   float64 `json:"k,omitempty"`
	Room   string  `json:"r,omitempty"`
	Sender string  `json:"s,omitempty"`
	// Count is the first page's count: counting every match again for
	// each page would cost as much as the search itself.
	Count int `json:"c,omitempty"`
}

func (t searchToken) String() string {
	js, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(js)
}

func parseSearchToken(v string) (*searchToken, error) {
	js, err := base64.RawURLEncoding.DecodeString(v)
	var t searchToken
	if err != nil || json.Unmarshal(js, &t) != nil || t.UpTo < 0 || t.Pos < 1 {
		return nil, errcode.InvalidParam("next_batch is not a token from this server's search")
	}
	return &t, nil
}

// parseSearch validates the request before anything is read.
func parseSearch(c *roomEventsCriteria, nextBatch string) (*searchParams, error) {
	if c.SearchTerm == nil {
		return nil, errcode.MissingParam("search_categories.room_events.search_term is required")
	}
	if utf8.RuneCountInString(*c.SearchTerm) > maxSearchTermLength {
		return nil, errcode.InvalidParam(fmt.Sprintf("search_term is longer than %d characters", maxSearchTermLength))
	}
	p := &searchParams{limit: defaultSearchLimit, filter: &RoomEventFilter{}}
	for _, t := range strings.Fields(*c.SearchTerm) {
		if !slices.Contains(p.terms, t) {
			p.terms = append(p.terms, t)
		}
	}
	switch {
	case len(p.terms) == 0:
		return nil, errcode.InvalidParam("search_term has no words")
	case len(p.terms) > maxSearchTerms:
		return nil, errcode.InvalidParam(fmt.Sprintf("search_term has more than %d words", maxSearchTerms))
	}
	p.keys = c.Keys
	if p.keys == nil {
		p.keys = []string{"content.body", "content.name", "content.topic"}
	}
	for _, k := range p.keys {
		if _, ok := searchFields[k]; !ok {
			return nil, errcode.InvalidParam(fmt.Sprintf("keys: %q is not content.body, content.name or content.topic", k))
		}
	}
	if len(c.Filter) > 0 && string(c.Filter) != "null" {
		f, err := parseRoomEventFilter(c.Filter)
		if err != nil {
			return nil, err
		}
		p.filter = f
		if f.Limit != nil {
			p.limit = min(*f.Limit, maxSearchLimit)
		}
	}
	switch c.OrderBy {
	case "", "rank":
	case "recent":
		p.recent = true
	default:
		return nil, errcode.InvalidParam("order_by must be rank or recent")
	}
	if ec := c.EventContext; ec != nil {
		p.withContext, p.includeProfile = true, ec.IncludeProfile
		var err error
		if p.before, err = contextLimit("before_limit", ec.BeforeLimit); err != nil {
			return nil, err
		}
		if p.after, err = contextLimit("after_limit", ec.AfterLimit); err != nil {
			return nil, err
		}
	}
	p.includeState = c.IncludeState
	for _, g := range c.Groupings.GroupBy {
		switch g.Key {
		case "room_id":
			p.groupByRoom = true
		case "sender":
			p.groupBySender = true
		default:
			return nil, errcode.InvalidParam(fmt.Sprintf("groupings: cannot group by %q, only room_id or sender", g.Key))
		}
	}
	if nextBatch != "" {
		t, err := parseSearchToken(nextBatch)
		if err != nil {
			return nil, err
		}
		if t.Recent != p.recent {
			return nil, errcode.InvalidParam("next_batch was given for the other order_by")
		}
		p.token = t
	}
	return p, nil
}

func contextLimit(name string, v *int) (int, error) {
	if v == nil {
		return defaultContextLimit, nil
	}
	if *v < 0 {
		return 0, errcode.InvalidParam("event_context." + name + " must not be negative")
	}
	return min(*v, maxContextLimit), nil
}

// handleSearch serves POST /search; only the room_events category exists.
// https://spec.matrix.org/latest/client-server-api/#post_matrixclientv3search
func (s *SyncAPI) handleSearch(r *http.Request, device *httpapi.Device) (any, error) {
	var req searchRequest
	if err := httpapi.DecodeJSON(r, &req); err != nil {
		return nil, err
	}
	resp := map[string]any{}
	c := req.SearchCategories.RoomEvents
	if c == nil {
		return map[string]any{"search_categories": resp}, nil
	}
	p, err := parseSearch(c, r.URL.Query().Get("next_batch"))
	if err != nil {
		return nil, err
	}
	res, err := s.searchRoomEvents(r.Context(), device, p)
	if err != nil {
		return nil, err
	}
	resp["room_events"] = res
	return map[string]any{"search_categories": resp}, nil
}
