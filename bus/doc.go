// Package bus is the internal message bus between components: NATS
// JetStream, either embedded in this process (single binary, no listener)
// or an external server or cluster shared by many instances. Both run the
// same code once connected; nothing bypasses the bus in a single process.
//
// Components declare their streams as StreamSpec values in one file and the
// server passes them to EnsureStreams at start-up. They then use three
// shapes of traffic:
//
//   - Publish stores a JSON message in a stream and waits for the ack.
//   - Consume is durable, at-least-once work sharing: instances using the
//     same durable name split the messages, and a consumer that was down
//     resumes where it stopped. Handlers must tolerate redelivery (use
//     Message.Sequence or an event ID to skip repeated work).
//   - Subscribe is fan-out: every running instance sees every message.
//
// Durability: the embedded server syncs every write before acknowledging
// it. An external server decides this itself; run it with
// "jetstream { sync_interval: always }" (or replicas on a cluster) for the
// same guarantee.
//
// Fan-out streams should use FileStorage with a short MaxAge on external
// servers: a MemoryStorage stream disappears when that server restarts and
// publishes fail until EnsureStreams runs again.
package bus
