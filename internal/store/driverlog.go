package store

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/go-sql-driver/mysql"
)

// SetDriverLogger sends the MySQL driver's own messages (a connection
// that broke, a bad packet) to logger as warnings with component=mysql,
// instead of the driver's plain lines on standard error. The driver has
// one logger for the whole process, used by the connections opened after
// the call: a process calls it once, before Open.
func SetDriverLogger(logger *slog.Logger) {
	mysql.SetLogger(driverLogger{logger})
}

type driverLogger struct{ l *slog.Logger }

func (d driverLogger) Print(v ...any) {
	d.l.Warn(strings.TrimSpace(fmt.Sprint(v...)), "component", "mysql")
}
