package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/lvslab/lvslab/director/keepalived/lint"
)

func newLintCmd() *cobra.Command {
	var opt lint.Options
	var noConfigTest bool
	cmd := &cobra.Command{
		Use:   "lint FILE...",
		Short: "Find the mistakes in keepalived.conf files that go wrong in production",
		Long: `Check one keepalived.conf per director of one setup (a MASTER/BACKUP pair:
give both files) for the mistakes people make: the pair disagreeing on
virtual_router_id, auth, advert_int or VIPs; equal priorities; nopreempt
with state MASTER; a virtual_server whose VIP no vrrp_instance carries,
or with no protocol line (keepalived 2 makes it UDP);
weight 0; nb_get_retry; a check slower than its delay_loop; a DR real
server off the director's subnet; NAT without a way back; two instances
sharing a vrid; auth_pass longer than 8 characters; vrrp_strict. Each
finding gives FILE:LINE, what goes wrong in production, and the fix.
Then keepalived --config-test runs on each file (in a scratch network
namespace holding the interfaces the file names) and its findings follow.

The exit status is 1 when anything is found (advice alone does not count),
0 otherwise.`,
		Example: `  lvslab lint lvs01.conf lvs02.conf
  lvslab lint --config-id lvs01 /etc/keepalived/keepalived.conf`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opt.ConfigTest = !noConfigTest
			fs, err := lint.Files(cmd.Context(), args, opt)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			for _, f := range fs {
				fmt.Fprintln(out, f)
			}
			n := lint.Problems(fs)
			fmt.Fprintf(out, "lvslab lint: %d problem(s), %d advice, in %d file(s)\n", n, len(fs)-n, len(args))
			if n > 0 {
				return &exitError{code: 1}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&opt.ConfigID, "config-id", "", "keepalived's -i: which @ID conditional lines apply")
	cmd.Flags().BoolVar(&noConfigTest, "no-config-test", false, "skip keepalived --config-test")
	return cmd
}
