package pushrules

import (
	"encoding/json"
	"strings"
	"sync"
)

// Context is what evaluation needs to know besides the event: who the rules
// belong to and the state of the room when the event was sent.
type Context struct {
	// UserID is the owner of the ruleset. Their own events never notify.
	UserID string
	// DisplayName is the owner's display name in the room, for
	// contains_display_name; empty never matches.
	DisplayName string
	// RoomMemberCount is the number of joined members, for
	// room_member_count.
	RoomMemberCount int
	// SenderPowerLevel is the sender's power level in the room. Room
	// creators in room versions where they have infinite power should be
	// given math.MaxInt64.
	SenderPowerLevel int64
	// NotificationPowerLevels is the "notifications" object of the room's
	// m.room.power_levels content, e.g. {"room": 50}. A key it lacks
	// requires 50, the spec's default for "room".
	NotificationPowerLevels map[string]int64
}

// defaultNotificationPowerLevel is the default of notifications.room in
// m.room.power_levels, used for any notification key the room does not set.
//
// https://spec.matrix.org/latest/client-server-api/#mroompower_levels
const defaultNotificationPowerLevel = 50

// Evaluator matches one event against any number of rulesets. Build it once
// per event; it is safe for concurrent use.
type Evaluator struct {
	flat      *flatEvent
	eventType *flatValue // the top-level type, which most default rules test
	sender    string
	roomID    string
	body      string
	hasBody   bool

	mu    sync.Mutex
	globs map[string]*glob
}

// NewEvaluator flattens the event (a client or federation event, as JSON)
// for evaluation. It fails only when the event is not a JSON object.
func NewEvaluator(event json.RawMessage) (*Evaluator, error) {
	flat, err := flattenEvent(event)
	if err != nil {
		return nil, err
	}
	e := &Evaluator{flat: flat}
	e.eventType, _ = flat.get("type")
	e.sender = e.stringAt("sender")
	e.roomID = e.stringAt("room_id")
	if v, ok := flat.get("content.body"); ok && !v.isArray && v.Type == ValueString {
		e.body, e.hasBody = v.Str, true
	}
	return e, nil
}

func (e *Evaluator) stringAt(path string) string {
	if v, ok := e.flat.get(path); ok && !v.isArray && v.Type == ValueString {
		return v.Str
	}
	return ""
}

// Evaluate returns the first enabled rule of rs that matches the event, in
// the spec's order of kinds and then of rules, with its actions; the rule
// points into rs. It returns nil when nothing matches, and always for the
// user's own events, which must never notify them.
//
// https://spec.matrix.org/latest/client-server-api/#push-rules
func (e *Evaluator) Evaluate(rs Ruleset, ctx Context) (*Rule, Actions) {
	if ctx.UserID != "" && ctx.UserID == e.sender {
		return nil, nil
	}
	for _, kind := range [...]Kind{KindOverride, KindContent, KindRoom, KindSender, KindUnderride} {
		rules := rs.Rules(kind)
		for i := range rules {
			r := &rules[i]
			if !r.Enabled {
				continue
			}
			if e.ruleMatches(kind, r, &ctx) {
				return r, r.Actions
			}
		}
	}
	return nil, nil
}

// ruleMatches applies a rule's conditions, or the predefined condition its
// kind implies.
func (e *Evaluator) ruleMatches(kind Kind, r *Rule, ctx *Context) bool {
	switch kind {
	case KindContent:
		return e.hasBody && e.matchGlob(r.Pattern, e.body, true)
	case KindRoom:
		return e.roomID != "" && r.RuleID == e.roomID
	case KindSender:
		return e.sender != "" && r.RuleID == e.sender
	}
	for i := range r.Conditions {
		if !e.conditionMatches(&r.Conditions[i], ctx) {
			return false
		}
	}
	return true
}

// ConditionMatches evaluates one condition against the event. Unknown kinds
// and conditions missing a parameter they need never match.
//
// https://spec.matrix.org/latest/client-server-api/#conditions-1
func (e *Evaluator) ConditionMatches(c Condition, ctx Context) bool {
	return e.conditionMatches(&c, &ctx)
}

// conditionMatches takes pointers because it runs for every condition of
// every rule of every member; copying the structs was most of its cost.
func (e *Evaluator) conditionMatches(c *Condition, ctx *Context) bool {
	switch c.Kind {
	case ConditionEventMatch:
		return e.eventMatch(c.Key, c.Pattern)
	case ConditionEventPropertyIs:
		v, ok := e.lookup(c.Key)
		return ok && !v.isArray && c.Value.Type != ValueAbsent && v.Value.Equal(c.Value)
	case ConditionEventPropertyContains:
		v, ok := e.lookup(c.Key)
		if !ok || !v.isArray || c.Value.Type == ValueAbsent {
			return false
		}
		for _, el := range v.elements {
			if el.Equal(c.Value) {
				return true
			}
		}
		return false
	case ConditionContainsDisplayName:
		return e.hasBody && ctx.DisplayName != "" && containsWord(e.body, ctx.DisplayName)
	case ConditionRoomMemberCount:
		op, ok := parseMemberCount(c.Is)
		return ok && op.matches(int64(ctx.RoomMemberCount))
	case ConditionSenderNotificationPermission:
		if c.Key == "" {
			return false
		}
		required, ok := ctx.NotificationPowerLevels[c.Key]
		if !ok {
			required = defaultNotificationPowerLevel
		}
		return ctx.SenderPowerLevel >= required
	}
	return false
}

// eventMatch is the event_match condition: a case-insensitive glob over the
// whole string value at key, or over the words of content.body.
//
// https://spec.matrix.org/latest/client-server-api/#conditions-1
func (e *Evaluator) eventMatch(key, pattern string) bool {
	if key == "" {
		return false
	}
	path := canonicalPath(key)
	v, ok := e.lookupCanonical(path)
	if !ok || v.isArray || v.Type != ValueString {
		return false
	}
	return e.matchGlob(pattern, v.Str, path == "content.body")
}

// lookup finds the value at a dot-separated path as a rule writes it.
func (e *Evaluator) lookup(key string) (*flatValue, bool) {
	return e.lookupCanonical(canonicalPath(key))
}

func (e *Evaluator) lookupCanonical(path string) (*flatValue, bool) {
	if path == "type" {
		return e.eventType, e.eventType != nil
	}
	return e.flat.get(path)
}

// matchGlob matches a pattern against a value, whole or by words. Patterns
// without wildcards, which are almost all of them, need no compiled glob.
func (e *Evaluator) matchGlob(pattern, value string, words bool) bool {
	if !hasWildcard(pattern) {
		if words {
			return containsWord(value, pattern)
		}
		return strings.EqualFold(value, pattern)
	}
	g := e.compiled(pattern)
	if words {
		return g.matchWords(value)
	}
	return g.matchWhole(value)
}

// compiled returns the glob for a pattern, compiling it once per evaluator
// so that the members sharing a rule share its compilation.
func (e *Evaluator) compiled(pattern string) *glob {
	e.mu.Lock()
	defer e.mu.Unlock()
	if g, ok := e.globs[pattern]; ok {
		return g
	}
	if e.globs == nil {
		e.globs = make(map[string]*glob)
	}
	g := compileGlob(pattern)
	e.globs[pattern] = g
	return g
}
