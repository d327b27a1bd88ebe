package bot

import (
	"context"
	"strconv"

	"github.com/slack-go/slack"

	"companyadmin/internal/blocks"
)

// auditCommand answers `/company audit [N]` with the company's latest N
// audit events, newest first.
func (b *Bot) auditCommand(ctx context.Context, c caller, _ slack.SlashCommand, args string) *slack.Msg {
	n, note := blocks.DefaultAuditEvents, ""
	if args != "" {
		v, err := strconv.Atoi(args)
		if err != nil || v < 1 {
			msg := blocks.TextMessage("Say `/company audit` for the latest " + strconv.Itoa(blocks.DefaultAuditEvents) + " events, or `/company audit N` for the latest N (at most " + strconv.Itoa(blocks.MaxAuditEvents) + ").")
			return &msg
		}
		n = v
	}
	if n > blocks.MaxAuditEvents {
		n, note = blocks.MaxAuditEvents, "Showing at most "+strconv.Itoa(blocks.MaxAuditEvents)+" events."
	}
	events, err := b.store.AuditEvents(ctx, c.company.ID, n)
	if err != nil {
		msg := b.failure(ctx, "audit", err)
		return &msg
	}
	msg := blocks.AuditMessage(c.company.Name, events, c.company.Location(), note)
	return &msg
}
