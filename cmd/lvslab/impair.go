package main

import (
	"errors"
	"fmt"
	"io"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/lvslab/lvslab/topo/impair"
)

// faultCmds are the commands that put faults on a lab's cables.
func faultCmds() []*cobra.Command {
	return []*cobra.Command{newImpairCmd(), newLinkCmd(), newPartitionCmd()}
}

func newImpairCmd() *cobra.Command {
	var labName, loss, delay, jitter, duplicate, reorder, rate, dir string
	var clear bool
	cmd := &cobra.Command{
		Use:   "impair [-l LAB] NODE:IF [--loss P%] [--delay D [--jitter J]] [--duplicate P%] [--reorder P%] [--rate R] | --clear",
		Short: "Put netem loss, delay, duplication, reordering or a rate cap on a node's cable",
		Long: `Put a netem qdisc on the cable of NODE:IF, inside the lab: on the node's
end for what it sends and on the switch end for what it receives (--dir
in|out narrows it). A delay therefore adds twice its value to a round
trip over that cable. A new impair replaces the cable's previous one;
--clear removes it. lvslab status lists what is in force; lvslab down
removes it with the lab. Bad input is refused and nothing is applied.`,
		Example: `  lvslab impair lvs01:eth0 --loss 30%
  lvslab impair web01:eth0 --delay 4s                # longer than connect_timeout
  lvslab impair client:eth0 --delay 100ms --jitter 20ms --reorder 25%
  lvslab impair lvs01:eth0 --clear`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := impair.ParseEndpoint(args[0])
			if err != nil {
				return fmt.Errorf("impair: %w", err)
			}
			lab, err := openLab(labName)
			if err != nil {
				return err
			}
			if clear {
				if err := impair.Clear(lab, e); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: impairment cleared\n", e)
				return nil
			}
			n, d, err := netemFlags(loss, delay, jitter, duplicate, reorder, rate, dir)
			if err != nil {
				return fmt.Errorf("impair %s: %w", e, err)
			}
			if err := impair.Apply(lab, e, n, d); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %s (%s)\n", e, n, d)
			return nil
		},
	}
	labFlag(cmd, &labName)
	f := cmd.Flags()
	f.StringVar(&loss, "loss", "", "drop P% of packets, independently (5%, 0.5%)")
	f.StringVar(&delay, "delay", "", "add D to every packet (100ms, 1.5s)")
	f.StringVar(&jitter, "jitter", "", "spread the delay uniformly by ±J (needs --delay)")
	f.StringVar(&duplicate, "duplicate", "", "send P% of packets twice")
	f.StringVar(&reorder, "reorder", "", "send P% of packets at once, ahead of the delayed ones (needs --delay)")
	f.StringVar(&rate, "rate", "", "cap the throughput (10mbit, 512kbit)")
	f.StringVar(&dir, "dir", "both", "which way: both, in (what the node receives) or out (what it sends)")
	f.BoolVar(&clear, "clear", false, "remove the cable's impairment")
	for _, f := range []string{"loss", "delay", "jitter", "duplicate", "reorder", "rate", "dir"} {
		cmd.MarkFlagsMutuallyExclusive("clear", f) // --clear clears both ends: no setting goes with it
	}
	return cmd
}

// netemFlags reads impair's flags, naming each bad one.
func netemFlags(loss, delay, jitter, duplicate, reorder, rate, dir string) (impair.Netem, impair.Direction, error) {
	var n impair.Netem
	var errs []error
	pct := func(flag, s string, v *float64) {
		if s == "" {
			return
		}
		var err error
		if *v, err = impair.ParsePercent(s); err != nil {
			errs = append(errs, fmt.Errorf("--%s %w", flag, err))
		}
	}
	dur := func(flag, s string, v *time.Duration) {
		if s == "" {
			return
		}
		var err error
		if *v, err = impair.ParseDuration(s); err != nil {
			errs = append(errs, fmt.Errorf("--%s %w", flag, err))
		}
	}
	pct("loss", loss, &n.Loss)
	pct("duplicate", duplicate, &n.Duplicate)
	pct("reorder", reorder, &n.Reorder)
	dur("delay", delay, &n.Delay)
	dur("jitter", jitter, &n.Jitter)
	if rate != "" {
		var err error
		if n.Rate, err = impair.ParseRate(rate); err != nil {
			errs = append(errs, fmt.Errorf("--rate %w", err))
		}
	}
	d, err := impair.ParseDirection(dir)
	if err != nil {
		errs = append(errs, fmt.Errorf("--dir: %w", err))
	}
	return n, d, errors.Join(errs...)
}

func newLinkCmd() *cobra.Command {
	var labName, period string
	var count int
	cmd := &cobra.Command{
		Use:   "link [-l LAB] NODE:IF down|up|flap [--period T --count N]",
		Short: "Pull a node's cable, plug it back, or flap it a bounded number of times",
		Long: `Set the switch end of NODE:IF's cable down or up: the node loses its
carrier as with a pulled cable and keeps its addresses and routes. flap
pulls the cable for half of --period and plugs it back for the other half,
--count times, printing each change, and returns with the cable up (also
when interrupted).`,
		Example: `  lvslab link lvs01:eth0 down
  lvslab link lvs01:eth0 up
  lvslab link lvs01:eth0 flap --period 10s --count 3`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := impair.ParseEndpoint(args[0])
			if err != nil {
				return fmt.Errorf("link: %w", err)
			}
			w := cmd.OutOrStdout()
			switch args[1] {
			case "down", "up":
				lab, err := openLab(labName)
				if err != nil {
					return err
				}
				if err := impair.SetLink(lab, e, args[1] == "up"); err != nil {
					return err
				}
				fmt.Fprintf(w, "%s: link %s\n", e, args[1])
				return nil
			case "flap":
				p, err := impair.ParseDuration(period)
				if err != nil {
					return fmt.Errorf("link %s flap: --period %w", e, err)
				}
				if err := impair.CheckFlap(p, count); err != nil {
					return fmt.Errorf("link %s flap: %w", e, err)
				}
				lab, err := openLab(labName)
				if err != nil {
					return err
				}
				ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
				defer stop()
				start := time.Now()
				return impair.Flap(ctx, lab, e, p, count, func(ev impair.Event) { printFlap(w, start, ev) })
			default:
				return fmt.Errorf("link %s: %q: want down, up or flap", e, args[1])
			}
		},
	}
	labFlag(cmd, &labName)
	cmd.Flags().StringVar(&period, "period", "2s", "flap: one down-and-up cycle")
	cmd.Flags().IntVar(&count, "count", 3, "flap: how many cycles")
	return cmd
}

func printFlap(w io.Writer, start time.Time, ev impair.Event) {
	fmt.Fprintf(w, "%7.3fs %s %s\n", ev.At.Sub(start).Seconds(), ev.Target, ev.Kind)
}

func newPartitionCmd() *cobra.Command {
	var labName string
	var heal, oneWay bool
	cmd := &cobra.Command{
		Use:   "partition [-l LAB] A,B... / C,D... [--one-way] | --heal",
		Short: "Cut the lab's switch between two groups of nodes, or heal it",
		Long: `Drop, in the lab's switch, every frame between the nodes of the first
group and those of the second, so they cannot reach each other; what the
nodes run (their firewalls too) is untouched. With --one-way only the
first group goes deaf: it no longer hears the second, which still hears
it. Partitions add up; --heal removes them all. lvslab status lists what
is in force; lvslab down removes it with the lab.`,
		Example: `  lvslab partition lvs01 / lvs02                    # split brain: both become MASTER
  lvslab partition lvs02 / lvs01 --one-way          # lvs02 no longer hears lvs01's adverts
  lvslab partition lvs01,web01 / lvs02,web02,client
  lvslab partition --heal`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if heal {
				if len(args) > 0 || oneWay {
					return errors.New("partition --heal: takes no groups")
				}
				lab, err := openLab(labName)
				if err != nil {
					return err
				}
				if err := impair.Heal(lab); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "lab %s: healed\n", lab.Name)
				return nil
			}
			a, b, err := impair.ParseGroups(args)
			if err != nil {
				return fmt.Errorf("partition: %w", err)
			}
			lab, err := openLab(labName)
			if err != nil {
				return err
			}
			if err := impair.Partition(lab, a, b, oneWay); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "lab %s: partition %s\n", lab.Name, impair.Cut{Deaf: a, From: b, OneWay: oneWay})
			return nil
		},
	}
	labFlag(cmd, &labName)
	cmd.Flags().BoolVar(&heal, "heal", false, "remove every partition")
	cmd.Flags().BoolVar(&oneWay, "one-way", false, "only the first group stops hearing the second")
	return cmd
}

// printFaults writes what is in force on a lab's cables, for status.
func printFaults(w io.Writer, lab string) error {
	r, err := impair.Read(lab)
	if err != nil {
		return err
	}
	if r.Empty() {
		return nil
	}
	fmt.Fprintln(w, "\nfaults in force (lvslab impair --clear, link up, partition --heal)")
	for _, i := range r.Impairments {
		fmt.Fprintf(w, "  impair    %-14s %s (%s) since %s\n", i.Endpoint, i.Netem, i.Direction, i.Since.Format(time.TimeOnly))
	}
	for _, e := range r.Down {
		fmt.Fprintf(w, "  link down %s\n", e)
	}
	for _, p := range r.Partitions {
		fmt.Fprintf(w, "  partition %s since %s\n", p, p.Since.Format(time.TimeOnly))
	}
	return nil
}
