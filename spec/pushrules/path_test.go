package pushrules

import (
	"errors"
	"reflect"
	"testing"
)

func TestPropertyPathsEscapeDotsAndBackslashes(t *testing.T) {
	tests := []struct {
		name      string
		path      string
		split     []string
		canonical string
	}{
		{"a plain path splits at dots", "content.body", []string{"content", "body"}, "content.body"},
		{`\. is a dot inside a name`, `content.m\.relates_to`, []string{"content", "m.relates_to"}, `content.m\.relates_to`},
		{`\\ is a backslash inside a name`, `content.m\\foo`, []string{"content", `m\foo`}, `content.m\\foo`},
		{`any other escape is a literal backslash`, `content.m\x`, []string{"content", `m\x`}, `content.m\\x`},
		{`a trailing backslash is literal`, `content.m\`, []string{"content", `m\`}, `content.m\\`},
		{`\\. is a backslash then a separator`, `a\\.b`, []string{`a\`, "b"}, `a\\.b`},
		{"empty names are kept", "a..b", []string{"a", "", "b"}, "a..b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SplitPath(tt.path); !reflect.DeepEqual(got, tt.split) {
				t.Errorf("SplitPath(%q) = %q, want %q", tt.path, got, tt.split)
			}
			if got := canonicalPath(tt.path); got != tt.canonical {
				t.Errorf("canonicalPath(%q) = %q, want %q", tt.path, got, tt.canonical)
			}
		})
	}
}

func TestEscapePathSegmentInvertsSplitPath(t *testing.T) {
	for _, name := range []string{"body", "m.mentions", `m\foo`, `a.\b.`, `\`, ""} {
		if got := SplitPath(EscapePathSegment(name)); len(got) != 1 || got[0] != name {
			t.Errorf("SplitPath(EscapePathSegment(%q)) = %q", name, got)
		}
	}
}

func TestNewEvaluatorRejectsWhatIsNotAnObject(t *testing.T) {
	for _, input := range []string{``, `null`, `[]`, `"event"`, `{"type":`} {
		if _, err := NewEvaluator([]byte(input)); !errors.Is(err, ErrInvalidEvent) {
			t.Errorf("NewEvaluator(%q) succeeded", input)
		}
	}
}
