// Package api is the client API's side of the internal protocol: the
// messages its endpoint families publish for other components (the sync
// API today, federation later) when a client changes something that is
// not room state — account data, receipts, typing, presence, to-device
// messages, device lists. Each message type lives in a file of its own
// with its stream, subject and version; the endpoint family that
// publishes it declares the stream (Streams() of its component).
//
// Durable messages are written through an outbox (package outbox) in the
// transaction that stores the change, so what a client was told is saved
// reaches every consumer. Consumers must be idempotent: a message may be
// delivered twice.
package api
