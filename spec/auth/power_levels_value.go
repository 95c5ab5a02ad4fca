package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"unicode"

	"github.com/ocomms/ocomms/spec/roomversion"
)

// maxSafeInteger bounds integers in room versions that enforce canonical
// JSON.
// https://spec.matrix.org/latest/appendices/#canonical-json
const maxSafeInteger = 1<<53 - 1

var (
	errLevelNotInteger = errors.New("not an integer")
	errLevelString     = errors.New("a string, which this room version does not accept")
	errLevelFloat      = errors.New("a float, which this room version does not accept")
	errLevelInfinite   = errors.New("outside the range of a double")
	errLevelBadString  = errors.New("a string that is not an integer")
	errLevelRange      = errors.New("outside the canonical JSON integer range")
)

// parseLevel reads one power level value as the room version says.
//
// Room versions 1-9 accept integers written as strings, with surrounding
// whitespace, leading zeroes and a sign; versions 1-5, which do not enforce
// canonical JSON, also accept floats, truncated towards zero. Versions 10
// and later accept JSON integers only.
//
// Values beyond int64, which old room versions can hold because they do not
// enforce canonical JSON, saturate at the int64 bounds: the rules only ever
// compare levels, and such levels compare the same way saturated.
//
// https://spec.matrix.org/latest/rooms/v9/#mroompower_levels-events-accept-values-as-strings
// https://spec.matrix.org/latest/rooms/v5/#mroompower_levels-events-accept-values-as-floats
// https://spec.matrix.org/latest/rooms/v10/#values-in-mroompower_levels-events-must-be-integers
func parseLevel(rules roomversion.Rules, raw json.RawMessage) (int64, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return 0, errLevelNotInteger
	}
	switch c := raw[0]; {
	case c == '"':
		if rules.IntegerPowerLevels {
			return 0, errLevelString
		}
		s, ok := asString(raw)
		if !ok {
			return 0, errLevelBadString
		}
		return parseStringyLevel(s)
	case c == '-' || (c >= '0' && c <= '9'):
		return parseNumberLevel(rules, string(raw))
	default:
		return 0, errLevelNotInteger
	}
}

func parseNumberLevel(rules roomversion.Rules, lit string) (int64, error) {
	if strings.ContainsAny(lit, ".eE") {
		if rules.StrictCanonicalJSON {
			return 0, errLevelFloat
		}
		f, err := strconv.ParseFloat(lit, 64)
		if err != nil {
			if errors.Is(err, strconv.ErrRange) && math.IsInf(f, 0) {
				return 0, errLevelInfinite
			}
			// A literal too small for a double underflows to zero, which
			// truncates to zero like any other fraction.
			if !errors.Is(err, strconv.ErrRange) {
				return 0, errLevelNotInteger
			}
		}
		return saturate(math.Trunc(f)), nil
	}
	v, err := strconv.ParseInt(lit, 10, 64)
	if err != nil {
		if !errors.Is(err, strconv.ErrRange) {
			return 0, errLevelNotInteger
		}
		if rules.StrictCanonicalJSON {
			return 0, errLevelRange
		}
		if strings.HasPrefix(lit, "-") {
			return math.MinInt64, nil
		}
		return math.MaxInt64, nil
	}
	if rules.StrictCanonicalJSON && (v > maxSafeInteger || v < -maxSafeInteger) {
		return 0, errLevelRange
	}
	return v, nil
}

func saturate(f float64) int64 {
	switch {
	case f >= math.MaxInt64:
		return math.MaxInt64
	case f <= math.MinInt64:
		return math.MinInt64
	}
	return int64(f)
}

// parseStringyLevel reads "  +0100 ": whitespace, an optional sign, base 10
// digits, whitespace.
func parseStringyLevel(s string) (int64, error) {
	s = strings.TrimFunc(s, unicode.IsSpace)
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if s == "" {
		return 0, errLevelBadString
	}
	var v int64
	saturated := false
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return 0, errLevelBadString
		}
		d := int64(c - '0')
		if saturated || v > (math.MaxInt64-d)/10 {
			saturated = true
			continue
		}
		v = v*10 + d
	}
	switch {
	case saturated && neg:
		return math.MinInt64, nil
	case saturated:
		return math.MaxInt64, nil
	case neg:
		return -v, nil
	}
	return v, nil
}
