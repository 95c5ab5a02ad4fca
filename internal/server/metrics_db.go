package server

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ocomms/ocomms/storage"
)

// dbCollector exports the connection pools' counters at scrape time; a
// growing wait count shows queries queueing for connections.
type dbCollector struct {
	db                               *storage.DB
	open, inUse, idle, waitCount     *prometheus.Desc
	waitSeconds, maxOpen, idleClosed *prometheus.Desc
}

func newDBCollector(db *storage.DB) *dbCollector {
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("ocomms_db_pool_"+name, help, []string{"pool"}, nil)
	}
	return &dbCollector{
		db:          db,
		open:        d("open_connections", "Connections open, in use or idle."),
		inUse:       d("in_use_connections", "Connections executing a query or transaction."),
		idle:        d("idle_connections", "Connections open and idle."),
		maxOpen:     d("max_open_connections", "Configured maximum of open connections."),
		waitCount:   d("wait_total", "Times a query waited for a free connection."),
		waitSeconds: d("wait_seconds_total", "Time spent waiting for a free connection."),
		idleClosed:  d("closed_idle_total", "Connections closed for being idle too long or too many."),
	}
}

func (c *dbCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.open, c.inUse, c.idle, c.maxOpen, c.waitCount, c.waitSeconds, c.idleClosed} {
		ch <- d
	}
}

func (c *dbCollector) Collect(ch chan<- prometheus.Metric) {
	for _, p := range c.db.Stats() {
		gauge := func(d *prometheus.Desc, v float64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, p.Pool)
		}
		counter := func(d *prometheus.Desc, v float64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, p.Pool)
		}
		gauge(c.open, float64(p.OpenConnections))
		gauge(c.inUse, float64(p.InUse))
		gauge(c.idle, float64(p.Idle))
		gauge(c.maxOpen, float64(p.MaxOpenConnections))
		counter(c.waitCount, float64(p.WaitCount))
		counter(c.waitSeconds, p.WaitDuration.Seconds())
		counter(c.idleClosed, float64(p.MaxIdleClosed+p.MaxIdleTimeClosed))
	}
}
