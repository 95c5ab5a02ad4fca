package server

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ocomms/ocomms/bus"
	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/storage"
)

// metrics owns a registry per process rather than Prometheus's global one,
// so tests can run several servers in one process.
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	inFlight *prometheus.GaugeVec
}

func newMetrics(db *storage.DB, b *bus.Bus) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "ocomms", Subsystem: "http", Name: "requests_total",
			Help: "HTTP requests served, by listener, method, route template and status code.",
		}, []string{"listener", "method", "route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "ocomms", Subsystem: "http", Name: "request_duration_seconds",
			Help:    "HTTP request latency, by listener, method and route template.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"listener", "method", "route"}),
		// Parked long-polls are most of it on the client listener; during
		// a drain it shows what shutdown is waiting for.
		inFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "ocomms", Subsystem: "http", Name: "requests_in_flight",
			Help: "HTTP requests being served, by listener.",
		}, []string{"listener"}),
	}
	m.registry.MustRegister(
		m.requests, m.latency, m.inFlight,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		newDBCollector(db),
		newBusCollector(b),
	)
	return m
}

func (m *metrics) observer(listener string) httpapi.Observer {
	return func(r *http.Request, route string, status int, elapsed time.Duration) {
		m.requests.WithLabelValues(listener, r.Method, route, strconv.Itoa(status)).Inc()
		m.latency.WithLabelValues(listener, r.Method, route).Observe(elapsed.Seconds())
	}
}

// countInFlight wraps a listener's whole handler.
func (m *metrics) countInFlight(listener string, h http.Handler) http.Handler {
	return promhttp.InstrumentHandlerInFlight(m.inFlight.WithLabelValues(listener), h)
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// busCollector reports each durable consumer's backlog: a growing number
// means a component is falling behind its stream.
type busCollector struct {
	bus  *bus.Bus
	desc *prometheus.Desc
}

func newBusCollector(b *bus.Bus) *busCollector {
	return &busCollector{bus: b, desc: prometheus.NewDesc("ocomms_bus_consumer_pending_messages",
		"Messages waiting for a durable bus consumer.", []string{"consumer"}, nil)}
}

func (c *busCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *busCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	lag, err := c.bus.ConsumerLag(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	for consumer, pending := range lag {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(pending), consumer)
	}
}
