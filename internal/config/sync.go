package config

import (
	"text/template"
	"time"
)

// Sync configures how long the sync API keeps what clients no longer
// need, so its tables stay the size of what is still useful.
type Sync struct {
	// NotificationRetention is how long a notification the user has read
	// (at or before their receipt in its room and thread) stays listed by
	// GET /notifications; unread notifications are never pruned.
	NotificationRetention time.Duration `yaml:"notification_retention"`
	// ToDeviceRetention is how long a to-device message for a device that
	// does not exist (deleted, or never created) is kept before it is
	// swept; messages of existing devices wait until they are delivered.
	ToDeviceRetention time.Duration `yaml:"to_device_retention"`
	// SweepInterval is how often each instance prunes; the deletes are
	// idempotent, so instances sweeping at once only repeat work.
	SweepInterval time.Duration `yaml:"sweep_interval"`
}

func defaultSync() Sync {
	return Sync{
		NotificationRetention: 30 * 24 * time.Hour,
		ToDeviceRetention:     7 * 24 * time.Hour,
		SweepInterval:         time.Hour,
	}
}

func (s Sync) validate(bad func(key, format string, args ...any)) {
	if s.NotificationRetention < time.Hour {
		bad("sync.notification_retention", "must be at least 1h, got %s", s.NotificationRetention)
	}
	if s.ToDeviceRetention < time.Hour {
		bad("sync.to_device_retention", "must be at least 1h, got %s", s.ToDeviceRetention)
	}
	if s.SweepInterval < time.Minute || s.SweepInterval > 24*time.Hour {
		bad("sync.sweep_interval", "must be between 1m and 24h, got %s", s.SweepInterval)
	}
}

// syncTemplate is the sync section of the generated file, rendered with
// the Sync value.
const syncTemplate = `
sync:
  # Notifications the user has read stay listed by GET /notifications for
  # this long, then are pruned; unread ones are kept. 720h is 30 days.
  notification_retention: {{.NotificationRetention}}
  # To-device messages for devices that do not exist (deleted, or never
  # created) are dropped after this long. 168h is 7 days.
  to_device_retention: {{.ToDeviceRetention}}
  # How often every sync API instance prunes both.
  sweep_interval: {{.SweepInterval}}
`

// withSync adds the sync section's template to the file's.
func withSync(t *template.Template) *template.Template {
	template.Must(t.New("sync").Parse(syncTemplate))
	return t
}
