package event

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"testing"

	"github.com/ocomms/ocomms/spec/b64"
	"github.com/ocomms/ocomms/spec/roomversion"
	"github.com/ocomms/ocomms/spec/signing"
)

// The event signing vectors of the appendix. Their redacted forms keep
// "origin", so they hold for the redaction algorithms of room versions 1
// to 10.
//
// https://spec.matrix.org/latest/appendices/#event-signing
func TestSignEventReproducesTheAppendixVectors(t *testing.T) {
	cases := []struct {
		name, in, out string
	}{
		{"a minimal event gets the appendix's hash and signature", "spec_sign_minimal_in.json", "spec_sign_minimal_out.json"},
		{"an event with redactable content gets the appendix's hash and signature", "spec_sign_redactable_in.json", "spec_sign_redactable_out.json"},
	}
	key := specKey(t)
	for _, tc := range cases {
		for _, id := range []roomversion.ID{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10"} {
			t.Run(tc.name+" in room version "+string(id), func(t *testing.T) {
				got, err := SignEvent(rulesFor(t, id), readTestdata(t, tc.in), "domain", key)
				if err != nil {
					t.Fatalf("SignEvent: %v", err)
				}
				want := canonical(t, readTestdata(t, tc.out))
				if !bytes.Equal(got, want) {
					t.Errorf("signed event\n got %s\nwant %s", got, want)
				}
			})
		}
	}
}

func TestSignEventInVersion11SignsWithoutOrigin(t *testing.T) {
	rules := rulesFor(t, "11")
	got, err := SignEvent(rules, readTestdata(t, "spec_sign_minimal_in.json"), "domain", specKey(t))
	if err != nil {
		t.Fatalf("SignEvent: %v", err)
	}
	ev, err := Parse(rules, got)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if h := ev.Hashes()["sha256"]; h != "5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos" {
		t.Errorf("content hash %s, want the appendix's: it covers the full event in every version", h)
	}
	if sig := ev.Signatures()["domain"]["ed25519:1"]; sig == "KxwGjPSDEtvnFgU00fwFz+l6d2pJM6XBIaMEn81SXPTRl16AqLAYqfIReFGZlHi5KLjAWbOoMszkwsQma+lYAg" {
		t.Error("version 11 signature equals the one over a redacted form that keeps origin")
	}
	if err := VerifyEventSignatures(rules, ev, keyring(1<<62, map[string]signing.SigningKey{"domain": specKey(t)})); err != nil {
		t.Errorf("VerifyEventSignatures: %v", err)
	}
}

func TestAppendixSignedEventsVerify(t *testing.T) {
	key := specKey(t)
	pub := key.Private.Public().(ed25519.PublicKey)

	t.Run("the minimal signed event parses and its signature and hash check", func(t *testing.T) {
		rules := rulesFor(t, "4")
		ev, err := Parse(rules, readTestdata(t, "spec_sign_minimal_out.json"))
		if err != nil {
			t.Fatalf("Parse: %v", err)
		}
		if err := VerifyEventSignatures(rules, ev, keyring(2000000, map[string]signing.SigningKey{"domain": key})); err != nil {
			t.Errorf("VerifyEventSignatures: %v", err)
		}
		if err := CheckContentHash(ev); err != nil {
			t.Errorf("CheckContentHash: %v", err)
		}
	})
	t.Run("the redacted form of the redactable event carries a valid signature", func(t *testing.T) {
		redacted, err := Redact(rulesFor(t, "1"), readTestdata(t, "spec_sign_redactable_out.json"))
		if err != nil {
			t.Fatalf("Redact: %v", err)
		}
		if err := signing.VerifyJSON("domain", "ed25519:1", pub, redacted); err != nil {
			t.Errorf("VerifyJSON on %s: %v", redacted, err)
		}
	})
	t.Run("the content hash of each appendix event matches", func(t *testing.T) {
		for _, name := range []string{"spec_sign_minimal_out.json", "spec_sign_redactable_out.json"} {
			raw := readTestdata(t, name)
			h, err := ContentHash(rulesFor(t, "1"), raw)
			if err != nil {
				t.Fatalf("ContentHash: %v", err)
			}
			want := map[string]string{
				"spec_sign_minimal_out.json":    "5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos",
				"spec_sign_redactable_out.json": "onLKD1bGljeBWQhWZ1kaP9SorVmRQNdN5aM2JYU2n/g",
			}[name]
			if got := b64.Encode(h[:]); got != want {
				t.Errorf("%s: content hash %s, want %s", name, got, want)
			}
		}
	})
}

// A room version 10 event produced by another homeserver, with its event
// ID, is a cross-implementation vector for the reference hash in both
// base64 alphabets.
func TestEventIDMatchesAnotherImplementation(t *testing.T) {
	raw := readTestdata(t, "interop_v10_message.json")
	cases := []struct {
		name    string
		version roomversion.ID
		want    string
	}{
		{"version 10 uses URL-safe base64 of the reference hash", "10", "$zRz9jjiT9wZc3Hl9ij_74aCmTjqV3YMlj9sj3Uqxg6o"},
		{"version 4 uses URL-safe base64 of the reference hash", "4", "$zRz9jjiT9wZc3Hl9ij_74aCmTjqV3YMlj9sj3Uqxg6o"},
		{"version 3 uses standard base64 of the reference hash", "3", "$zRz9jjiT9wZc3Hl9ij/74aCmTjqV3YMlj9sj3Uqxg6o"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rules := rulesFor(t, tc.version)
			ev, err := Parse(rules, raw)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if ev.EventID() != tc.want {
				t.Errorf("EventID %s, want %s", ev.EventID(), tc.want)
			}
			if err := CheckContentHash(ev); err != nil {
				t.Errorf("CheckContentHash: %v", err)
			}
			red, err := ev.Redact()
			if err != nil {
				t.Fatalf("Redact: %v", err)
			}
			reparsed, err := Parse(rules, red.JSON())
			if err != nil {
				t.Fatalf("Parse redacted: %v", err)
			}
			if reparsed.EventID() != tc.want {
				t.Errorf("redacted event ID %s, want %s", reparsed.EventID(), tc.want)
			}
			if err := CheckContentHash(reparsed); !errors.Is(err, ErrContentHashMismatch) {
				t.Errorf("CheckContentHash of the redacted copy = %v, want ErrContentHashMismatch", err)
			}
		})
	}
	t.Run("version 11 no longer covers origin, so the ID changes", func(t *testing.T) {
		ev, err := Parse(rulesFor(t, "11"), raw)
		if err != nil {
			t.Fatalf("Parse: %v", err)
		}
		if ev.EventID() == "$zRz9jjiT9wZc3Hl9ij_74aCmTjqV3YMlj9sj3Uqxg6o" {
			t.Error("version 11 event ID equals the version 10 one")
		}
	})
}
