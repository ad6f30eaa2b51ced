package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/lvslab/lvslab/director/keepalived"
)

func newNotifyLogCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "notify-log TYPE NAME STATE [PRIORITY]",
		Short: "Record a keepalived notify call in the lab's VRRP event log",
		Long: `Record one VRRP state change for the MASTER timeline of the report. keepalived
runs it as a vrrp instance's notify program, adding the arguments TYPE
(INSTANCE or GROUP), NAME, STATE and PRIORITY. The line goes to
/run/lvslab/LAB/vrrp-notify.log, for the lab and node whose namespace it
runs in, with the time.`,
		Example: `  # in a lab file's vrrp instance:
  notify: /usr/local/bin/lvslab notify-log`,
		Args: cobra.RangeArgs(3, 4),
		RunE: func(cmd *cobra.Command, args []string) error {
			return keepalived.LogEvent(args, time.Now())
		},
	}
}
