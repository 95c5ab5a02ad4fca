// Package difftest holds differential tests of the spec packages: random but
// plausible JSON values, events and rooms are given to our implementation and
// to independent Go implementations of the same algorithms
// (github.com/matrix-org/gomatrixserverlib, and maunium.net/go/mautrix's
// federation packages), and the answers must agree.
//
// The package has no code outside its tests; the other implementations are
// imported only by _test.go files and never reach a binary.
//
// A default `go test` runs a fixed seed and a bounded number of cases.
// Longer runs are controlled by environment variables:
//
//	OCOMMS_DIFF_SEED   seed of the generators; 0 picks a random seed, which
//	                   the tests log so that a failure can be replayed
//	OCOMMS_DIFF_COUNT  multiplier of the number of cases (default 1)
//
// mautrix's federation packages need encoding/json/v2, which Go 1.26 offers
// only as an experiment, so the comparisons with mautrix run only when the
// tests are built with GOEXPERIMENT=jsonv2:
//
//	GOEXPERIMENT=jsonv2 OCOMMS_DIFF_SEED=0 OCOMMS_DIFF_COUNT=20 go test ./spec/difftest/
//
// Where an oracle disagrees with the specification and we follow it, the
// random tests accept the disagreement only if a run-time classifier names
// it as a known departure, and each departure is also a small hand-built
// case of the same name that quotes the spec and fails once the oracle
// decides as we do: TestGomatrixserverlibAuthDeviations,
// TestGomatrixserverlibStateResolutionDeviations and TestMautrixAuthDeviations.
package difftest
