// Package clienttest drives the server with real Matrix client libraries,
// as bots and apps do, to catch what hand-written HTTP tests agree with
// the server on but a client would not. The libraries are test-only
// dependencies: nothing here is linked into the binary.
//
// Most tests run the server in-process. TestOcommsBinaryServesMautrixClients
// builds cmd/ocomms and runs it as `make run` does, with mautrix-go users
// registering through /register and uploading keys with mautrix's crypto
// machine; it needs the goolm build tag (pure-Go Olm; libolm would need
// cgo): go test -tags goolm -run TestOcommsBinary ./internal/clienttest
package clienttest
