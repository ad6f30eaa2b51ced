package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/lvslab/lvslab/internal/demo"
	"github.com/lvslab/lvslab/vm"
)

func newDemoCmd() *cobra.Command {
	var opts demo.Options
	names := make([]string, 0, len(demo.Demos))
	for name := range demo.Demos {
		names = append(names, name)
	}
	slices.Sort(names)
	cmd := &cobra.Command{
		Use:   "demo nat-vs-dr|tun [--out DIR]",
		Short: "Show how NAT, DR and TUN rewrite one request, hop by hop",
		Long: `The teaching demo. Stand up the NAT and DR labs (labs/nat.yaml,
labs/dr.yaml; or the TUN lab for demo tun) as demo-nat and demo-dr,
capture on every link, send one HTTP request through each VIP from
client port 40000, and print the request's and the reply's hops side by
side: the cable (named by the interfaces owning the frame's MACs), the
addresses, ports and TTL, with * after every value the hop changed. Under
each table, the method's proof on that path (lvslab path --check). The
labs are torn down at the end, even on error or Ctrl-C; the pcaps are
kept in --out/nat, --out/dr (or --out/tun) for Wireshark and tshark.

It needs kernel IPVS: where the host has none, run it in the guest kernel
(make demo, or lvslab vm -- lvslab demo nat-vs-dr).`,
		Example: `  make demo
  lvslab vm -- bin/lvslab demo nat-vs-dr
  lvslab demo tun --out /tmp/tun-pcaps`,
		Args:      cobra.ExactArgs(1),
		ValidArgs: names,
		RunE: func(cmd *cobra.Command, args []string) error {
			d, ok := demo.Demos[args[0]]
			if !ok {
				return fmt.Errorf("demo %s: no such demo (want %s)", args[0], strings.Join(names, " or "))
			}
			needs, err := vm.NeedsVM()
			if err != nil {
				return err
			}
			if needs {
				return fmt.Errorf("demo %s: this kernel has no IPVS; run it in the guest kernel: make demo, or lvslab vm -- lvslab demo %s", d.Name, d.Name)
			}
			// Ctrl-C and SIGTERM cancel the run, which then tears its
			// labs down instead of dying with them up.
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			res, err := demo.Run(ctx, d, opts)
			if err != nil && ctx.Err() != nil {
				return fmt.Errorf("demo %s: interrupted; its labs are torn down", d.Name)
			}
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprint(w, res.Render())
			printPcaps(w, res)
			for _, s := range res.Sides {
				if s.Verdict != nil {
					return errors.New("demo: a path breaks its method (see the verdicts above)")
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&opts.Out, "out", "o", "demo-pcaps", "directory for the pcaps, one subdirectory per lab")
	cmd.Flags().StringVar(&opts.LabsDir, "labs", "labs", "directory of the lab files")
	return cmd
}

// printPcaps says where each lab's pcaps are, and how to read one.
func printPcaps(w io.Writer, res *demo.Result) {
	var example string
	dw := 0
	for _, s := range res.Sides {
		dw = max(dw, len(s.Dir))
	}
	fmt.Fprintln(w, "\npcaps, one per link (Wireshark, or tshark -r FILE):")
	for _, s := range res.Sides {
		var base []string
		for _, f := range s.Files {
			base = append(base, filepath.Base(f))
		}
		fmt.Fprintf(w, "  %-*s  %s\n", dw+1, s.Dir+"/", strings.Join(base, " "))
		if s.Path != nil && len(s.Path.Request) > 0 {
			// The last request hop, into the real server: where the
			// methods differ (the last side's: DR's in nat-vs-dr).
			h := s.Path.Request[len(s.Path.Request)-1]
			example = filepath.Join(s.Dir, h.To.FileName())
		}
	}
	if example != "" {
		fmt.Fprintf(w, "e.g. tshark -r %s -Y tcp.port==%d\n", example, demo.SourcePort)
	}
}
