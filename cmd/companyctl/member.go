package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
)

// runMemberRelink moves a member's pinned link to a Slack user: to the
// user --slack-user names, or, without it, to whichever Slack user of the
// company's workspace presents the member's confirmed email next. The bot
// reads the link on every request, so it holds from the next one on.
func runMemberRelink(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) error {
	ref := companyFlag(fs)
	email := fs.String("email", "", "the member's email address")
	user := fs.String("slack-user", "", "the member's Slack user ID, as in U0123ABCD (in Slack: their profile, ⋮, Copy member ID); without it, the next Slack user with the member's confirmed email is linked on their next request")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := require(fs, "company", "email"); err != nil {
		return err
	}
	if err := checkEmail(*email); err != nil {
		return badFlag(fs, "email", err)
	}
	id := strings.TrimSpace(*user)
	if given(fs)["slack-user"] {
		if err := checkSlackUser(id); err != nil {
			return badFlag(fs, "slack-user", err)
		}
	}
	db, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	co, err := db.CompanyByRef(ctx, *ref)
	if err != nil {
		return err
	}
	r, err := db.RelinkSlackUser(ctx, co.ID, *email, id)
	if err != nil {
		return err
	}
	who := r.Member.Email
	if r.Member.FullName != "" {
		who = fmt.Sprintf("%s (%s)", r.Member.FullName, r.Member.Email)
	}
	switch {
	case !r.Changed && id == "":
		fmt.Fprintf(c.stdout, "%s of %s is linked to no Slack user: unchanged; the next Slack user with this email will be linked\n", who, describe(co))
	case !r.Changed:
		fmt.Fprintf(c.stdout, "%s of %s is already linked to Slack user %s: unchanged\n", who, describe(co), id)
	case id == "":
		fmt.Fprintf(c.stdout, "%s of %s was linked to Slack user %s; the next Slack user with this email will be linked, on their next request\n", who, describe(co), r.Before)
		fmt.Fprintf(c.stdout, "note: if %s still has this email in Slack and uses the bot first, it is linked again; --slack-user links the new account at once\n", r.Before)
	default:
		fmt.Fprintf(c.stdout, "%s of %s was linked to %s and is now linked to Slack user %s, from their next request\n", who, describe(co), orNoUser(r.Before), id)
	}
	if co.SlackTeam == "" {
		fmt.Fprintln(c.stdout, noWorkspace(co))
	}
	return nil
}

func orNoUser(user string) string {
	if user == "" {
		return "no Slack user"
	}
	return "Slack user " + user
}
