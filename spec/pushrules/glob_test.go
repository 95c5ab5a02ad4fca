package pushrules

import (
	"strings"
	"testing"
)

func TestGlobsMatchWholeValues(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		value   string
		want    bool
	}{
		{"? and * match as in the spec's example", "lunc?*", "Lunch plans", true},
		{"* may match nothing", "lunc?*", "LUNCH", true},
		{"a leading space is not ignored", "lunc?*", " lunch", false},
		{"? must match a character", "lunc?*", "lunc", false},
		{"* matches the empty value", "*", "", true},
		{"? does not match the empty value", "?", "", false},
		{"? matches one code point, not one byte", "?", "é", true},
		{"?? does not match one two-byte code point", "??", "é", false},
		{"stars match across separators", "a*b*c", "a.x.b-y-c", true},
		{"stars must still reach the end", "a*b*c", "aXbY", false},
		{"repeated stars are one star", "a**c", "abbbc", true},
		{"* matches newlines", "a*b", "a\nb", true},
		{"the Kelvin sign folds to k", "kelvin", "\u212aELVIN", true},
		{"dots are literal", "m.room.message", "mXroomXmessage", false},
		{"many stars cannot blow up", strings.Repeat("*a", 30) + "*b", strings.Repeat("a", 200), false},
		{"a pattern longer than 64 tokens matches", strings.Repeat("a", 70) + "*", strings.Repeat("A", 75), true},
		{"a pattern longer than 64 tokens still requires every token", strings.Repeat("a", 70) + "?", strings.Repeat("a", 70), false},
		{"a star after the 64th token carries across words", strings.Repeat("x", 63) + "*" + strings.Repeat("y", 10), strings.Repeat("x", 63) + "zz" + strings.Repeat("y", 10), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := compileGlob(tt.pattern).matchWhole(tt.value); got != tt.want {
				t.Errorf("glob %q on %q = %v, want %v", tt.pattern, tt.value, got, tt.want)
			}
			if !hasWildcard(tt.pattern) {
				if got := strings.EqualFold(tt.value, tt.pattern); got != tt.want {
					t.Errorf("literal %q on %q = %v, want %v", tt.pattern, tt.value, got, tt.want)
				}
			}
		})
	}
}

func TestGlobsMatchWordsOfTheBody(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		value   string
		want    bool
	}{
		{"a pattern matches inside a sentence", "ex*ple", "An example event.", true},
		{"a pattern matches the whole body", "ex*ple", "exple", true},
		{"a pattern may span words and hyphens", "ex*ple", "An exciting triple-whammy", true},
		{"a word matches before punctuation", "simple", "some simple.", true},
		{"a word does not match a longer word", "simple", "simples", false},
		{"a word does not match the end of a longer word", "cake", "cupcake", false},
		{"underscore is a word character", "cake", "cake_walk", false},
		{"digits are word characters", "cake", "cake2", false},
		{"non-ASCII letters are boundaries", "caf", "café", true},
		{"a user ID matches between spaces", "@user:foo", "Some @user:foo test", true},
		{"a pattern starting with a non-word character may follow a word", "@room", "hi@room", true},
		{"case is ignored", "CAKE", "I like cake", true},
		{"a star cannot end inside a word", "cake*lie", "the cake is a lier", false},
		{"a star may end at a word", "cake*lie", "the cake is a lie", true},
		{"the match may start after an earlier failed start", "aab", "aaab aab", true},
		{"* matches any body", "*", "", true},
		{"an empty body has no words to match", "cake", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := compileGlob(tt.pattern).matchWords(tt.value); got != tt.want {
				t.Errorf("glob %q on %q = %v, want %v", tt.pattern, tt.value, got, tt.want)
			}
			if !hasWildcard(tt.pattern) {
				if got := containsWord(tt.value, tt.pattern); got != tt.want {
					t.Errorf("literal %q on %q = %v, want %v", tt.pattern, tt.value, got, tt.want)
				}
			}
		})
	}
}

func TestContentRulesMatchTheirPatternInTheBody(t *testing.T) {
	rs := Ruleset{Content: []Rule{
		{RuleID: "cake", Enabled: true, Pattern: "cake*lie", Actions: Actions{Notify(), SoundTweak("cakealarm.wav")}},
		{RuleID: "tea", Enabled: true, Pattern: "tea", Actions: Actions{Notify()}},
		{RuleID: "off", Enabled: false, Pattern: "*", Actions: Actions{Notify()}},
	}}
	tests := []struct {
		name string
		body string
		want string
	}{
		{"the first matching content rule wins", "It's time for tea: the cake is a lie", "cake"},
		{"a later rule matches when earlier ones do not", "It's time for tea", "tea"},
		{"a disabled rule never matches", "nothing here", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rule, _ := bodyEvaluator(t, tt.body).Evaluate(rs, Context{UserID: alice})
			got := ""
			if rule != nil {
				got = rule.RuleID
			}
			if got != tt.want {
				t.Errorf("matched %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRoomAndSenderRulesMatchByRuleID(t *testing.T) {
	rs := Ruleset{
		Room:   []Rule{{RuleID: "!other:example.org", Enabled: true, Actions: Actions{Notify()}}, {RuleID: "!team:example.org", Enabled: true}},
		Sender: []Rule{{RuleID: "@bob:example.org", Enabled: true, Actions: Actions{Notify()}}},
	}
	rule, actions := eventEvaluator(t, "message").Evaluate(rs, Context{UserID: alice})
	if rule == nil || rule.RuleID != "!team:example.org" || actions.Notify() {
		t.Errorf("a room rule should silence the room before the sender rule, got %+v", rule)
	}
	rs.Room = rs.Room[:1]
	rule, actions = eventEvaluator(t, "message").Evaluate(rs, Context{UserID: alice})
	if rule == nil || rule.RuleID != "@bob:example.org" || !actions.Notify() {
		t.Errorf("the sender rule should match, got %+v", rule)
	}
}

func TestAnEvaluatorIsSafeForConcurrentUse(t *testing.T) {
	e := bodyEvaluator(t, "the incident is over, deploy again")
	rs := Ruleset{Content: []Rule{
		{RuleID: "a", Enabled: true, Pattern: "incid?nt*over", Actions: Actions{Notify()}},
		{RuleID: "b", Enabled: true, Pattern: "dep*", Actions: Actions{Notify()}},
	}}
	done := make(chan string)
	for range 8 {
		go func() {
			rule, _ := e.Evaluate(rs, Context{UserID: alice})
			done <- rule.RuleID
		}()
	}
	for range 8 {
		if id := <-done; id != "a" {
			t.Errorf("matched %q, want a", id)
		}
	}
}
