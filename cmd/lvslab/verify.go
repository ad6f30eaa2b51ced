package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/lvslab/lvslab/internal/importer"
	"github.com/lvslab/lvslab/internal/labup"
	"github.com/lvslab/lvslab/internal/verify"
	"github.com/lvslab/lvslab/topo"
	"github.com/lvslab/lvslab/vm"
)

func newVerifyCmd() *cobra.Command {
	var opts verify.Options
	var name, report string
	var peer int
	cmd := &cobra.Command{
		Use:   "verify LAB.yaml | FILE.conf...",
		Short: "Stand a lab up, run the battery of checks on it, and tear it down",
		Long: `Stand up a lab file — or the lab lvslab import makes of your keepalived.conf
files (one per director) or ipvsadm-save dump — run the battery of checks on
it, and tear it down again, also when a check fails or on Ctrl-C.

Each check prints its verdict, the figure it measured, the formula or rule it
held the figure to, and on failure the cause in plain words:
  master        each VRRP instance's VIPs held by exactly one director, the one
                the priorities, states and nopreempt predict
  distribution  requests through each VIP split as the scheduler and weights
                predict (exactly for rr and wrr); persistence: one client, one
                real server
  arp           LVS-DR: no real server answers ARP for the VIP
  path          one request captured on every link: DR rewrites only MACs, NAT
                the addresses both ways, TUN wraps it in IPIP
  health        a stopped real server leaves every director's table within its
                checker's formula and comes back; a sorry_server takes over
  failover      a graceful stop of each MASTER (Skew_Time), its start again
                (back after Master_Down_Interval + preempt_delay if it preempts),
                a crash (Master_Down_Interval)
The results also go to DIR/results.json and DIR/index.html, the scenario
suite's report. The exit status is 1 when a check failed, so it can gate CI.
A check whose verdict a line of your file makes meaningless in a lab (an
HTTP_GET digest no lab backend can match, a MISC_CHECK script missing here)
is skipped with that FILE:LINE, not failed.

It needs a kernel with IPVS: on a host without, run it in the guest kernel
(lvslab vm --auto -- lvslab verify ...).`,
		Example: `  lvslab import lvs01.conf lvs02.conf -o mylab.yaml && lvslab verify mylab.yaml
  lvslab verify lvs01.conf lvs02.conf
  lvslab verify /etc/keepalived/keepalived.conf --peer 90
  lvslab vm --auto -- lvslab verify labs/dr-keepalived.yaml --only master,failover`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			stderr, stdout := cmd.ErrOrStderr(), cmd.OutOrStdout()
			if err := verify.CheckKinds(opts.Only); err != nil {
				return err
			}
			spec, caveats, cleanup, err := verifySpec(cmd, args, peer)
			if cleanup != nil {
				defer cleanup()
			}
			if err != nil {
				return err
			}
			needs, err := vm.NeedsVM()
			if err != nil {
				return err
			}
			if needs {
				return fmt.Errorf("verify: this kernel has no IPVS; run it in the guest kernel: lvslab vm --auto -- lvslab verify %s", strings.Join(args, " "))
			}
			start := time.Now()
			lab, err := labup.Up(ctx, spec, labup.Options{BuildOptions: topo.BuildOptions{Name: name}})
			if err != nil {
				return err
			}
			// Torn down however verify ends: a failed check, an error,
			// Ctrl-C (the context ends, every wait returns).
			defer func() {
				if err := topo.Destroy(lab.Name); err != nil {
					fmt.Fprintf(stderr, "lvslab verify: tear down %s: %v\n", lab.Name, err)
					return
				}
				fmt.Fprintf(stderr, "lab %s is down\n", lab.Name)
			}()
			fmt.Fprintf(stderr, "lab %s is up: %d nodes (%s)\n", lab.Name, len(spec.Nodes), time.Since(start).Round(time.Millisecond))
			readies, err := labup.WaitReady(ctx, lab)
			for _, r := range readies {
				fmt.Fprintln(stderr, r)
			}
			if err != nil {
				if ctx.Err() != nil {
					return err
				}
				fmt.Fprintf(stderr, "not ready: %v (the checks say why)\n", err)
			}
			opts.Caveats = caveats
			opts.Progress = func(r verify.Result) {
				fmt.Fprintf(stderr, "%-4s %s %s (%s)\n", r.Verdict, r.Check, r.Name, r.Took.Round(time.Millisecond))
			}
			began := time.Now()
			results, err := verify.Run(ctx, lab, opts)
			end := time.Now()
			if werr := verify.WriteTable(stdout, results); werr != nil {
				return werr
			}
			fmt.Fprintf(stdout, "verify %s: %s (checks %s)\n", lab.Name, end.Sub(start).Round(time.Millisecond), end.Sub(began).Round(time.Millisecond))
			if report != "" {
				dir := filepath.Join(report, lab.Name)
				if rerr := verify.WriteReport(verify.Report(spec, lab.Name, results, start, end), dir); rerr != nil {
					return errors.Join(err, rerr)
				}
				fmt.Fprintf(stdout, "report: %s\n", filepath.Join(dir, "index.html"))
			}
			if err != nil {
				return err
			}
			if verify.Failed(results) > 0 {
				return &exitError{code: 1}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "the lab's name (default: the lab file's name:)")
	cmd.Flags().IntVar(&peer, "peer", 0, "with one keepalived.conf: add its BACKUP peer with this priority (as lvslab import --peer)")
	cmd.Flags().StringVar(&opts.Client, "client", "", "the node requests leave from (default: the lab's first client)")
	cmd.Flags().StringSliceVar(&opts.Only, "only", nil, "run only these checks: "+strings.Join(verify.Kinds, ","))
	cmd.Flags().StringVar(&report, "report", "verify-report", "write results.json and index.html to DIR/LAB (\"\": none)")
	return cmd
}

// verifySpec loads a lab file, or imports keepalived.conf files or an
// ipvsadm-save dump (printing what cannot run as written), with the
// lines of its directors' keepalived.conf files that cannot run as
// written; cleanup removes what the import wrote.
func verifySpec(cmd *cobra.Command, args []string, peer int) (*topo.Spec, []importer.Caveat, func(), error) {
	if len(args) == 1 && (strings.HasSuffix(args[0], ".yaml") || strings.HasSuffix(args[0], ".yml")) {
		if peer != 0 {
			return nil, nil, nil, errors.New("verify: --peer is for keepalived.conf files, not a lab file")
		}
		spec, err := topo.Load(args[0])
		if err != nil {
			return nil, nil, nil, err
		}
		caveats, err := importer.CaveatsOf(spec, nil)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("verify: %w", err)
		}
		return spec, caveats, nil, nil
	}
	opt := importer.Options{Peer: peer}
	var cleanup func()
	if peer != 0 {
		dir, err := os.MkdirTemp("", "lvslab-verify-")
		if err != nil {
			return nil, nil, nil, fmt.Errorf("verify: %w", err)
		}
		cleanup = func() { os.RemoveAll(dir) }
		opt.Dir = dir
	}
	res, err := importer.Import(args, opt)
	var oos *importer.OutOfScope
	if errors.As(err, &oos) {
		for _, l := range oos.Lines {
			fmt.Fprintln(cmd.ErrOrStderr(), l)
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "lvslab verify: %d line(s) out of lvslab's scope; nothing built\n", len(oos.Lines))
		return nil, nil, cleanup, &exitError{code: 1}
	}
	if err != nil {
		return nil, nil, cleanup, err
	}
	for _, c := range res.Caveats {
		fmt.Fprintln(cmd.ErrOrStderr(), "cannot run as written:", c)
	}
	for p, data := range res.Files {
		if err := os.WriteFile(filepath.Join(opt.Dir, p), data, 0o644); err != nil {
			return nil, nil, cleanup, fmt.Errorf("verify: write %s: %w", p, err)
		}
	}
	return res.Spec, res.Caveats, cleanup, nil
}
