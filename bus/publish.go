package bus

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// PublishOption adjusts one Publish call.
type PublishOption func(*publishOptions)

type publishOptions struct {
	msgID  string
	header Header
}

// WithMsgID lets the stream drop a second publish with the same id inside
// its Duplicates window, which makes a retried publish (after a timeout whose
// ack was lost) safe. Use an id derived from the content, e.g. an event ID.
func WithMsgID(id string) PublishOption {
	return func(o *publishOptions) { o.msgID = id }
}

// WithHeader adds a header to the message.
func WithHeader(key, value string) PublishOption {
	return func(o *publishOptions) {
		if o.header == nil {
			o.header = Header{}
		}
		o.header[key] = append(o.header[key], value)
	}
}

// Publish JSON-encodes msg and stores it in the stream that owns subject,
// returning once the stream has acknowledged it (on the embedded server:
// written and synced to disk for file streams). A json.RawMessage is sent
// as is. If msg implements Typed, its type and version go into headers.
func (b *Bus) Publish(ctx context.Context, subject string, msg any, opts ...PublishOption) error {
	var o publishOptions
	for _, opt := range opts {
		opt(&o)
	}
	data, err := json.Marshal(msg)
	if err != nil {
		return fmt.Errorf("publish to %s: encode %T: %w", subject, msg, err)
	}
	out := &nats.Msg{
		Subject: b.names.subject(subject),
		Data:    data,
		Header:  nats.Header{},
	}
	for k, vs := range o.header {
		for _, v := range vs {
			out.Header.Add(k, v)
		}
	}
	if t, ok := msg.(Typed); ok {
		out.Header.Set(HeaderType, t.MessageType())
		out.Header.Set(HeaderVersion, strconv.Itoa(t.MessageVersion()))
	}
	var jsOpts []jetstream.PublishOpt
	if o.msgID != "" {
		jsOpts = append(jsOpts, jetstream.WithMsgID(o.msgID))
	}
	if _, err := b.js.PublishMsg(ctx, out, jsOpts...); err != nil {
		return fmt.Errorf("publish to %s: %w", subject, err)
	}
	return nil
}
