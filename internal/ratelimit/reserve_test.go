package ratelimit

import (
	"sync"
	"testing"
	"time"

	"github.com/ocomms/ocomms/internal/config"
)

func TestReserveAdmitsNoMoreThanTheBurstConcurrently(t *testing.T) {
	l := New(config.RateLimit{PerSecond: 0.001, Burst: 3})
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		admitted int
	)
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := l.Reserve("k")
			if err != nil {
				return
			}
			// Work that is settled late: every reservation overlaps.
			time.Sleep(10 * time.Millisecond)
			r.Commit()
			mu.Lock()
			admitted++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if admitted != 3 {
		t.Errorf("%d of 40 concurrent reservations admitted, want the burst of 3", admitted)
	}
}

func TestReservationSettlement(t *testing.T) {
	tests := []struct {
		name       string
		settle     func(*Reservation)
		wantRefund bool
	}{
		{"cancel gives the token back", func(r *Reservation) { r.Cancel() }, true},
		{"commit keeps it counted", func(r *Reservation) { r.Commit() }, false},
		{"cancel after commit does nothing", func(r *Reservation) { r.Commit(); r.Cancel() }, false},
		{"a second cancel gives back nothing more", func(r *Reservation) { r.Cancel(); r.Cancel() }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, c := newTestLimiter(config.RateLimit{PerSecond: 0.001, Burst: 2})
			r, err := l.Reserve("k")
			if err != nil {
				t.Fatal(err)
			}
			// Settled long after it was taken, as after an argon2 hash.
			c.advance(time.Second)
			tt.settle(r)
			admitted := 0
			for range 3 {
				if ok, _ := l.Allow("k"); ok {
					admitted++
				}
			}
			want := 1
			if tt.wantRefund {
				want = 2
			}
			if admitted != want {
				t.Errorf("%d requests admitted after settling, want %d", admitted, want)
			}
		})
	}
}

func TestZeroBurstOrRateNeverRefills(t *testing.T) {
	tests := []struct {
		name  string
		cfg   config.RateLimit
		first bool
	}{
		{"zero burst admits nothing", config.RateLimit{PerSecond: 10, Burst: 0}, false},
		{"zero rate admits the burst only", config.RateLimit{PerSecond: 0, Burst: 1}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, c := newTestLimiter(tt.cfg)
			if ok, _ := l.Allow("k"); ok != tt.first {
				t.Fatalf("first request ok=%v", ok)
			}
			c.advance(time.Hour)
			if ok, retry := l.Allow("k"); ok || retry != time.Hour {
				t.Errorf("an hour later: ok=%v retry=%v", ok, retry)
			}
		})
	}
}
