package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lvslab/lvslab/reports"
)

func newReportCmd() *cobra.Command {
	var (
		dir, run, leakFile string
		leakStatus         int
		maxRetried         int
	)
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Render the HTML report from a scenario run's results.json",
		Long: `report reads DIR/results.json (written by the scenarios), adds what only
the caller knows — the run's wall time with the guest's boot, kept per mode
in DIR/walltimes.json so that serial and parallel runs compare, and the leak
check's verdict — and writes DIR/results.json and DIR/index.html again.
With --max-retried N it fails when more than N specs needed a retry
(ginkgo's FlakeAttempts), after writing the report.`,
		Example: `  lvslab report --dir reports/out
  lvslab report --dir reports/out --run parallel:2:183s
  lvslab report --dir reports/out --leak-check bin/leakcheck.out --leak-status 0
  lvslab report --dir reports/out --max-retried 1`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			file := filepath.Join(dir, "results.json")
			res, err := reports.Read(file)
			if err != nil {
				return err
			}
			runsFile := filepath.Join(dir, "walltimes.json")
			runs, err := reports.ReadRuns(runsFile)
			if err != nil {
				return err
			}
			if run != "" {
				r, err := parseRun(run)
				if err != nil {
					return err
				}
				r.Specs, r.Failed, r.When = len(res.Specs), res.Failed(), res.Start
				runs = reports.AddRun(runs, r)
				if err := reports.WriteRuns(runsFile, runs); err != nil {
					return err
				}
			}
			res.Runs = runs
			res.Sort()
			if leakFile != "" {
				out, err := os.ReadFile(leakFile)
				if err != nil {
					return fmt.Errorf("read leak check output: %w", err)
				}
				res.LeakCheck = &reports.LeakCheck{Passed: leakStatus == 0, Output: strings.TrimSpace(string(out))}
			}
			if err := res.Write(file); err != nil {
				return err
			}
			if err := reports.Render(res, filepath.Join(dir, "index.html")); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "report: %s (%d passed, %d of them flaky, %d failed; %d specs needed a retry)\n",
				filepath.Join(dir, "index.html"), res.Passed(), res.Flaky(), res.Failed(), res.Retried())
			if s, p, ratio, ok := reports.Speedup(runs); ok {
				fmt.Fprintf(cmd.OutOrStdout(), "report: wall time serial %s, parallel (%d processes) %s: %.2f× faster\n",
					time.Duration(s.WallTime).Round(time.Second), p.Procs, time.Duration(p.WallTime).Round(time.Second), ratio)
			}
			if maxRetried >= 0 && res.Retried() > maxRetried {
				return fmt.Errorf("report: %d specs needed a retry, more than the %d allowed", res.Retried(), maxRetried)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&dir, "dir", "reports/out", "directory of results.json and index.html")
	f.StringVar(&run, "run", "", "record this run's wall time, MODE:PROCS:DURATION (e.g. parallel:2:183s)")
	f.StringVar(&leakFile, "leak-check", "", "the leak check's output, to state in the report")
	f.IntVar(&leakStatus, "leak-status", 0, "the leak check's exit status (0: nothing leaked)")
	f.IntVar(&maxRetried, "max-retried", -1, "fail when more than this many specs needed a retry (-1: any number)")
	return cmd
}

// parseRun parses MODE:PROCS:DURATION.
func parseRun(s string) (reports.Run, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return reports.Run{}, errors.New("parse --run: want MODE:PROCS:DURATION")
	}
	procs, err := strconv.Atoi(parts[1])
	if err != nil {
		return reports.Run{}, fmt.Errorf("parse --run processes: %w", err)
	}
	d, err := time.ParseDuration(parts[2])
	if err != nil {
		return reports.Run{}, fmt.Errorf("parse --run duration: %w", err)
	}
	return reports.Run{Mode: parts[0], Procs: procs, WallTime: reports.Duration(d)}, nil
}
