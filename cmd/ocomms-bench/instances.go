package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// maxInstances bounds how many base URLs one run spreads its users over.
const maxInstances = 16

// urlList is the -url flag: given more than once, or as a comma-separated
// list, it names several instances of one homeserver (processes sharing
// one database and one bus, as behind a load balancer).
type urlList []string

func (l *urlList) String() string { return strings.Join(*l, ",") }

func (l *urlList) Set(v string) error {
	for u := range strings.SplitSeq(v, ",") {
		if u = strings.TrimSpace(u); u != "" {
			*l = append(*l, u)
		}
	}
	return nil
}

// instanceOf is the instance (an index into -url) that serves user i of
// the latency scenario. The senders, users 0 to senders-1, send and sync
// on instance 0; the other users are dealt round-robin over instances 1 to
// n-1, so every message but those between senders crosses instances and
// the sender-to-sender deliveries on instance 0 are the same run's
// one-instance baseline. With one instance everyone is on it.
func instanceOf(i, senders, n int) int {
	if n <= 1 || i < senders {
		return 0
	}
	return 1 + (i-senders)%(n-1)
}

// LatencyInstance says which users of the latency scenario one instance
// served.
type LatencyInstance struct {
	Index int    `json:"index"`
	URL   string `json:"url"`
	// Senders send and sync here; Syncers only sync here.
	Senders []string `json:"senders"`
	Syncers []string `json:"syncers"`
}

// PairLatency is the send→sync latency of the messages sent through one
// instance and seen in /sync on another (or the same) one.
type PairLatency struct {
	From     int `json:"from"`
	To       int `json:"to"`
	Expected int `json:"expected_deliveries"`
	// Delivered counts each (message, receiver) once, like the overall
	// figure; Latency is over the same deliveries.
	Delivered int     `json:"delivered"`
	Latency   Summary `json:"latency"`
}

// servedBy is the instance (index into urls) each user's client talks to,
// read from the clients so the report says where requests really went.
func servedBy(urls []string, users []*Client) []int {
	at := make([]int, len(users))
	for i, c := range users {
		at[i] = slices.Index(urls, c.base)
	}
	return at
}

// latencyInstances lists who each instance served; user i is on
// instance at[i].
func latencyInstances(urls []string, users []*Client, at []int, senders int) []LatencyInstance {
	out := make([]LatencyInstance, len(urls))
	for k, u := range urls {
		out[k] = LatencyInstance{Index: k, URL: u, Senders: []string{}, Syncers: []string{}}
	}
	for i, c := range users {
		in := &out[at[i]]
		if i < senders {
			in.Senders = append(in.Senders, c.UserID)
		} else {
			in.Syncers = append(in.Syncers, c.UserID)
		}
	}
	return out
}

// pairTally collects the deliveries of each (sender instance, receiver
// instance) pair.
type pairTally struct {
	n        int // instances
	expected []int
	samples  [][]time.Duration
}

func newPairTally(n int) *pairTally {
	return &pairTally{n: n, expected: make([]int, n*n), samples: make([][]time.Duration, n*n)}
}

// expect counts a message sent through instance from: every receiver on
// instance to but its sender should see it. receivers[to] is how many
// users sync on instance to.
func (p *pairTally) expect(from int, receivers []int) {
	for to, r := range receivers {
		if to == from {
			r-- // the sender syncs there too and does not count its own
		}
		p.expected[from*p.n+to] += r
	}
}

func (p *pairTally) add(from, to int, d time.Duration) {
	p.samples[from*p.n+to] = append(p.samples[from*p.n+to], d)
}

// pairs returns the pairs that expected any delivery, ordered by sender
// instance then receiver instance.
func (p *pairTally) pairs() []PairLatency {
	var out []PairLatency
	for k, e := range p.expected {
		if e == 0 && len(p.samples[k]) == 0 {
			continue
		}
		out = append(out, PairLatency{From: k / p.n, To: k % p.n, Expected: e,
			Delivered: len(p.samples[k]), Latency: Summarize(p.samples[k])})
	}
	return out
}

// pairLatencies splits the deliveries of the latency scenario over n
// instances by the instance of their sender and of their receiver (user i
// is receivers[i], on instance at[i]), counting as the overall figures do:
// each successful send is expected by every receiver but its sender.
func pairLatencies(n int, at []int, sent []sentMessage, receivers []*receiver) []PairLatency {
	perInstance := make([]int, n)
	for i := range receivers {
		perInstance[at[i]]++
	}
	p := newPairTally(n)
	for _, m := range sent {
		if m.ok {
			p.expect(at[m.sender], perInstance)
		}
	}
	eachDelivery(sent, receivers, func(m sentMessage, i int, d time.Duration) {
		p.add(at[m.sender], at[i], d)
	})
	return p.pairs()
}

// writeInstances is the text report's part on several instances.
func writeInstances(b *strings.Builder, l *LatencyReport) {
	if len(l.Instances) == 0 {
		return
	}
	fmt.Fprintf(b, "  instances (senders send and sync on 0, the other users sync round-robin on 1 to %d):\n", len(l.Instances)-1)
	for _, in := range l.Instances {
		fmt.Fprintf(b, "    %d %s: %s, %s%s\n", in.Index, in.URL,
			plural(len(in.Senders), "sender"), plural(len(in.Syncers), "syncer"), fmtUsers(in.Senders, in.Syncers))
	}
	fmt.Fprintf(b, "  send→sync by sender instance → syncer instance:\n")
	for _, p := range l.Pairs {
		fmt.Fprintf(b, "    %d→%d  delivered %d of %d  %s\n", p.From, p.To, p.Delivered, p.Expected, p.Latency)
	}
}

// fmtUsers lists the first few users of an instance; -json has them all.
func fmtUsers(groups ...[]string) string {
	const shown = 6
	var all []string
	for _, g := range groups {
		all = append(all, g...)
	}
	if len(all) == 0 {
		return ""
	}
	if len(all) > shown {
		return fmt.Sprintf(" (%s and %d more)", strings.Join(all[:shown], " "), len(all)-shown)
	}
	return " (" + strings.Join(all, " ") + ")"
}
