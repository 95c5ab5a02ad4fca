package signing

import "testing"

// FuzzSignJSON checks that signing never panics and that whatever was
// signed verifies and keeps verifying when signed again.
func FuzzSignJSON(f *testing.F) {
	for _, seed := range []string{`{}`, `{"one":1,"two":"Two"}`, `{"signatures":{"a":{"ed25519:x":"AAAA"}},"unsigned":{}}`, `{"f":0.5}`, `[]`} {
		f.Add([]byte(seed))
	}
	key := specKey(f)
	f.Fuzz(func(t *testing.T, message []byte) {
		_ = VerifyJSON(specServerName, specKeyID, key.Public(), message)
		signed, err := SignJSON(specServerName, key, message)
		if err != nil {
			return
		}
		if err := VerifyJSON(specServerName, specKeyID, key.Public(), signed); err != nil {
			t.Fatalf("SignJSON(%q) = %q, which does not verify: %v", message, signed, err)
		}
		again, err := SignJSON(specServerName, key, signed)
		if err != nil || string(again) != string(signed) {
			t.Fatalf("signing %q twice gave %q then %q (%v)", message, signed, again, err)
		}
	})
}
