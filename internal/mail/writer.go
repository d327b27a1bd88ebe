package mail

import (
	"context"
	"fmt"
	"io"
	"strings"

	"companyadmin/internal/company"
)

// Writer prints mail as readable text instead of sending it, for the
// terminal console.
type Writer struct {
	w    io.Writer
	from string
}

// NewWriter returns a Writer that prints to w.
func NewWriter(w io.Writer, from string) *Writer {
	return &Writer{w: w, from: from}
}

// Send prints the mail's headers and text part. It fails only when w does.
func (p *Writer) Send(ctx context.Context, m company.Mail) error {
	rule := strings.Repeat("─", 60)
	_, err := fmt.Fprintf(p.w, "\n%s\nMail to %s\nFrom: %s\nSubject: %s\n\n%s\n%s\n", rule, m.To, p.from, m.Subject, strings.TrimSpace(m.Text), rule)
	return err
}
