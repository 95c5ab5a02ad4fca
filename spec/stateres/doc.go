// Package stateres implements state resolution: given the room states at the
// tips of a fork in the room DAG, it computes the one state every server in
// the room agrees on. Room version 1 uses the original algorithm, versions 2
// to 11 use state resolution v2 and version 12 uses v2.1 (MSC4297).
//
// Events are read through a caller-supplied EventLookup, so the package does
// no I/O of its own: a roomserver backs the lookup with its database, a test
// with a map.
//
// https://spec.matrix.org/latest/server-server-api/#room-state-resolution
package stateres
