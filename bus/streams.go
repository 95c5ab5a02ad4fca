package bus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Storage is where a stream keeps its messages.
type Storage int

const (
	// FileStorage survives a restart of the server; the zero value, because
	// losing a stream by forgetting a field is the worse mistake.
	FileStorage Storage = iota
	// MemoryStorage is faster and is lost when the server restarts: for
	// hints that are worthless a minute later (typing, /sync wake-ups).
	MemoryStorage
)

// Retention decides when a stream may drop a message.
type Retention int

const (
	// LimitsRetention keeps messages until MaxAge, MaxMsgs or MaxBytes say
	// otherwise, however many consumers have read them.
	LimitsRetention Retention = iota
	// WorkQueueRetention removes a message once one consumer acknowledges
	// it; a subject may then have only one consumer.
	WorkQueueRetention
	// InterestRetention removes a message once every consumer that existed
	// when it arrived has acknowledged it.
	InterestRetention
)

// StreamSpec declares a stream a component needs. Components keep their
// specs in one file and the server passes them all to EnsureStreams at
// start-up, so adding a component never touches this package.
type StreamSpec struct {
	// Name without the deployment prefix, e.g. "ROOMSERVER_OUTPUT".
	Name        string
	Description string
	// Subjects without the deployment prefix, wildcards allowed.
	Subjects  []string
	Storage   Storage
	Retention Retention
	// MaxAge drops older messages; 0 keeps them forever.
	MaxAge time.Duration
	// MaxMsgs, MaxBytes and MaxMsgsPerSubject bound the stream; 0 is unbounded.
	MaxMsgs           int64
	MaxBytes          int64
	MaxMsgsPerSubject int64
	// Duplicates is how long a message ID (WithMsgID) is remembered for
	// de-duplication; 0 means the server default of two minutes, or MaxAge
	// if that is shorter.
	Duplicates time.Duration
}

func (s StreamSpec) validate() error {
	if s.Name == "" {
		return errors.New("stream spec has no name")
	}
	// A stream without subjects silently listens on its own name, which is
	// never what a component meant.
	if len(s.Subjects) == 0 {
		return fmt.Errorf("stream spec %s has no subjects", s.Name)
	}
	return nil
}

func (b *Bus) streamConfig(s StreamSpec) (jetstream.StreamConfig, error) {
	cfg := jetstream.StreamConfig{
		Name:              b.names.stream(s.Name),
		Description:       s.Description,
		Subjects:          b.names.subjects(s.Subjects),
		MaxAge:            s.MaxAge,
		MaxMsgs:           orUnlimited(s.MaxMsgs),
		MaxBytes:          orUnlimited(s.MaxBytes),
		MaxMsgsPerSubject: orUnlimited(s.MaxMsgsPerSubject),
		Duplicates:        s.Duplicates,
		Replicas:          b.cfg.replicas(),
		Discard:           jetstream.DiscardOld,
	}
	switch s.Storage {
	case FileStorage:
		cfg.Storage = jetstream.FileStorage
	case MemoryStorage:
		cfg.Storage = jetstream.MemoryStorage
	default:
		return cfg, fmt.Errorf("stream spec %s: unknown storage %d", s.Name, s.Storage)
	}
	switch s.Retention {
	case LimitsRetention:
		cfg.Retention = jetstream.LimitsPolicy
	case WorkQueueRetention:
		cfg.Retention = jetstream.WorkQueuePolicy
	case InterestRetention:
		cfg.Retention = jetstream.InterestPolicy
	default:
		return cfg, fmt.Errorf("stream spec %s: unknown retention %d", s.Name, s.Retention)
	}
	if s.Duplicates > 0 && s.MaxAge > 0 && s.Duplicates > s.MaxAge {
		return cfg, fmt.Errorf("stream spec %s: duplicates window %s exceeds max age %s", s.Name, s.Duplicates, s.MaxAge)
	}
	return cfg, nil
}

func orUnlimited(n int64) int64 {
	if n == 0 {
		return -1
	}
	return n
}

// EnsureStreams creates each stream, or updates it to match its spec, so
// every instance may call it at start-up in any order. A change the server
// cannot apply in place (storage type, work-queue retention) is an error
// naming the stream: that needs a migration, not a silent recreate.
func (b *Bus) EnsureStreams(ctx context.Context, specs ...StreamSpec) error {
	for _, spec := range specs {
		if err := spec.validate(); err != nil {
			return fmt.Errorf("ensure streams: %w", err)
		}
		cfg, err := b.streamConfig(spec)
		if err != nil {
			return fmt.Errorf("ensure streams: %w", err)
		}
		if _, err := b.js.CreateOrUpdateStream(ctx, cfg); err != nil {
			return fmt.Errorf("ensure stream %s: %w", cfg.Name, err)
		}
	}
	return nil
}
