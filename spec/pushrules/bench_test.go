package pushrules

import (
	"fmt"
	"testing"
)

func BenchmarkNewEvaluator(b *testing.B) {
	event := readTestdata(b, "events/user_mention.json")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewEvaluator(event); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEvaluate(b *testing.B) {
	ctx := Context{UserID: alice, DisplayName: "Alice", RoomMemberCount: 10, NotificationPowerLevels: map[string]int64{"room": 50}}
	for _, bench := range []struct {
		name  string
		event string
		rules Ruleset
	}{
		{"message/defaults", "message", DefaultRuleset(alice)},
		{"mention/defaults", "user_mention", DefaultRuleset(alice)},
		{"encrypted/defaults", "encrypted", DefaultRuleset(alice)},
	} {
		b.Run(bench.name, func(b *testing.B) {
			e := eventEvaluator(b, bench.event)
			b.ReportAllocs()
			for b.Loop() {
				if rule, _ := e.Evaluate(bench.rules, ctx); rule == nil {
					b.Fatal("no rule matched")
				}
			}
		})
	}
}

// memberRulesets builds the merged rulesets of n members: every member has
// the defaults, every third a few keyword rules (one a glob), every tenth a
// muted room.
func memberRulesets(b *testing.B, n int, defaults func(string) Ruleset) ([]Ruleset, []Context) {
	b.Helper()
	rulesets := make([]Ruleset, n)
	contexts := make([]Context, n)
	for i := range n {
		userID := fmt.Sprintf("@user%d:example.org", i)
		rs := defaults(userID)
		var err error
		if i%3 == 0 {
			for _, pattern := range []string{"deploy", "outage", "incident*"} {
				rs, err = Insert(rs, KindContent, Rule{RuleID: pattern, Pattern: pattern, Actions: Actions{Notify(), HighlightTweak()}}, "", "")
				if err != nil {
					b.Fatal(err)
				}
			}
		}
		if i%10 == 0 {
			if rs, err = Insert(rs, KindRoom, Rule{RuleID: "!quiet:example.org", Actions: Actions{}}, "", ""); err != nil {
				b.Fatal(err)
			}
		}
		rulesets[i] = rs
		contexts[i] = Context{UserID: userID, DisplayName: fmt.Sprintf("User %d", i), RoomMemberCount: n,
			NotificationPowerLevels: map[string]int64{"room": 50}}
	}
	return rulesets, contexts
}

// BenchmarkEvaluate1000Members is the write path: one event, flattened once,
// evaluated for each of 1,000 members. One iteration is the whole room.
func BenchmarkEvaluate1000Members(b *testing.B) {
	for _, bench := range []struct {
		name     string
		event    string
		defaults func(string) Ruleset
	}{
		{"message/defaults", "message", DefaultRuleset},
		{"mention/defaults", "user_mention", DefaultRuleset},
	} {
		b.Run(bench.name, func(b *testing.B) {
			rulesets, contexts := memberRulesets(b, 1000, bench.defaults)
			event := readTestdata(b, "events/"+bench.event+".json")
			b.ReportAllocs()
			for b.Loop() {
				e, err := NewEvaluator(event)
				if err != nil {
					b.Fatal(err)
				}
				notified := 0
				for i := range rulesets {
					if _, actions := e.Evaluate(rulesets[i], contexts[i]); actions.Notify() {
						notified++
					}
				}
				if notified == 0 {
					b.Fatal("nobody was notified")
				}
			}
		})
	}
}
