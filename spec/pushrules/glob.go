package pushrules

import (
	"unicode"
	"unicode/utf8"
)

// Case-insensitive, for this implementation, means equal under Unicode
// simple case folding (the relation strings.EqualFold uses): two runes match
// when they are in the same folding orbit. The spec leaves the exact meaning
// to the homeserver.
//
// https://spec.matrix.org/latest/client-server-api/#conditions-1

// fold maps a rune to the smallest rune of its simple-folding orbit, so that
// two runes are case-insensitively equal exactly when their folds are equal.
func fold(r rune) rune {
	if r < utf8.RuneSelf {
		if 'a' <= r && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}
	smallest := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		smallest = min(smallest, f)
	}
	return smallest
}

// isWordChar reports whether r is in [A-Z], [a-z], [0-9] or _; every other
// character is a word boundary.
//
// https://spec.matrix.org/latest/client-server-api/#push-rules
func isWordChar(r rune) bool {
	return r == '_' || ('0' <= r && r <= '9') || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z')
}

// atBoundary reports whether a match may start or end between prev and
// next (either of which is -1 at the start or end of the value). The spec
// defines a word boundary as the start or end of the value or any non-word
// character; a substring may begin or end right beside one, or with one.
func atBoundary(prev, next rune) bool {
	return prev < 0 || next < 0 || !isWordChar(prev) || !isWordChar(next)
}

// hasWildcard reports whether a glob pattern uses * or ?.
func hasWildcard(pattern string) bool {
	for i := 0; i < len(pattern); i++ {
		if pattern[i] == '*' || pattern[i] == '?' {
			return true
		}
	}
	return false
}

// glob is a compiled glob-style pattern: * matches zero or more characters
// and ? exactly one character, a character being a Unicode code point.
//
// It runs as a bit-parallel NFA. State k means "the first k tokens have
// matched", state n (the token count) accepts. Each input rune costs a few
// word operations per 64 tokens, so matching is linear in the value whatever
// the pattern: a pattern like *a*a*a*b cannot make evaluation backtrack.
//
// https://spec.matrix.org/latest/appendices/#glob-style-matching
type glob struct {
	n     int // tokens; the accepting state is n
	words int // uint64 words per state set
	// star has bit k set when token k is *, which loops on any rune and
	// may also be skipped; any has bit k set when token k is ?.
	star, any []uint64
	// ascii holds, for each ASCII rune c, the tokens that are the literal
	// fold(c); other holds the same for non-ASCII folded runes.
	ascii []uint64
	other map[rune][]uint64
}

func compileGlob(pattern string) *glob {
	n := 0
	for i, r := range pattern {
		// Consecutive stars are one star; keeping them would only add
		// states.
		if r == '*' && i > 0 && pattern[i-1] == '*' {
			continue
		}
		n++
	}
	g := &glob{n: n, words: (n + 1 + 63) / 64}
	g.star = make([]uint64, g.words)
	g.any = make([]uint64, g.words)
	g.ascii = make([]uint64, utf8.RuneSelf*g.words)
	k := 0
	for i, r := range pattern {
		word, bit := k/64, uint64(1)<<(k%64)
		switch {
		case r == '*' && i > 0 && pattern[i-1] == '*':
			continue
		case r == '*':
			g.star[word] |= bit
		case r == '?':
			g.any[word] |= bit
		default:
			f := fold(r)
			if f < utf8.RuneSelf {
				g.ascii[int(f)*g.words+word] |= bit
			} else {
				if g.other == nil {
					g.other = make(map[rune][]uint64)
				}
				m := g.other[f]
				if m == nil {
					m = make([]uint64, g.words)
					g.other[f] = m
				}
				m[word] |= bit
			}
		}
		k++
	}
	return g
}

// literalMask returns the tokens that are a literal equal to r, or nil.
func (g *glob) literalMask(r rune) []uint64 {
	f := fold(r)
	if f < utf8.RuneSelf {
		return g.ascii[int(f)*g.words : int(f+1)*g.words]
	}
	return g.other[f]
}

// matchWhole reports whether the pattern matches the entire value.
func (g *glob) matchWhole(value string) bool {
	return g.run(value, false)
}

// matchWords reports whether the pattern matches a substring of the value
// that starts and ends at a word boundary.
func (g *glob) matchWords(value string) bool {
	return g.run(value, true)
}

func (g *glob) run(value string, words bool) bool {
	var buf [8]uint64
	var cur, next []uint64
	if 2*g.words <= len(buf) {
		cur, next = buf[:g.words], buf[g.words:2*g.words]
	} else {
		cur, next = make([]uint64, g.words), make([]uint64, g.words)
	}
	acceptWord, acceptBit := g.n/64, uint64(1)<<(g.n%64)
	g.inject(cur)
	prev := rune(-1)
	for i := 0; ; {
		r, size := rune(-1), 0
		if i < len(value) {
			r, size = utf8.DecodeRuneInString(value[i:])
		}
		if words && atBoundary(prev, r) {
			if i > 0 {
				g.inject(cur)
			}
			if cur[acceptWord]&acceptBit != 0 {
				return true
			}
		}
		if r < 0 {
			break
		}
		if !g.step(cur, next, r) && !words {
			return false
		}
		cur, next = next, cur
		prev = r
		i += size
	}
	return !words && cur[acceptWord]&acceptBit != 0
}

// inject adds the start state, and the states reachable from it through
// skipped stars.
func (g *glob) inject(cur []uint64) {
	cur[0] |= 1
	g.closeStars(cur)
}

// closeStars adds state k+1 for every active state k whose token is a star,
// because a star may match nothing. Consecutive stars were merged, so one
// pass reaches every such state.
func (g *glob) closeStars(cur []uint64) {
	carry := uint64(0)
	for w := range cur {
		s := cur[w] & g.star[w]
		cur[w] |= s<<1 | carry
		carry = s >> 63
	}
}

// step consumes r, writing the next state set into next, and reports
// whether any state is still alive.
func (g *glob) step(cur, next []uint64, r rune) bool {
	lit := g.literalMask(r)
	carry := uint64(0)
	alive := uint64(0)
	for w := range cur {
		adv := cur[w] & g.any[w]
		if lit != nil {
			adv |= cur[w] & lit[w]
		}
		next[w] = adv<<1 | carry | cur[w]&g.star[w]
		carry = adv >> 63
		alive |= next[w]
	}
	g.closeStars(next)
	return alive != 0
}

// containsWord reports whether lit, taken literally (no wildcards), occurs
// case-insensitively in value starting and ending at word boundaries. It
// serves literal content patterns and display names without compiling
// anything, since a display name differs for every member evaluated.
func containsWord(value, lit string) bool {
	prev := rune(-1)
	for i := 0; i <= len(value); {
		r, size := rune(-1), 0
		if i < len(value) {
			r, size = utf8.DecodeRuneInString(value[i:])
		}
		if atBoundary(prev, r) {
			if end, ok := hasFoldPrefix(value[i:], lit); ok {
				endPrev, _ := utf8.DecodeLastRuneInString(value[:i+end])
				if i+end == 0 {
					endPrev = -1
				}
				endNext := rune(-1)
				if i+end < len(value) {
					endNext, _ = utf8.DecodeRuneInString(value[i+end:])
				}
				if atBoundary(endPrev, endNext) {
					return true
				}
			}
		}
		if r < 0 {
			break
		}
		prev = r
		i += size
	}
	return false
}

// hasFoldPrefix reports whether s starts with prefix case-insensitively,
// and how many bytes of s the prefix covers.
func hasFoldPrefix(s, prefix string) (int, bool) {
	i := 0
	for _, p := range prefix {
		if i >= len(s) {
			return 0, false
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r != p && fold(r) != fold(p) {
			return 0, false
		}
		i += size
	}
	return i, true
}
