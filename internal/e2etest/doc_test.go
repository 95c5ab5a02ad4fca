// Package e2etest runs a real end-to-end encryption client library
// (mautrix-go's crypto with its pure-Go Olm, goolm) against the server:
// users upload keys, cross-sign and verify each other, share a Megolm
// session over to-device messages and decrypt each other's messages, back
// the room keys up and restore them on a new device, which reads the
// history and is trusted by the other user through cross-signing. Each
// flow runs with both users on one instance and on two instances sharing
// PostgreSQL and NATS. The library is a test-only dependency, and the
// tests need the goolm build tag (libolm would need cgo):
// go test -tags goolm ./internal/e2etest
package e2etest
