package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"companyadmin/internal/company"
	"companyadmin/internal/store"
	"companyadmin/internal/usagecsv"
)

// importBatch is how many calls one transaction imports.
const importBatch = 500

// runUsageImport loads past calls of a company from a CSV file and says
// what became of each row that was not imported.
func runUsageImport(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) error {
	ref := companyFlag(fs)
	path, err := parseWithFile(fs, args)
	if err != nil {
		return err
	}
	if err := require(fs, "company"); err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("cannot open %s: %w", path, errors.Unwrap(err))
	}
	defer f.Close()
	db, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	co, err := db.CompanyByRef(ctx, *ref)
	if err != nil {
		return err
	}
	loc, err := time.LoadLocation(co.TimeZone)
	if err != nil {
		loc = time.UTC
	}

	counts := map[string]int{}
	var batch []usagecsv.Row
	// flush imports the calls of the batch and reports, in line order, the
	// rows that were not imported.
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		var recs []company.UsageRecord
		for _, r := range batch {
			if r.Err == nil {
				recs = append(recs, r.Record)
			}
		}
		results, err := db.ImportUsage(ctx, co.ID, recs)
		if err != nil {
			return err
		}
		for _, r := range batch {
			res := store.ImportResult{Outcome: store.Rejected}
			if r.Err != nil {
				res.Reason = company.Message(asDomain(r.Err))
			} else {
				res, results = results[0], results[1:]
			}
			counts[res.Outcome]++
			if res.Outcome != store.Imported {
				fmt.Fprintf(c.stdout, "line %d: %s: %s\n", r.Line, res.Outcome, strings.TrimSuffix(res.Reason, "."))
			}
		}
		batch = batch[:0]
		return nil
	}
	err = usagecsv.Read(f, loc, func(r usagecsv.Row) error {
		batch = append(batch, r)
		if len(batch) == importBatch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		if counts[store.Imported] > 0 {
			fmt.Fprintf(c.stdout, "stopped after importing %s\n", company.Plural(counts[store.Imported], "call", "calls"))
		}
		return fmt.Errorf("%s: %w", path, err)
	}
	fmt.Fprintf(c.stdout, "%s into %s: %d imported, %d duplicate, %d rejected\n", path, describe(co), counts[store.Imported], counts[store.Duplicate], counts[store.Rejected])
	return nil
}

// asDomain makes a row's parse error show as it is.
func asDomain(err error) error {
	if company.KindOf(err) != company.Internal {
		return err
	}
	return company.Errorf(company.Invalid, "%s", upperFirst(err.Error()))
}

// parseWithFile parses the flags of a command that takes one file name,
// before or after its flags.
func parseWithFile(fs *flag.FlagSet, args []string) (string, error) {
	out := fs.Output()
	fs.SetOutput(io.Discard)
	defer fs.SetOutput(out)
	var files []string
	for {
		err := fs.Parse(args)
		switch {
		case errors.Is(err, flag.ErrHelp):
			fs.SetOutput(out)
			fs.Usage()
			return "", helpShown{}
		case err != nil:
			fs.SetOutput(out)
			return "", usageWithHelp(fs, fmt.Sprintf("%s: %v", fs.Name(), strings.NewReplacer("flag -", "flag --", ": -", ": --").Replace(err.Error())))
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
	fs.SetOutput(out)
	switch len(files) {
	case 0:
		return "", &usageError{msg: fs.Name() + ": name the CSV file to import"}
	case 1:
		return files[0], nil
	}
	return "", usageWithHelp(fs, fmt.Sprintf("%s: unexpected argument %q", fs.Name(), files[1]))
}
