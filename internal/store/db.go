// Package store keeps Company Admin's data in MySQL/MariaDB or in an embedded
// SQLite database, with the same SQL for both. Every exported method that
// changes data is one transaction.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/gofrs/flock"
	"github.com/jmoiron/sqlx"
	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"companyadmin/internal/company"
	"companyadmin/internal/groupcommit"
	"companyadmin/migrations"
)

// Dialects.
const (
	MySQL  = "mysql"
	SQLite = "sqlite"
)

// DB is the store. Clock decides "now" for everything the store records and
// compares; tests replace it.
//
// On SQLite, db is the one connection that writes (SQLite takes one writer
// at a time; queueing writers here, in order of arrival (see writer), is
// fairer and faster than letting several connections poll for the lock)
// and rd a pool of read-only connections that, in WAL mode, read while the
// writer writes.
// Every statement that changes data goes through db; rd refuses writes. On
// MySQL both are the same pool.
type DB struct {
	db      *writer
	rd      *sqlx.DB
	dialect string
	path    string // the SQLite file
	Clock   func() time.Time
	// ckpt, on SQLite, is the connection that checkpoints the WAL into the
	// database file, and stopCkpt ends its goroutine.
	ckpt     *sql.DB
	stopCkpt func()
	// seen gathers concurrent FirstSeen calls into shared writes.
	seen *groupcommit.Group[seenCall, seenResult]
}

// sqliteReaders is the size of SQLite's pool of read-only connections.
const sqliteReaders = 4

// checkpointEvery is how often the WAL is checkpointed into the database
// file on SQLite.
const checkpointEvery = time.Second

// Open connects to the database named by a DATABASE_URL: "sqlite:PATH" or
// "mysql://user:pass@host:port/db". It does not migrate. A new SQLite file is
// switched to WAL mode under the file's lock (see Migrate).
func Open(ctx context.Context, databaseURL string) (*DB, error) {
	dialect, dsn, err := ParseURL(databaseURL)
	if err != nil {
		return nil, err
	}
	if dialect == MySQL {
		x, err := sqlx.Open("mysql", dsn)
		if err != nil {
			return nil, fmt.Errorf("open database: %w", err)
		}
		// As many idle connections as open ones: with fewer, a burst of
		// requests closes the connections it freed beyond the idle limit
		// and opens them again a moment later (a handshake, a server
		// thread and its settings each time; one connection every six
		// requests at 50 at once). Idle ones are closed after a minute.
		x.SetMaxOpenConns(20)
		x.SetMaxIdleConns(20)
		x.SetConnMaxIdleTime(time.Minute)
		x.SetConnMaxLifetime(5 * time.Minute)
		pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		if err := x.PingContext(pctx); err != nil {
			x.Close()
			return nil, fmt.Errorf("connect to database: %w", err)
		}
		db := &DB{db: &writer{DB: x}, rd: x, dialect: dialect, Clock: time.Now}
		db.seen = seenGroup(db)
		return db, nil
	}
	return openSQLite(ctx, sqlitePath(databaseURL), dsn)
}

func openSQLite(ctx context.Context, path, dsn string) (*DB, error) {
	db := &DB{dialect: SQLite, path: path, Clock: time.Now}
	db.seen = seenGroup(db)
	if err := db.withFileLock(ctx, func() error { return setWAL(ctx, dsn) }); err != nil {
		return nil, err
	}
	// The writer does not checkpoint: SQLite would do it at the end of the
	// COMMIT that fills the WAL past 1,000 pages, and the writer, which
	// every other write waits for, would copy the whole WAL into the
	// database file first (a third of a 10,000-row bulk invite's time).
	// Another connection checkpoints instead, every checkpointEvery.
	w, err := sqlx.Open("sqlite", dsn+"&_pragma=wal_autocheckpoint(0)")
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	// Readers start their transactions deferred (they never write) and
	// refuse any statement that would change the database.
	rdsn := strings.Replace(dsn, "_txlock=immediate", "_txlock=deferred", 1) + "&_pragma=query_only(1)"
	r, err := sqlx.Open("sqlite", rdsn)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	r.SetMaxOpenConns(sqliteReaders)
	r.SetMaxIdleConns(sqliteReaders)
	ck, err := sql.Open("sqlite", dsn)
	if err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	ck.SetMaxOpenConns(1)
	db.db, db.rd, db.ckpt = &writer{DB: w, queue: make(chan struct{}, 1)}, r, ck
	if err := db.Ping(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	db.stopCkpt = checkpoints(ck, checkpointEvery)
	return db, nil
}

// checkpoints copies, every interval until stop is called, what the WAL
// holds into the database file, with passive checkpoints: they wait for no
// one, and the writer and the readers go on meanwhile. SQLite starts the
// WAL over once it has all been copied and no reader still needs it.
func checkpoints(ck *sql.DB, interval time.Duration) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				// A failed checkpoint leaves the WAL longer; the next one
				// copies it.
				ck.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
			}
		}
	}()
	return func() { cancel(); <-done }
}

// setWAL puts the SQLite file in WAL mode, which the file keeps: readers
// then read while one connection writes. The switch is made once, by the
// first process to open a new file, under the file's lock.
func setWAL(ctx context.Context, dsn string) error {
	x, err := sql.Open("sqlite", dsn)
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer x.Close()
	var mode string
	if err := x.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("connect to database: %w", err)
	}
	if strings.EqualFold(mode, "wal") {
		return nil
	}
	if err := x.QueryRowContext(ctx, "PRAGMA journal_mode=WAL").Scan(&mode); err != nil {
		return fmt.Errorf("switch the database to WAL mode: %w", err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("switch the database to WAL mode: SQLite kept %q", mode)
	}
	return nil
}

// sqlitePath returns the file of a sqlite: DATABASE_URL.
func sqlitePath(databaseURL string) string {
	return strings.TrimPrefix(strings.TrimPrefix(databaseURL, "sqlite:"), "//")
}

// withFileLock runs fn holding an exclusive lock on the file PATH.lock
// beside the SQLite file, so that processes opening or migrating the same
// file (the bot and the worker started together) take turns. It waits for
// the lock until ctx ends. On MySQL it just runs fn.
func (db *DB) withFileLock(ctx context.Context, fn func() error) error {
	if db.dialect != SQLite {
		return fn()
	}
	lock := flock.New(db.path + ".lock")
	ok, err := lock.TryLockContext(ctx, 20*time.Millisecond)
	if err != nil || !ok {
		if err == nil {
			err = ctx.Err()
		}
		return fmt.Errorf("lock %s: %w", db.path+".lock", err)
	}
	defer lock.Unlock()
	return fn()
}

// OpenReady opens the database and makes sure its schema fits this program:
// the embedded SQLite database is migrated on the spot (it returns how many
// migrations ran); a MySQL database is migrated only by `companyctl
// migrate`, and when its schema is behind OpenReady refuses with a message
// saying so.
func OpenReady(ctx context.Context, databaseURL string) (*DB, int, error) {
	db, err := Open(ctx, databaseURL)
	if err != nil {
		return nil, 0, err
	}
	n := 0
	if db.dialect == SQLite {
		n, err = db.Migrate(ctx)
	} else {
		err = db.CheckSchema(ctx)
	}
	if err != nil {
		db.Close()
		return nil, 0, err
	}
	return db, n, nil
}

// ParseURL turns a DATABASE_URL into a dialect and a driver DSN. A mysql://
// URL takes the parameters hosting providers write (see CheckURL), and
// refuses unknown ones rather than send them to the server.
func ParseURL(databaseURL string) (dialect, dsn string, err error) {
	switch {
	case strings.HasPrefix(databaseURL, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(databaseURL, "sqlite:"), "//")
		if path == "" {
			return "", "", errors.New("DATABASE_URL: sqlite: needs a file path, as in sqlite:companyadmin.db")
		}
		q := url.Values{}
		q.Add("_pragma", "busy_timeout(10000)")
		q.Add("_pragma", "foreign_keys(1)")
		q.Add("_pragma", "synchronous(NORMAL)")
		// Write transactions take the lock at BEGIN, so two of them never
		// both read a licence count and then both write.
		q.Set("_txlock", "immediate")
		q.Set("_time_format", "sqlite")
		return SQLite, "file:" + path + "?" + q.Encode(), nil
	case strings.HasPrefix(databaseURL, "mysql://"):
		c, _, err := parseMySQL(databaseURL)
		if err != nil {
			return "", "", err
		}
		return MySQL, c.FormatDSN(), nil
	}
	return "", "", errors.New("DATABASE_URL must start with sqlite: or mysql://")
}

// Dialect returns MySQL or SQLite.
func (db *DB) Dialect() string { return db.dialect }

// Close closes the connection pools.
func (db *DB) Close() error {
	if db.stopCkpt != nil {
		db.stopCkpt()
	}
	err := db.db.Close()
	if db.rd != db.db.DB {
		err = errors.Join(err, db.rd.Close())
	}
	if db.ckpt != nil {
		err = errors.Join(err, db.ckpt.Close())
	}
	return err
}

// Stats returns the statistics of the connection pools, added together on
// SQLite (the writer and the readers).
func (db *DB) Stats() sql.DBStats {
	st := db.db.Stats()
	if db.rd == db.db.DB {
		return st
	}
	r := db.rd.Stats()
	st.MaxOpenConnections += r.MaxOpenConnections
	st.OpenConnections += r.OpenConnections
	st.InUse += r.InUse
	st.Idle += r.Idle
	st.WaitCount += r.WaitCount
	st.WaitDuration += r.WaitDuration
	st.MaxIdleClosed += r.MaxIdleClosed
	st.MaxIdleTimeClosed += r.MaxIdleTimeClosed
	st.MaxLifetimeClosed += r.MaxLifetimeClosed
	return st
}

// Ping checks that the database answers, to writes and to reads.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.db.PingContext(ctx); err != nil {
		return err
	}
	return db.rd.PingContext(ctx)
}

func (db *DB) provider() (*goose.Provider, error) {
	fsys, err := migrations.FS(db.dialect)
	if err != nil {
		return nil, err
	}
	d := goose.DialectSQLite3
	if db.dialect == MySQL {
		d = goose.DialectMySQL
	}
	// A migration numbered below ones already applied is still applied:
	// numbers are reserved in ranges, not handed out in release order.
	return goose.NewProvider(d, db.db.DB.DB, fsys, goose.WithAllowOutofOrder(true))
}

// Migrate applies every pending migration and returns how many ran. It
// refuses a database that has migrations this program does not know (a
// newer release migrated it). On SQLite it holds the file's lock (PATH.lock)
// throughout, so that processes started together on a new file migrate one
// after the other: the first applies the migrations, the others find none
// pending.
func (db *DB) Migrate(ctx context.Context) (int, error) {
	n := 0
	err := db.withFileLock(ctx, func() error {
		p, err := db.provider()
		if err != nil {
			return err
		}
		if err := db.checkNotAhead(ctx, p); err != nil {
			return err
		}
		res, err := p.Up(ctx)
		n = len(res)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("migrate: %w", err)
	}
	return n, nil
}

// checkNotAhead refuses a database with applied migrations that this
// program does not have: its schema is newer than the code.
func (db *DB) checkNotAhead(ctx context.Context, p *goose.Provider) error {
	known := map[int64]bool{}
	var newest int64
	for _, src := range p.ListSources() {
		known[src.Version] = true
		newest = max(newest, src.Version)
	}
	var exists int
	q := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'goose_db_version'`
	if db.dialect == MySQL {
		q = `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'goose_db_version'`
	}
	if err := db.db.GetContext(ctx, &exists, q); err != nil {
		return err
	}
	if exists == 0 {
		return nil
	}
	var applied []int64
	if err := db.db.SelectContext(ctx, &applied, `SELECT DISTINCT version_id FROM goose_db_version WHERE version_id > 0 AND is_applied ORDER BY version_id`); err != nil {
		return err
	}
	var unknown []string
	for _, v := range applied {
		if !known[v] {
			unknown = append(unknown, fmt.Sprint(v))
		}
	}
	if len(unknown) > 0 {
		return fmt.Errorf("the database schema is newer than this program: it has migration(s) %s, which this program does not know (it knows up to %d); run the release that migrated it, or a newer one", strings.Join(unknown, ", "), newest)
	}
	return nil
}

// CheckSchema returns an error when migrations are pending, so a process
// never runs against a schema older than its code.
func (db *DB) CheckSchema(ctx context.Context) error {
	p, err := db.provider()
	if err != nil {
		return fmt.Errorf("check schema: %w", err)
	}
	if err := db.checkNotAhead(ctx, p); err != nil {
		return fmt.Errorf("check schema: %w", err)
	}
	// Not the highest version alone: a migration numbered below it may be
	// pending too.
	pending, err := p.HasPending(ctx)
	if err != nil {
		return fmt.Errorf("check schema: %w", err)
	}
	if pending {
		current, target, err := p.GetVersions(ctx)
		if err != nil {
			return fmt.Errorf("check schema: %w", err)
		}
		return fmt.Errorf("the database schema lacks migrations this program needs (database at %d, program at %d): run `companyctl migrate` first", current, target)
	}
	return nil
}

// now returns the store's clock reading as stored: UTC, whole seconds, so
// times compare the same way on both dialects.
func (db *DB) now() time.Time { return ts(db.Clock()) }

func ts(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }

// tx runs fn in one transaction, retrying a few times when MySQL picks it as
// a deadlock victim.
func (db *DB) tx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	var opts *sql.TxOptions
	if db.dialect == MySQL {
		// Each statement sees what committed before it: the company lock
		// taken first makes the counts read after it exact.
		opts = &sql.TxOptions{Isolation: sql.LevelReadCommitted}
	}
	for attempt := 0; ; attempt++ {
		if err := db.db.acquire(ctx); err != nil {
			return err
		}
		tx, err := db.db.DB.BeginTxx(ctx, opts)
		if err != nil {
			db.db.release()
			return err
		}
		err = fn(tx)
		if err == nil {
			err = tx.Commit()
		} else {
			tx.Rollback()
		}
		db.db.release()
		if err != nil && isDeadlock(err) && attempt < 3 {
			time.Sleep(time.Duration(attempt+1) * 20 * time.Millisecond)
			continue
		}
		return err
	}
}

// writer is the pool that writes. On SQLite it is one connection behind a
// queue: database/sql hands a busy connection to a waiter picked at
// random, so under steady writes a change could wait for many that came
// after it, while the queue hands it over in the order asked (Go wakes the
// goroutines waiting to send on a channel in order). A transaction holds
// its place until it ends; a query, until it returns (rows still open then
// keep the connection, and the next in the queue waits for it alone). On
// MySQL the queue is nil and the pool is shared as database/sql does.
type writer struct {
	*sqlx.DB
	queue chan struct{}
}

func (w *writer) acquire(ctx context.Context) error {
	if w.queue == nil {
		return nil
	}
	select {
	case w.queue <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (w *writer) release() {
	if w.queue != nil {
		<-w.queue
	}
}

func (w *writer) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if err := w.acquire(ctx); err != nil {
		return nil, err
	}
	defer w.release()
	return w.DB.ExecContext(ctx, q, args...)
}

func (w *writer) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if err := w.acquire(ctx); err != nil {
		return nil, err
	}
	defer w.release()
	return w.DB.QueryContext(ctx, q, args...)
}

func (w *writer) QueryxContext(ctx context.Context, q string, args ...any) (*sqlx.Rows, error) {
	if err := w.acquire(ctx); err != nil {
		return nil, err
	}
	defer w.release()
	return w.DB.QueryxContext(ctx, q, args...)
}

func (w *writer) QueryRowxContext(ctx context.Context, q string, args ...any) *sqlx.Row {
	if err := w.acquire(ctx); err != nil {
		// sqlx.Row has no exported way to carry the error: an
		// already-cancelled query returns it.
		return w.DB.QueryRowxContext(ctx, q, args...)
	}
	defer w.release()
	return w.DB.QueryRowxContext(ctx, q, args...)
}

func (w *writer) GetContext(ctx context.Context, dest any, q string, args ...any) error {
	if err := w.acquire(ctx); err != nil {
		return err
	}
	defer w.release()
	return w.DB.GetContext(ctx, dest, q, args...)
}

func (w *writer) SelectContext(ctx context.Context, dest any, q string, args ...any) error {
	if err := w.acquire(ctx); err != nil {
		return err
	}
	defer w.release()
	return w.DB.SelectContext(ctx, dest, q, args...)
}

// lockCompany serialises the transactions that change one company's licence
// use: on MySQL it takes the company row's lock, on SQLite the immediate
// transaction already holds the database's write lock.
func lockCompany(ctx context.Context, tx *sqlx.Tx, companyID int64) error {
	res, err := tx.ExecContext(ctx, `UPDATE companies SET revision = revision + 1 WHERE id = ?`, companyID)
	if err != nil {
		return fmt.Errorf("lock company: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return company.Errorf(company.NotFound, "Company %d does not exist.", companyID)
	}
	return nil
}

func isDuplicate(err error) bool {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1062
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

func isDeadlock(err error) bool {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1213 || me.Number == 1205
	}
	return false
}

func notFound(err error, format string, args ...any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return company.Errorf(company.NotFound, format, args...)
	}
	return err
}

// insertRows inserts rows with multi-row INSERT statements of up to per
// rows each: prefix ends in VALUES, suffix follows the values (an ON
// CONFLICT clause, or empty). It returns the rows affected. Every
// multi-row insert of the store goes through it. The statement of a full
// chunk is prepared once when there are several, so the database parses
// it once.
func insertRows(ctx context.Context, ex sqlx.ExecerContext, prefix string, rows [][]any, suffix string, per int) (int64, error) {
	if len(rows) == 0 {
		return 0, nil
	}
	per = max(per, 1)
	var total int64
	var full *sql.Stmt
	if p, ok := ex.(*sqlx.Tx); ok && len(rows) >= 2*per {
		st, err := p.PrepareContext(ctx, insertSQL(prefix, len(rows[0]), per, suffix))
		if err != nil {
			return 0, err
		}
		defer st.Close()
		full = st
	}
	for part := range slices.Chunk(rows, per) {
		args := make([]any, 0, len(part)*len(part[0]))
		for _, r := range part {
			args = append(args, r...)
		}
		var res sql.Result
		var err error
		if full != nil && len(part) == per {
			res, err = full.ExecContext(ctx, args...)
		} else {
			res, err = ex.ExecContext(ctx, insertSQL(prefix, len(part[0]), len(part), suffix), args...)
		}
		if err != nil {
			return total, err
		}
		affected, _ := res.RowsAffected()
		total += affected
	}
	return total, nil
}

// insertSQL is a multi-row INSERT of n rows of cols values each.
func insertSQL(prefix string, cols, n int, suffix string) string {
	var b strings.Builder
	one := "(" + strings.Repeat("?, ", cols-1) + "?)"
	b.Grow(len(prefix) + n*(len(one)+2) + len(suffix))
	b.WriteString(prefix)
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(one)
	}
	b.WriteString(suffix)
	return b.String()
}
