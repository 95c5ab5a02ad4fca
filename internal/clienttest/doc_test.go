// Package clienttest drives the server with real Matrix client libraries,
// as bots and apps do, to catch what hand-written HTTP tests agree with
// the server on but a client would not. The libraries are test-only
// dependencies: nothing here is linked into the binary.
package clienttest
