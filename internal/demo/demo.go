// Package demo fills a database with a plausible demo company, so every
// list, the reminders and the usage report have something real to show
// before anyone connects Slack or a mail server.
package demo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"companyadmin/internal/company"
	"companyadmin/internal/store"
)

// Team is the Slack team ID of the demo company.
const Team = "T0DEMO"

// AdminEmail is the demo company's first admin, the console's user.
const AdminEmail = "dana.demo@northwind.example"

// AdminName is the demo admin's full name.
const AdminName = "Dana Demo"

var people = []string{
	"Ada Lovelace", "Alan Turing", "Barbara Liskov", "Brian Kernighan", "Claude Shannon", "Dennis Ritchie",
	"Donald Knuth", "Edsger Dijkstra", "Frances Allen", "Grace Hopper", "Hedy Lamarr", "John Backus",
	"Ken Thompson", "Leslie Lamport", "Linus Torvalds", "Margaret Hamilton", "Niklaus Wirth", "Radia Perlman",
	"Rob Pike", "Robert Griesemer", "Shafi Goldwasser", "Sophie Wilson", "Tim Berners-Lee", "Tony Hoare",
	"Vint Cerf", "Whitfield Diffie", "Adele Goldberg", "Anita Borg", "Bjarne Stroustrup", "Butler Lampson",
	"Carol Shaw", "Evelyn Boyd", "Fran Bilas", "Guido Rossum", "Ivan Sutherland", "Jean Sammet",
	"Karen Jones", "Lynn Conway", "Mary Keller",
}

// invitees are pending invites sent that many days ago, newest first.
var invitees = []struct {
	name string
	days int
}{
	{"Ole Dahl", 1}, {"Kristen Nygaard", 5}, {"Peter Naur", 11}, {"Jim Gray", 20},
	{"Ron Rivest", 29}, {"Adi Shamir", 35}, {"Len Adleman", 50}, {"Ward Cunningham", 58},
}

// Seed creates the demo company with an admin, about forty members with
// personal rooms, team rooms with managers, shared and twinned video
// systems, pending invites of various ages and 90 days of calls. A company
// already registered for the demo team is returned as it is, so seeding
// twice adds nothing.
func Seed(ctx context.Context, db *store.DB) (company.Company, error) {
	if c, err := db.CompanyByTeam(ctx, Team); err == nil {
		return c, nil
	} else if company.KindOf(err) != company.NotFound {
		return c, err
	}
	c, err := db.CreateCompany(ctx, company.Company{Name: "Northwind Traders", SlackTeam: Team, Domain: "northwind.vc.example.com", Licences: 60, TimeZone: "Europe/London"})
	if err != nil {
		return c, fmt.Errorf("demo: %w", err)
	}
	if _, _, err := db.GrantAdmin(ctx, c.ID, AdminEmail, AdminName); err != nil {
		return c, fmt.Errorf("demo: %w", err)
	}
	emails := map[string]string{}
	for i, name := range people {
		email := emailOf(name)
		emails[name] = email
		nm := store.NewMember{FullName: name, Email: email, Admin: i == 0}
		if _, err := db.AddMember(ctx, c.ID, nm, company.Operator); err != nil {
			return c, fmt.Errorf("demo: %w", err)
		}
	}
	rooms := []struct {
		name, address string
		managers      []string
	}{
		{"All hands", "allhands", []string{AdminEmail}},
		{"Engineering stand-up", "eng.standup", []string{emails["Grace Hopper"], emails["Ken Thompson"]}},
		{"Sales weekly", "sales.weekly", []string{emails["Hedy Lamarr"]}},
		{"Support desk", "support.desk", nil},
	}
	for _, r := range rooms {
		if _, err := db.AddTeamRoom(ctx, c.ID, r.name, r.address, r.managers); err != nil {
			return c, fmt.Errorf("demo: %w", err)
		}
	}
	systems := []struct{ name, address, twin string }{
		{"Boardroom", "boardroom", ""},
		{"Lisbon huddle room", "lisbon.huddle", ""},
		{"Reception", "reception.desk", ""},
		{"Grace's desk system", "grace.desk", emails["Grace Hopper"]},
		{"Alan's home office", "alan.home", emails["Alan Turing"]},
	}
	for _, s := range systems {
		if _, err := db.AddSystem(ctx, c.ID, s.name, s.address, s.twin); err != nil {
			return c, fmt.Errorf("demo: %w", err)
		}
	}
	if err := seedInvites(ctx, db, c); err != nil {
		return c, fmt.Errorf("demo: %w", err)
	}
	if err := seedUsage(ctx, db, c, db.Clock()); err != nil {
		return c, fmt.Errorf("demo: %w", err)
	}
	return c, nil
}

// seedInvites creates pending invites sent days ago, as if the demo had run
// for two months; their mails count as sent then.
func seedInvites(ctx context.Context, db *store.DB, c company.Company) error {
	clock := db.Clock
	defer func() { db.Clock = clock }()
	admin, err := db.MemberByEmail(ctx, c.ID, AdminEmail)
	if err != nil {
		return err
	}
	now := clock()
	// Oldest first, so the audit log reads in order.
	for i := len(invitees) - 1; i >= 0; i-- {
		inv := invitees[i]
		sent := now.Add(-time.Duration(inv.days) * 24 * time.Hour)
		db.Clock = func() time.Time { return sent }
		_, _, err := db.CreateInvite(ctx, store.NewInvite{CompanyID: c.ID,
			Email: emailOf(inv.name), FullName: inv.name, Role: company.RoleMember,
			Actor: company.Actor{MemberID: admin.ID, Name: AdminName}, Expiry: company.DefaultLifecycle.Expiry})
		if err != nil {
			return err
		}
	}
	return nil
}

func emailOf(name string) string {
	return strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "@northwind.example"
}
