package store

import (
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Timeouts of a MySQL connection unless DATABASE_URL sets others: an
// unresponsive database fails a request in seconds instead of holding it.
const (
	DefaultConnectTimeout = 5 * time.Second
	DefaultReadTimeout    = 30 * time.Second
	DefaultWriteTimeout   = 30 * time.Second
)

// CheckURL reports whether DATABASE_URL can be used, and returns a warning
// for each parameter that is known and harmless but has no effect here
// (such as reconnect=true, which hosting providers add for other clients).
func CheckURL(databaseURL string) (warnings []string, err error) {
	if strings.HasPrefix(databaseURL, "mysql://") {
		_, warnings, err := parseMySQL(databaseURL)
		return warnings, err
	}
	_, _, err = ParseURL(databaseURL)
	return nil, err
}

// ignoredParams are parameters that providers and other clients put in
// their URLs and that change nothing here, with the reason.
var ignoredParams = map[string]string{
	"reconnect":        "the pool reconnects by itself",
	"autoreconnect":    "the pool reconnects by itself",
	"pool":             "the pool size is set by the program",
	"pool_size":        "the pool size is set by the program",
	"connection_limit": "the pool size is set by the program",
	"pool_timeout":     "the pool size is set by the program",
	"parsetime":        "times are always parsed",
	"loc":              "times are always UTC",
	"time_zone":        "the session time zone is always UTC",
	"servertimezone":   "the session time zone is always UTC",
	"useunicode":       "the connection is always Unicode (utf8mb4)",
}

// tlsParams are the spellings of the TLS setting, by provider and client.
var tlsParams = map[string]bool{"tls": true, "ssl-mode": true, "ssl_mode": true, "sslmode": true, "sslaccept": true, "ssl": true}

// tlsValues maps what each client writes to the driver's tls setting:
// "false" (plain), "preferred" (TLS when the server offers it, not
// verified), "skip-verify" (TLS, not verified) and "true" (TLS, verified
// certificate and host name).
var tlsValues = map[string]string{
	// go-sql-driver
	"true": "true", "false": "false", "skip-verify": "skip-verify", "preferred": "preferred",
	// MySQL clients (--ssl-mode). VERIFY_CA is taken as VERIFY_IDENTITY:
	// the driver verifies both or neither.
	"disabled": "false", "required": "skip-verify", "verify_ca": "true", "verify_identity": "true",
	// libpq-style sslmode
	"disable": "false", "allow": "preferred", "prefer": "preferred", "require": "skip-verify", "verify-ca": "true", "verify-full": "true",
	// Prisma's sslaccept
	"strict": "true", "accept_invalid_certs": "skip-verify",
	// ssl=1 / ssl=0
	"1": "true", "0": "false",
}

// parseMySQL turns a mysql:// DATABASE_URL into a driver configuration.
func parseMySQL(databaseURL string) (*mysql.Config, []string, error) {
	u, err := url.Parse(databaseURL)
	if err != nil {
		// url's message repeats the URL, password included.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, nil, fmt.Errorf("DATABASE_URL: %v", err)
	}
	db := strings.TrimPrefix(u.Path, "/")
	if u.Host == "" || db == "" {
		return nil, nil, errors.New("DATABASE_URL: a mysql URL needs a host and a database, as in mysql://user:pass@host:3306/db")
	}
	c := mysql.NewConfig()
	c.User = u.User.Username()
	c.Passwd, _ = u.User.Password()
	c.Net = "tcp"
	c.Addr = u.Host
	if u.Port() == "" {
		c.Addr = u.Host + ":3306"
	}
	c.DBName = db
	c.ParseTime = true
	c.Loc = time.UTC
	c.Timeout, c.ReadTimeout, c.WriteTimeout = DefaultConnectTimeout, DefaultReadTimeout, DefaultWriteTimeout
	// Parameters are placed in the statement by the driver (safe with the
	// utf8mb4 connection character set), so a query is one round trip
	// instead of three (prepare, execute, close).
	c.InterpolateParams = true
	c.Params = map[string]string{"time_zone": "'+00:00'"}

	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, nil, fmt.Errorf("DATABASE_URL: malformed query: %v", err)
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var warnings, bad []string
	tlsFrom := ""
	charset, collation := "", ""
	for _, k := range keys {
		v := strings.TrimSpace(q.Get(k))
		lk := strings.ToLower(k)
		switch {
		case tlsParams[lk]:
			t, ok := tlsValues[strings.ToLower(v)]
			if !ok {
				bad = append(bad, fmt.Sprintf("%s=%s is not a TLS mode (use tls=true, tls=skip-verify, tls=preferred or tls=false; ssl-mode=REQUIRED/VERIFY_IDENTITY and sslmode=require/verify-full work too)", k, v))
				continue
			}
			if tlsFrom != "" && c.TLSConfig != t {
				bad = append(bad, fmt.Sprintf("%s and %s disagree on TLS", tlsFrom, k))
				continue
			}
			tlsFrom, c.TLSConfig = k, t
		case lk == "charset" || lk == "encoding" || lk == "characterencoding":
			// A list such as utf8mb4,utf8 means: the first the server has.
			cs := strings.ToLower(strings.Split(v, ",")[0])
			if cs != "utf8mb4" {
				bad = append(bad, fmt.Sprintf("%s=%s: only utf8mb4 keeps every name and address intact", k, v))
				continue
			}
			charset = cs
		case lk == "collation":
			if !strings.HasPrefix(strings.ToLower(v), "utf8mb4_") {
				bad = append(bad, fmt.Sprintf("collation=%s: must be a utf8mb4 collation", v))
				continue
			}
			charset, collation = "utf8mb4", v
		case lk == "timeout" || lk == "connect_timeout" || lk == "connecttimeout" || lk == "dial_timeout":
			d, err := parseTimeout(v)
			if err != nil {
				bad = append(bad, fmt.Sprintf("%s=%s: %v", k, v, err))
				continue
			}
			c.Timeout = d
		case lk == "readtimeout" || lk == "read_timeout" || lk == "sockettimeout":
			d, err := parseTimeout(v)
			if err != nil {
				bad = append(bad, fmt.Sprintf("%s=%s: %v", k, v, err))
				continue
			}
			c.ReadTimeout = d
		case lk == "writetimeout" || lk == "write_timeout":
			d, err := parseTimeout(v)
			if err != nil {
				bad = append(bad, fmt.Sprintf("%s=%s: %v", k, v, err))
				continue
			}
			c.WriteTimeout = d
		case lk == "allowcleartextpasswords":
			b, err := strconv.ParseBool(v)
			if err != nil {
				bad = append(bad, fmt.Sprintf("%s=%s: must be true or false", k, v))
				continue
			}
			c.AllowCleartextPasswords = b
		default:
			why, ok := ignoredParams[lk]
			if !ok {
				bad = append(bad, fmt.Sprintf("unknown parameter %q", k))
				continue
			}
			warnings = append(warnings, fmt.Sprintf("DATABASE_URL: ignoring %s=%s: %s", k, v, why))
		}
	}
	if len(bad) > 0 {
		return nil, nil, fmt.Errorf("DATABASE_URL: %s (known: tls, ssl-mode, sslmode, charset, collation, timeout, connect_timeout, readTimeout, writeTimeout, allowCleartextPasswords)", strings.Join(bad, "; "))
	}
	if charset != "" {
		c.Apply(mysql.Charset(charset, collation))
	}
	return c, warnings, nil
}

// parseTimeout reads a timeout as a Go duration ("10s") or whole seconds
// ("10"), the form most clients use.
func parseTimeout(v string) (time.Duration, error) {
	if n, err := strconv.Atoi(v); err == nil && n > 0 {
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, errors.New("must be seconds or a duration such as 10s")
	}
	return d, nil
}
