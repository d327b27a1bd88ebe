// Package metrics exposes a process's Prometheus metrics: acknowledgement
// latency of Slack requests, Slack Web API calls, job runs, queue depths and
// the database pool. Each process makes one Metrics; nothing is global.
package metrics

import (
	"context"
	"database/sql"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// namespace prefixes every metric of ours.
const namespace = "companyadmin"

// scrapeTimeout bounds the database queries one scrape makes.
const scrapeTimeout = 2 * time.Second

// Metrics is one process's registry and the metrics it records.
type Metrics struct {
	reg          *prometheus.Registry
	logger       *slog.Logger
	ack          *prometheus.HistogramVec
	slackCalls   *prometheus.CounterVec
	slackSeconds *prometheus.HistogramVec
	jobRuns      *prometheus.CounterVec
	jobSeconds   *prometheus.HistogramVec
}

// New returns the metrics of one process, with the Go runtime's and the
// process's own metrics registered too. Errors met while collecting (a
// database that does not answer) are logged to logger.
func New(logger *slog.Logger) *Metrics {
	m := &Metrics{
		reg:    prometheus.NewRegistry(),
		logger: logger,
		ack: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "slack_ack_seconds",
			Help: "Time from receiving a Slack request to acknowledging it, by kind (command, interaction, event). Slack gives up after 3 seconds.",
			// Dense around Slack's 3 s limit.
			Buckets: []float64{0.025, 0.05, 0.1, 0.25, 0.5, 1, 1.5, 2, 2.5, 3, 4, 5, 10},
		}, []string{"kind"}),
		slackCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "slack_api_calls_total",
			Help: "Slack Web API calls by method and outcome: ok, error (Slack answered ok false), rate_limited (429), http_error (other non-2xx), network_error.",
		}, []string{"method", "outcome"}),
		slackSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "slack_api_call_seconds",
			Help:    "Duration of Slack Web API calls by method.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30},
		}, []string{"method"}),
		jobRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "job_runs_total",
			Help: "Worker job runs by job and outcome (ok, failed, skipped).",
		}, []string{"job", "outcome"}),
		jobSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "job_run_duration_seconds",
			Help:    "Duration of worker job runs by job and outcome.",
			Buckets: []float64{0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900},
		}, []string{"job", "outcome"}),
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.ack, m.slackCalls, m.slackSeconds, m.jobRuns, m.jobSeconds,
	)
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(m.logger.Handler(), slog.LevelWarn),
		ErrorHandling: promhttp.ContinueOnError,
		Timeout:       10 * time.Second,
	})
}

// ObserveAck records how long a Slack request of a kind took to be
// acknowledged.
func (m *Metrics) ObserveAck(kind string, took time.Duration) {
	m.ack.WithLabelValues(kind).Observe(took.Seconds())
}

// ObserveJob records one run of a worker job.
func (m *Metrics) ObserveJob(job, outcome string, took time.Duration) {
	m.jobRuns.WithLabelValues(job, outcome).Inc()
	m.jobSeconds.WithLabelValues(job, outcome).Observe(took.Seconds())
}

// Database is what the database metrics read: the pool's statistics and a
// ping.
type Database interface {
	Ping(ctx context.Context) error
	Stats() sql.DBStats
}

// WatchDatabase adds the database's pool statistics and whether it answers
// a ping (companyadmin_database_up) to the metrics, read at each scrape.
func (m *Metrics) WatchDatabase(db Database) {
	m.reg.MustRegister(&dbCollector{db: db, logger: m.logger})
}

var (
	dbUp         = desc("database_up", "1 when the database answered a ping at the scrape, else 0.")
	dbMaxOpen    = desc("db_max_open_connections", "Maximum number of open connections of the pool.")
	dbOpen       = desc("db_open_connections", "Open connections of the pool, in use or idle.")
	dbInUse      = desc("db_in_use_connections", "Connections of the pool in use.")
	dbIdle       = desc("db_idle_connections", "Idle connections of the pool.")
	dbWaits      = desc("db_wait_total", "Times a query waited for a free connection.")
	dbWaitSecs   = desc("db_wait_seconds_total", "Time spent waiting for a free connection.")
	dbClosedIdle = desc("db_closed_max_idle_total", "Connections closed because the pool had enough idle ones.")
	dbClosedLife = desc("db_closed_max_lifetime_total", "Connections closed at the end of their lifetime.")
)

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(prometheus.BuildFQName(namespace, "", name), help, labels, nil)
}

type dbCollector struct {
	db     Database
	logger *slog.Logger
}

func (c *dbCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{dbUp, dbMaxOpen, dbOpen, dbInUse, dbIdle, dbWaits, dbWaitSecs, dbClosedIdle, dbClosedLife} {
		ch <- d
	}
}

func (c *dbCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	up := 1.0
	if err := c.db.Ping(ctx); err != nil {
		up = 0
		c.logger.Warn("metrics: the database does not answer", "err", err)
	}
	s := c.db.Stats()
	ch <- prometheus.MustNewConstMetric(dbUp, prometheus.GaugeValue, up)
	ch <- prometheus.MustNewConstMetric(dbMaxOpen, prometheus.GaugeValue, float64(s.MaxOpenConnections))
	ch <- prometheus.MustNewConstMetric(dbOpen, prometheus.GaugeValue, float64(s.OpenConnections))
	ch <- prometheus.MustNewConstMetric(dbInUse, prometheus.GaugeValue, float64(s.InUse))
	ch <- prometheus.MustNewConstMetric(dbIdle, prometheus.GaugeValue, float64(s.Idle))
	ch <- prometheus.MustNewConstMetric(dbWaits, prometheus.CounterValue, float64(s.WaitCount))
	ch <- prometheus.MustNewConstMetric(dbWaitSecs, prometheus.CounterValue, s.WaitDuration.Seconds())
	ch <- prometheus.MustNewConstMetric(dbClosedIdle, prometheus.CounterValue, float64(s.MaxIdleClosed))
	ch <- prometheus.MustNewConstMetric(dbClosedLife, prometheus.CounterValue, float64(s.MaxLifetimeClosed))
}

// Queue is a queue's depth and the age of its oldest entry.
type Queue struct {
	Depth     int
	OldestAge time.Duration
}

// WatchQueue adds a queue's depth (companyadmin_NAME_queue_depth) and the
// age of its oldest entry (companyadmin_NAME_queue_oldest_age_seconds) to
// the metrics, read at each scrape by read. A scrape whose read fails leaves
// both out, rather than report an empty queue.
func (m *Metrics) WatchQueue(name, what string, read func(ctx context.Context) (Queue, error)) {
	m.reg.MustRegister(&queueCollector{
		name:   name,
		read:   read,
		logger: m.logger,
		depth:  desc(name+"_queue_depth", "Entries waiting in the "+what+"."),
		age:    desc(name+"_queue_oldest_age_seconds", "Age of the oldest entry waiting in the "+what+" (0 when empty)."),
	})
}

type queueCollector struct {
	name       string
	read       func(ctx context.Context) (Queue, error)
	logger     *slog.Logger
	depth, age *prometheus.Desc
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.depth; ch <- c.age }

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	q, err := c.read(ctx)
	if err != nil {
		c.logger.Warn("metrics: could not read a queue", "queue", c.name, "err", err)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.depth, prometheus.GaugeValue, float64(q.Depth))
	ch <- prometheus.MustNewConstMetric(c.age, prometheus.GaugeValue, q.OldestAge.Seconds())
}

// ObserveSlackCall records one call of the Slack Web API.
func (m *Metrics) ObserveSlackCall(method, outcome string, took time.Duration) {
	m.slackCalls.WithLabelValues(method, outcome).Inc()
	m.slackSeconds.WithLabelValues(method).Observe(took.Seconds())
}
