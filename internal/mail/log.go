package mail

import (
	"context"
	"log/slog"

	"companyadmin/internal/company"
)

// Log writes mail to a logger instead of sending it, so that an operator
// running without an SMTP server still sees invitation and reset links.
type Log struct {
	logger *slog.Logger
	from   string
}

// NewLog returns a Log that writes to logger, which must not be nil, and
// names from as the sender.
func NewLog(logger *slog.Logger, from string) *Log {
	return &Log{logger: logger, from: from}
}

// Send writes the whole mail, text part included, to the log at Info level.
// It never fails.
func (l *Log) Send(ctx context.Context, m company.Mail) error {
	l.logger.InfoContext(ctx, "mail not sent: no SMTP server configured",
		slog.Int64("id", m.ID),
		slog.String("kind", m.Kind),
		slog.String("from", l.from),
		slog.String("to", m.To),
		slog.String("subject", m.Subject),
		slog.String("text", m.Text),
	)
	return nil
}
