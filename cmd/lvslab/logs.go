package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/lvslab/lvslab/internal/daemon"
)

// logsPoll is how often lvslab logs -f looks for new lines.
const logsPoll = 200 * time.Millisecond

func newLogsCmd() *cobra.Command {
	var labName string
	var follow bool
	cmd := &cobra.Command{
		Use:   "logs [-f] [-l LAB] NODE [KIND]",
		Short: "Show the log of a node's keepalived or server (KIND: keepalived, server)",
		Long: `Print what a node's supervised processes wrote: keepalived's messages (state
changes, gratuitous ARPs, health checks: what journalctl -u keepalived shows
on the documents' machines) or the server's. Daemons log only there, in the
lab's state directory (logs/NODE.KIND.log, as lvslab status says), never to
syslog or the terminal. Without KIND, every log of the node, each under a
==> FILE <== header. -f keeps printing what is appended, like tail -f, until
Ctrl-C.`,
		Example: `  lvslab logs lvs01 keepalived
  lvslab logs -f lvs02 keepalived
  lvslab logs -l dr-keepalived web01`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, h, err := openHost(labName, args[0])
			if err != nil {
				return err
			}
			which := kinds
			if len(args) == 2 {
				k, err := kindNamed("logs", args[1])
				if err != nil {
					return err
				}
				which = []daemon.Kind{k}
			}
			var paths []string
			for _, k := range which {
				p := k.Log(h)
				if _, err := os.Stat(p); err == nil || len(args) == 2 {
					paths = append(paths, p)
				}
			}
			if len(paths) == 0 {
				return fmt.Errorf("logs: %s has no logs yet (%s)", h.Name(), daemon.LogPath(h, "KIND"))
			}
			return printLogs(cmd.Context(), cmd.OutOrStdout(), paths, follow)
		},
	}
	labFlag(cmd, &labName)
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing what is appended, until Ctrl-C")
	return cmd
}

// printLogs copies the files at paths to w, under "==> PATH <==" headers
// when there are several; with follow it then copies what is appended
// until ctx ends, naming the file again whenever the output switches to
// another one. A file that does not exist yet is waited for.
func printLogs(ctx context.Context, w io.Writer, paths []string, follow bool) error {
	offsets := make([]int64, len(paths))
	last := -1
	for {
		for i, p := range paths {
			n, err := copyFrom(w, p, offsets[i], func() {
				if len(paths) > 1 && last != i {
					if last >= 0 {
						fmt.Fprintln(w)
					}
					fmt.Fprintf(w, "==> %s <==\n", p)
				}
				last = i
			})
			if err != nil && (!follow || !errors.Is(err, os.ErrNotExist)) {
				return err
			}
			offsets[i] += n
		}
		if !follow {
			return nil
		}
		t := time.NewTimer(logsPoll)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// copyFrom copies the file at path from offset on to w, calling header
// first when there is anything to copy, and returns how much it copied.
func copyFrom(w io.Writer, path string, offset int64, header func()) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("read log: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("read log: %w", err)
	}
	if st.Size() <= offset {
		return 0, nil
	}
	header()
	n, err := io.Copy(w, io.NewSectionReader(f, offset, st.Size()-offset))
	if err != nil {
		return n, fmt.Errorf("read log %s: %w", path, err)
	}
	return n, nil
}
