package canonicaljson

import (
	"bytes"
	"strconv"
)

// maxSafeInteger is 2^53-1, the largest integer canonical JSON allows (and
// the smallest allowed is its negation).
const maxSafeInteger = 1<<53 - 1

// maxExponent bounds the exponents we track exactly; any number with a
// larger exponent (and a non-zero value) is far outside the canonical range
// or has a fraction, whatever its digits.
const maxExponent = 1 << 30

// number reads a JSON number at e.pos and writes its canonical form.
func (e *encoder) number() error {
	start := e.pos
	negative := e.in[e.pos] == '-'
	if negative {
		e.pos++
	}
	intStart := e.pos
	switch {
	case e.pos < len(e.in) && e.in[e.pos] == '0':
		e.pos++
	case e.pos < len(e.in) && e.in[e.pos] >= '1' && e.in[e.pos] <= '9':
		e.pos = e.digits(e.pos)
	default:
		return e.fail(ErrInvalidJSON, "invalid number")
	}
	intDigits := e.in[intStart:e.pos]

	var fracDigits []byte
	if e.pos < len(e.in) && e.in[e.pos] == '.' {
		end := e.digits(e.pos + 1)
		if end == e.pos+1 {
			return e.fail(ErrInvalidJSON, "invalid number: no digits after '.'")
		}
		fracDigits = e.in[e.pos+1 : end]
		e.pos = end
	}

	hasExponent, exponent := false, 0
	if e.pos < len(e.in) && (e.in[e.pos] == 'e' || e.in[e.pos] == 'E') {
		hasExponent = true
		i := e.pos + 1
		expNegative := false
		if i < len(e.in) && (e.in[i] == '+' || e.in[i] == '-') {
			expNegative = e.in[i] == '-'
			i++
		}
		end := e.digits(i)
		if end == i {
			return e.fail(ErrInvalidJSON, "invalid number: no digits in the exponent")
		}
		for _, d := range e.in[i:end] {
			exponent = min(exponent*10+int(d-'0'), maxExponent)
		}
		if expNegative {
			exponent = -exponent
		}
		e.pos = end
	}

	if fracDigits == nil && !hasExponent {
		return e.integer(negative, intDigits, start)
	}
	if e.lenient {
		return e.float(start)
	}
	return e.integralValue(negative, intDigits, fracDigits, exponent, start)
}

func (e *encoder) digits(i int) int {
	for i < len(e.in) && e.in[i] >= '0' && e.in[i] <= '9' {
		i++
	}
	return i
}

// integer writes a number spelt as an integer literal. "-0" is zero, as
// the appendix's examples show.
func (e *encoder) integer(negative bool, digits []byte, start int) error {
	if len(digits) == 1 && digits[0] == '0' {
		e.out = append(e.out, '0')
		return nil
	}
	if !e.lenient {
		if len(digits) > len("9007199254740991") {
			return e.outOfRange(start)
		}
		if parseDigits(digits) > maxSafeInteger {
			return e.outOfRange(start)
		}
	}
	if negative {
		e.out = append(e.out, '-')
	}
	e.out = append(e.out, digits...)
	return nil
}

// integralValue writes a number spelt with a fraction or an exponent when
// its exact value is an integer in the canonical range. The value is
// (intDigits.fracDigits) * 10^exponent, computed on the decimal digits.
func (e *encoder) integralValue(negative bool, intDigits, fracDigits []byte, exponent, start int) error {
	mantissa := make([]byte, 0, len(intDigits)+len(fracDigits))
	mantissa = append(append(mantissa, intDigits...), fracDigits...)
	mantissa = bytes.TrimLeft(mantissa, "0")
	if len(mantissa) == 0 {
		e.out = append(e.out, '0')
		return nil
	}
	scale := exponent - len(fracDigits)
	trimmed := bytes.TrimRight(mantissa, "0")
	scale += len(mantissa) - len(trimmed)
	mantissa = trimmed
	if scale < 0 {
		return e.fail(ErrFloat, "%s has a fractional part", e.in[start:e.pos])
	}
	if len(mantissa)+scale > len("9007199254740991") {
		return e.outOfRange(start)
	}
	v := parseDigits(mantissa)
	for range scale {
		v *= 10
	}
	if v > maxSafeInteger {
		return e.outOfRange(start)
	}
	if negative {
		e.out = append(e.out, '-')
	}
	e.out = strconv.AppendUint(e.out, v, 10)
	return nil
}

// parseDigits returns the value of at most 19 decimal digits, which always
// fits in a uint64.
func parseDigits(digits []byte) uint64 {
	var v uint64
	for _, d := range digits {
		v = v*10 + uint64(d-'0')
	}
	return v
}

func (e *encoder) outOfRange(start int) error {
	return e.fail(ErrIntegerOutOfRange, "%s", e.in[start:e.pos])
}

// float writes a number spelt with a fraction or an exponent the way
// Python's json module writes the float it parses to: repr(float), which
// is the shortest round-tripping digits, in positional notation with a
// trailing ".0" when the decimal exponent is in [-4, 16), and otherwise in
// scientific notation with a signed exponent of at least two digits.
// Python refuses to encode infinities, so numbers too large for a float64
// are rejected.
func (e *encoder) float(start int) error {
	f, err := strconv.ParseFloat(string(e.in[start:e.pos]), 64)
	if err != nil {
		return e.fail(ErrFloat, "%s is not representable as a float64", e.in[start:e.pos])
	}
	e.out = appendPythonFloat(e.out, f)
	return nil
}

func appendPythonFloat(out []byte, f float64) []byte {
	var buf [32]byte
	sci := strconv.AppendFloat(buf[:0], f, 'e', -1, 64)
	exp, _ := strconv.Atoi(string(sci[bytes.IndexByte(sci, 'e')+1:]))
	if exp < -4 || exp >= 16 {
		return append(out, sci...)
	}
	start := len(out)
	out = strconv.AppendFloat(out, f, 'f', -1, 64)
	if bytes.IndexByte(out[start:], '.') < 0 {
		out = append(out, '.', '0')
	}
	return out
}
