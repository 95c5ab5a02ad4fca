package pushrules

import "strings"

// EscapePathSegment escapes one property name for use in a dot-separated
// property path: a literal "." becomes `\.` and a literal `\` becomes `\\`.
//
// https://spec.matrix.org/latest/appendices/#dot-separated-property-paths
func EscapePathSegment(name string) string {
	if !strings.ContainsAny(name, `.\`) {
		return name
	}
	var b strings.Builder
	b.Grow(len(name) + 2)
	for i := 0; i < len(name); i++ {
		if name[i] == '.' || name[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(name[i])
	}
	return b.String()
}

// SplitPath splits a dot-separated property path into property names.
// `\.` and `\\` stand for a literal dot and backslash; any other backslash
// is kept as a literal backslash, as the spec says.
//
// https://spec.matrix.org/latest/appendices/#dot-separated-property-paths
func SplitPath(path string) []string {
	var (
		names []string
		cur   strings.Builder
	)
	for i := 0; i < len(path); i++ {
		c := path[i]
		switch {
		case c == '\\' && i+1 < len(path) && (path[i+1] == '.' || path[i+1] == '\\'):
			cur.WriteByte(path[i+1])
			i++
		case c == '.':
			names = append(names, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	return append(names, cur.String())
}

// canonicalPath rewrites a path so that it escapes exactly the characters
// EscapePathSegment escapes. The flattened event is keyed by canonical
// paths, so a condition key with a redundant escape such as `\x` still finds
// the property it names.
func canonicalPath(path string) string {
	if isCanonicalPath(path) {
		return path
	}
	names := SplitPath(path)
	for i, n := range names {
		names[i] = EscapePathSegment(n)
	}
	return strings.Join(names, ".")
}

// isCanonicalPath reports whether every backslash in path starts a `\.` or
// `\\` escape, which is how the default rules and most clients write keys;
// those need no rewriting, so evaluation does not allocate for them.
func isCanonicalPath(path string) bool {
	for i := 0; i < len(path); i++ {
		if path[i] != '\\' {
			continue
		}
		if i+1 == len(path) || (path[i+1] != '.' && path[i+1] != '\\') {
			return false
		}
		i++
	}
	return true
}
