package bus

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Config says where the bus lives and how this process connects to it.
type Config struct {
	// URLs of an external NATS server or cluster. Empty means the bus starts
	// an embedded server inside this process.
	URLs []string

	// DataDir holds JetStream storage for the embedded server. Required when
	// URLs is empty; ignored otherwise (the external server owns its storage).
	DataDir string

	// Prefix is prepended to every stream name ("<Prefix>_<name>") and subject
	// ("<Prefix>.<subject>"), so several deployments or parallel test runs can
	// share one NATS without seeing each other. Letters, digits, '-' and '_'.
	Prefix string

	// Name identifies this process's connection in NATS monitoring.
	Name string

	// CredentialsFile is a NATS .creds file for an external server that
	// requires authentication.
	CredentialsFile string

	// Replicas is the replication factor of every stream on an external
	// cluster; 0 means 1. It is a deployment decision, so components never
	// set it in their StreamSpec. The embedded server only supports 1.
	Replicas int

	// ReconnectWaitMax caps the backoff between reconnect attempts to an
	// external server; 0 means 5 seconds.
	ReconnectWaitMax time.Duration

	// ConnectTimeout bounds the wait for the first connection, so a start-up
	// against a NATS that never answers fails with a reason instead of
	// hanging; 0 waits until the context passed to Open ends.
	ConnectTimeout time.Duration
}

const defaultReconnectWaitMax = 5 * time.Second

func (c Config) validate() error {
	if len(c.URLs) == 0 && c.DataDir == "" {
		return errors.New("bus config: DataDir is required for the embedded server")
	}
	if len(c.URLs) == 0 && c.Replicas > 1 {
		return fmt.Errorf("bus config: the embedded server cannot keep %d replicas", c.Replicas)
	}
	if c.ConnectTimeout < 0 {
		return fmt.Errorf("bus config: negative connect timeout %s", c.ConnectTimeout)
	}
	if c.Replicas < 0 {
		return fmt.Errorf("bus config: negative replicas %d", c.Replicas)
	}
	for _, r := range c.Prefix {
		ok := r == '-' || r == '_' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
		if !ok {
			return fmt.Errorf("bus config: prefix %q may only hold letters, digits, '-' and '_'", c.Prefix)
		}
	}
	return nil
}

func (c Config) replicas() int {
	return max(c.Replicas, 1)
}

// naming applies the deployment prefix to the names components use, so
// component code never sees or builds prefixed names itself.
type naming struct {
	prefix string
}

func (n naming) stream(name string) string {
	if n.prefix == "" {
		return name
	}
	return n.prefix + "_" + name
}

func (n naming) unstream(name string) (string, bool) {
	if n.prefix == "" {
		return name, true
	}
	return strings.CutPrefix(name, n.prefix+"_")
}

func (n naming) subject(subject string) string {
	if n.prefix == "" {
		return subject
	}
	return n.prefix + "." + subject
}

func (n naming) subjects(subjects []string) []string {
	out := make([]string, len(subjects))
	for i, s := range subjects {
		out[i] = n.subject(s)
	}
	return out
}

func (n naming) unsubject(subject string) string {
	if n.prefix == "" {
		return subject
	}
	return strings.TrimPrefix(subject, n.prefix+".")
}

// allSubjects matches every subject of this deployment.
func (n naming) allSubjects() string {
	return n.subject(">")
}
