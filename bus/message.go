package bus

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Header names the bus sets on every published message.
const (
	// HeaderType carries Typed.MessageType, so a consumer can tell message
	// kinds apart on a shared subject without decoding the body.
	HeaderType = "Ocomms-Msg-Type"
	// HeaderVersion carries Typed.MessageVersion, so a consumer can refuse or
	// upgrade a body written by an older or newer producer during a rolling
	// upgrade.
	HeaderVersion = "Ocomms-Msg-Version"
)

// Typed is implemented by the message structs of the internal protocol.
// Publish copies both values into headers.
type Typed interface {
	// MessageType is a stable name such as "roomserver.output_event".
	MessageType() string
	// MessageVersion is bumped whenever the JSON shape changes incompatibly.
	MessageVersion() int
}

// Header holds message headers. Keys are case-sensitive.
type Header map[string][]string

// Get returns the first value for key, or "".
func (h Header) Get(key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Message is one message delivered from the bus.
type Message struct {
	// Subject without the deployment prefix, as it was published.
	Subject string
	Data    []byte
	Headers Header
	// Sequence is the message's position in its stream: strictly
	// increasing, so a consumer can store it to skip redelivered work.
	Sequence uint64
	// Delivered counts delivery attempts, 1 on the first.
	Delivered uint64
	// Published is when the stream stored the message (server clock).
	Published time.Time
}

// Decode unmarshals the JSON body into v.
func (m Message) Decode(v any) error {
	if err := json.Unmarshal(m.Data, v); err != nil {
		return fmt.Errorf("decode bus message %s #%d: %w", m.Subject, m.Sequence, err)
	}
	return nil
}

// Type is the publisher's Typed.MessageType, or "" if it had none.
func (m Message) Type() string {
	return m.Headers.Get(HeaderType)
}

// Version is the publisher's Typed.MessageVersion, or 0 if it had none.
func (m Message) Version() int {
	v, err := strconv.Atoi(m.Headers.Get(HeaderVersion))
	if err != nil {
		return 0
	}
	return v
}

func (b *Bus) message(msg jetstream.Msg) (Message, error) {
	meta, err := msg.Metadata()
	if err != nil {
		return Message{}, fmt.Errorf("read jetstream metadata on %s: %w", msg.Subject(), err)
	}
	return Message{
		Subject:   b.names.unsubject(msg.Subject()),
		Data:      msg.Data(),
		Headers:   Header(msg.Headers()),
		Sequence:  meta.Sequence.Stream,
		Delivered: meta.NumDelivered,
		Published: meta.Timestamp,
	}, nil
}
