package accounts

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/ocomms/ocomms/internal/ratelimit"
	"github.com/ocomms/ocomms/storage"
)

// lastSeenInterval is how stale a device's last_seen_ts may get. Writing
// it on every request would make every read endpoint a database write.
const lastSeenInterval = time.Minute

// lastSeen remembers when this instance last wrote each device's last
// seen time. Entries older than the interval carry no information, so the
// map is swept instead of growing with every device ever seen.
type lastSeen struct {
	mu      sync.Mutex
	written map[int64]time.Time // by access token session ID
	swept   time.Time
}

func newLastSeen() *lastSeen { return &lastSeen{written: make(map[int64]time.Time)} }

func (l *lastSeen) due(sessionID int64, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > lastSeenInterval {
		for k, t := range l.written {
			if now.Sub(t) >= lastSeenInterval {
				delete(l.written, k)
			}
		}
		l.swept = now
	}
	if t, ok := l.written[sessionID]; ok && now.Sub(t) < lastSeenInterval {
		return false
	}
	l.written[sessionID] = now
	return true
}

// touch records the device's last activity at most once per interval. A
// failure is logged, not returned: the request itself is fine.
func (l *lastSeen) touch(ctx context.Context, db *storage.DB, log *slog.Logger, o tokenOwner, r *http.Request) {
	now := time.Now()
	if !l.due(o.sessionID, now) {
		return
	}
	ua := r.UserAgent()
	if len(ua) > 512 {
		ua = ua[:512]
	}
	if _, err := db.Exec(ctx, `UPDATE accounts_devices SET last_seen_ts = $1, last_seen_ip = $2, last_seen_user_agent = $3
		WHERE user_id = $4 AND device_id = $5`, now.UnixMilli(), ratelimit.ClientIP(r), ua, o.userID, o.deviceID); err != nil {
		log.WarnContext(ctx, "recording device last seen", slog.String("device_id", o.deviceID), slog.Any("error", err))
	}
}
