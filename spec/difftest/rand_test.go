package difftest

import (
	"crypto/ed25519"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/ocomms/ocomms/spec/roomversion"
	"github.com/ocomms/ocomms/spec/signing"
)

// defaultSeed is the seed of a run without OCOMMS_DIFF_SEED.
const defaultSeed = 20260506

var (
	seedOnce sync.Once
	runSeed  uint64
	runCount int
)

// config reads OCOMMS_DIFF_SEED and OCOMMS_DIFF_COUNT once per run.
func config(t testing.TB) (seed uint64, count int) {
	t.Helper()
	seedOnce.Do(func() {
		runSeed, runCount = defaultSeed, 1
		if s := os.Getenv("OCOMMS_DIFF_SEED"); s != "" {
			v, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				panic("OCOMMS_DIFF_SEED must be an unsigned integer: " + err.Error())
			}
			runSeed = v
			if v == 0 {
				runSeed = rand.Uint64()
			}
		}
		if s := os.Getenv("OCOMMS_DIFF_COUNT"); s != "" {
			v, err := strconv.Atoi(s)
			if err != nil || v < 1 {
				panic("OCOMMS_DIFF_COUNT must be a positive integer")
			}
			runCount = v
		}
		fmt.Fprintf(os.Stderr, "difftest: OCOMMS_DIFF_SEED=%d OCOMMS_DIFF_COUNT=%d\n", runSeed, runCount)
	})
	return runSeed, runCount
}

// newRand returns the generator of one test, seeded from the run seed and
// the test's name so that tests do not depend on each other's order, and the
// number of cases the test should run (n times the multiplier).
func newRand(t testing.TB, n int) (*rand.Rand, int) {
	t.Helper()
	seed, count := config(t)
	h := fnv.New64a()
	h.Write([]byte(t.Name()))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("replay with OCOMMS_DIFF_SEED=%d OCOMMS_DIFF_COUNT=%d", seed, count)
		}
	})
	return rand.New(rand.NewPCG(seed, h.Sum64())), n * count
}

// versions are the room versions compared: every version both we and the
// oracle know.
func versions(t testing.TB, oracleKnows func(roomversion.ID) bool) []roomversion.Rules {
	t.Helper()
	var out []roomversion.Rules
	for _, r := range roomversion.All() {
		if oracleKnows(r.ID) {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		t.Fatal("no room version in common with the oracle")
	}
	return out
}

// testKey is the signing key of every test server, derived from a fixed
// seed; each server signs under its own name with it.
func testKey(t testing.TB) signing.SigningKey {
	t.Helper()
	seed := make([]byte, ed25519.SeedSize)
	for i := range seed {
		seed[i] = byte(i*7 + 1)
	}
	k, err := signing.NewSigningKey("ed25519:test1", seed)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// randKey is a signing key with a random seed and key version.
func randKey(t testing.TB, r *rand.Rand) signing.SigningKey {
	t.Helper()
	seed := make([]byte, ed25519.SeedSize)
	for i := range seed {
		seed[i] = byte(r.Uint32())
	}
	k, err := signing.NewSigningKey(signing.KeyID("ed25519:"+randWord(r, 1, 8)), seed)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

const wordChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"

// randWord is min to max characters of [a-zA-Z0-9_].
func randWord(r *rand.Rand, min, max int) string {
	n := min + r.IntN(max-min+1)
	b := make([]byte, n)
	for i := range b {
		b[i] = wordChars[r.IntN(len(wordChars))]
	}
	return string(b)
}

// stringRunes are code points that exercise escaping and sorting: ASCII,
// the escaped characters, controls, DEL, Latin-1, U+2028/9, BMP scripts,
// the last BMP code points and astral code points (surrogate pairs in
// \u escapes).
var stringRunes = []rune{
	'a', 'b', 'z', 'A', 'Z', '0', '9', ' ', '_', '.', ':', '@', '!', '$', '#', '/', '\'', '<', '>', '&',
	'"', '\\', '\b', '\f', '\n', '\r', '\t', 0x00, 0x01, 0x1f, 0x7f,
	0x80, 0xa0, 0xe9, 0xff, 0x100, 0x2028, 0x2029, 0x4e2d, 0x6587, 0xac00, 0xfeff, 0xfffd, 0xffff,
	0x1f600, 0x1f44d, 0x10000, 0x10ffff,
}

// randString is a random string of up to max code points from stringRunes
// and random code points.
func randString(r *rand.Rand, max int) string {
	n := r.IntN(max + 1)
	var b strings.Builder
	for range n {
		switch r.IntN(4) {
		case 0:
			c := rune(r.IntN(0x10ffff))
			if c >= 0xd800 && c < 0xe000 {
				c = 'x'
			}
			b.WriteRune(c)
		default:
			b.WriteRune(stringRunes[r.IntN(len(stringRunes))])
		}
	}
	return b.String()
}

// plainString is a string without characters JSON must escape.
func plainString(r *rand.Rand, max int) string {
	s := randString(r, max)
	return strings.Map(func(c rune) rune {
		if c < 0x20 || c == '"' || c == '\\' {
			return -1
		}
		return c
	}, s)
}

// jsonOptions choose what randJSON may write.
type jsonOptions struct {
	// escapeKeys lets object keys hold characters that must be escaped.
	escapeKeys bool
	// spellings writes strings with random \u escapes and "\/", and zero
	// sometimes as -0.
	spellings bool
	// exponents writes some integers with an exponent, 5E3 for 5000.
	exponents bool
	// space adds insignificant whitespace.
	space bool
}

// randJSON writes a random JSON value of at most depth levels of nesting.
// Numbers are integers in the canonical range, big ones included.
func randJSON(r *rand.Rand, depth int, o jsonOptions) string {
	var b strings.Builder
	writeJSON(&b, r, depth, o)
	return b.String()
}

func writeJSON(b *strings.Builder, r *rand.Rand, depth int, o jsonOptions) {
	sp := func() {
		if o.space && r.IntN(3) == 0 {
			b.WriteString([]string{" ", "\n", "\t", "\r\n  "}[r.IntN(4)])
		}
	}
	kind := r.IntN(8)
	if depth <= 0 && kind >= 6 {
		kind = r.IntN(6)
	}
	switch kind {
	case 0:
		b.WriteString([]string{"true", "false", "null"}[r.IntN(3)])
	case 1, 2:
		writeInt(b, r, o)
	case 3, 4, 5:
		writeString(b, r, randString(r, 12), o)
	case 6:
		b.WriteByte('[')
		n := r.IntN(5)
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			sp()
			writeJSON(b, r, depth-1, o)
			sp()
		}
		b.WriteByte(']')
	case 7:
		b.WriteByte('{')
		n := r.IntN(6)
		seen := map[string]bool{}
		first := true
		for range n {
			var k string
			if o.escapeKeys {
				k = randString(r, 6)
			} else {
				k = plainString(r, 6)
			}
			if seen[k] {
				continue
			}
			seen[k] = true
			if !first {
				b.WriteByte(',')
			}
			first = false
			sp()
			writeString(b, r, k, o)
			sp()
			b.WriteByte(':')
			sp()
			writeJSON(b, r, depth-1, o)
			sp()
		}
		b.WriteByte('}')
	}
}

// writeInt writes an integer in [-(2^53)+1, 2^53-1], often one near the
// limits, sometimes (with spellings) as -0 or with an exponent.
func writeInt(b *strings.Builder, r *rand.Rand, o jsonOptions) {
	const limit = 1<<53 - 1
	var v int64
	switch r.IntN(5) {
	case 0:
		v = int64(r.IntN(10))
	case 1:
		v = limit - int64(r.IntN(3))
	case 2:
		v = -limit + int64(r.IntN(3))
	default:
		v = r.Int64N(2*limit+1) - limit
	}
	if o.spellings && v == 0 && r.IntN(2) == 0 {
		b.WriteString("-0")
		return
	}
	if o.exponents && r.IntN(3) == 0 {
		switch {
		case v != 0 && v%1000 == 0:
			fmt.Fprintf(b, "%dE3", v/1000)
			return
		case v > -1000 && v < 1000:
			fmt.Fprintf(b, "%d000e-3", v)
			return
		}
	}
	b.WriteString(strconv.FormatInt(v, 10))
}

// writeString writes s as a JSON string; with spellings some characters are
// written as \u escapes (astral ones as surrogate pairs) or as "\/".
func writeString(b *strings.Builder, r *rand.Rand, s string, o jsonOptions) {
	b.WriteByte('"')
	for _, c := range s {
		if o.spellings && r.IntN(5) == 0 {
			if c == '/' {
				b.WriteString(`\/`)
				continue
			}
			if c >= 0x10000 {
				c -= 0x10000
				fmt.Fprintf(b, `\u%04X\u%04x`, 0xd800+(c>>10), 0xdc00+(c&0x3ff))
				continue
			}
			fmt.Fprintf(b, `\u%04x`, c)
			continue
		}
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if c < 0x20 {
				fmt.Fprintf(b, `\u%04x`, c)
			} else {
				b.WriteRune(c)
			}
		}
	}
	b.WriteByte('"')
}

// randObject is a random JSON object without escaped keys.
func randObject(r *rand.Rand, depth int) string {
	for {
		s := randJSON(r, depth, jsonOptions{})
		if strings.HasPrefix(s, "{") {
			return s
		}
	}
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
