// Package e2etest runs a real end-to-end encryption client library
// (mautrix-go's crypto with its pure-Go Olm, goolm) against the server:
// users upload keys, cross-sign, share a Megolm session over to-device
// messages and decrypt each other's messages. The library is a test-only
// dependency, and the tests need the goolm build tag (libolm would need
// cgo): go test -tags goolm ./internal/e2etest
package e2etest
