package pushrules

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestActionsParseAndSummarise(t *testing.T) {
	tests := []struct {
		name      string
		json      string
		notify    bool
		highlight bool
		sound     string
		length    int
	}{
		{"no actions do nothing", `[]`, false, false, "", 0},
		{"notify notifies", `["notify"]`, true, false, "", 1},
		{"dont_notify is ignored", `["dont_notify"]`, false, false, "", 0},
		{"coalesce is ignored next to notify", `["notify","coalesce"]`, true, false, "", 1},
		{"highlight without a value is true", `["notify",{"set_tweak":"highlight"}]`, true, true, "", 2},
		{"highlight false is false", `[{"set_tweak":"highlight","value":false}]`, false, false, "", 1},
		{"the last highlight wins", `[{"set_tweak":"highlight"},{"set_tweak":"highlight","value":false}]`, false, false, "", 2},
		{"sound carries its value", `["notify",{"set_tweak":"sound","value":"ring"}]`, true, false, "ring", 2},
		{"a custom tweak passes through", `[{"set_tweak":"org.example.led","value":{"colour":"red"}}]`, false, false, "", 1},
		{"an unknown string action is kept", `["org.example.buzz"]`, false, false, "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var as Actions
			if err := json.Unmarshal([]byte(tt.json), &as); err != nil {
				t.Fatal(err)
			}
			if as.Notify() != tt.notify || as.Highlight() != tt.highlight || as.Sound() != tt.sound || len(as) != tt.length {
				t.Errorf("got notify=%v highlight=%v sound=%q len=%d", as.Notify(), as.Highlight(), as.Sound(), len(as))
			}
		})
	}
}

func TestActionsMarshalAsTheSpecWritesThem(t *testing.T) {
	as := Actions{Notify(), SoundTweak("default"), HighlightTweak(), SetTweak(TweakHighlight, json.RawMessage("false"))}
	got, err := json.Marshal(as)
	if err != nil {
		t.Fatal(err)
	}
	want := `["notify",{"set_tweak":"sound","value":"default"},{"set_tweak":"highlight"},{"set_tweak":"highlight","value":false}]`
	if string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if got, _ := json.Marshal(Actions(nil)); string(got) != `[]` {
		t.Errorf("nil actions marshal to %s, want []", got)
	}
}

func TestActionsTweaksAreWhatThePushGatewayReceives(t *testing.T) {
	var as Actions
	if err := json.Unmarshal([]byte(`["notify",{"set_tweak":"sound","value":"default"},{"set_tweak":"highlight"},{"set_tweak":"org.example.bare"}]`), &as); err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(as.Tweaks())
	if err != nil {
		t.Fatal(err)
	}
	assertSameJSON(t, got, []byte(`{"sound":"default","highlight":true}`))
	if (Actions{Notify()}).Tweaks() != nil {
		t.Error("actions without tweaks should give no tweaks")
	}
}

func TestMalformedActionsAreRejected(t *testing.T) {
	for _, input := range []string{`[{}]`, `[{"set_tweak":""}]`, `[{"set_tweak":1}]`, `[1]`, `[null]`, `{}`} {
		var as Actions
		err := json.Unmarshal([]byte(input), &as)
		if err == nil {
			t.Errorf("parsed %s as %+v", input, as)
			continue
		}
		var typeErr *json.UnmarshalTypeError
		if !errors.Is(err, ErrInvalidAction) && !errors.As(err, &typeErr) {
			t.Errorf("%s: error %v is neither ErrInvalidAction nor a type error", input, err)
		}
	}
}
