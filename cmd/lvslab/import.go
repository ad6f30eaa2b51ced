package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lvslab/lvslab/internal/importer"
)

func newImportCmd() *cobra.Command {
	var opt importer.Options
	var out string
	cmd := &cobra.Command{
		Use:   "import FILE... [-o LAB.yaml]",
		Short: "Write a lab file from your own keepalived.conf files or an ipvsadm-save dump",
		Long: `Write a lab file that stands up your own setup: one keepalived.conf per
director (a MASTER/BACKUP pair: give both files), or an ipvsadm-save /
ipvsadm -Sn dump for a director without keepalived.

The lab keeps the files' addresses and interface names, places the real
servers, directors and a client on the networks the configuration implies
(the VIP's subnet for DR; a separate real-server network with the
directors as gateway for NAT, through an internal VIP when there is one;
a router for TUN), and comments every choice it made. Each director runs
its keepalived.conf verbatim. What cannot run in a lab as written (a
notify or script path missing on this host, SMTP alerts, a missing
include) is listed with its line, the file unchanged. What lvslab cannot
stand up (SSL_GET, SMTP_CHECK, DNS_CHECK, virtual_server_group, IPv6, …)
is listed line by line and nothing is written; so is malformed input.

With one keepalived.conf, --peer PRIORITY adds the BACKUP tutorials tell
you to make: a copy with state BACKUP and that priority, everything else
equal, written next to the lab file. --server nginx runs Debian's nginx
on the real servers instead of lvslab's backend (on real servers of TCP
services only).`,
		Example: `  lvslab import lvs01.conf lvs02.conf -o mylab.yaml && lvslab up mylab.yaml
  lvslab import /etc/keepalived/keepalived.conf --peer 90 -o mylab.yaml
  ipvsadm -Sn > lvs.save && lvslab import lvs.save -o mylab.yaml
  lvslab import lvs01.conf lvs02.conf --server nginx -o mylab.yaml`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out != "" {
				opt.Dir = filepath.Dir(out)
				if opt.Name == "" {
					opt.Name = importer.Sanitize(strings.TrimSuffix(filepath.Base(out), filepath.Ext(out)))
				}
			}
			res, err := importer.Import(args, opt)
			var oos *importer.OutOfScope
			if errors.As(err, &oos) {
				for _, l := range oos.Lines {
					fmt.Fprintln(cmd.ErrOrStderr(), l)
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "lvslab import: %d line(s) out of lvslab's scope; nothing written\n", len(oos.Lines))
				return &exitError{code: 1}
			}
			if err != nil {
				return err
			}
			stderr := cmd.ErrOrStderr()
			for _, c := range res.Caveats {
				fmt.Fprintln(stderr, "cannot run as written:", c)
			}
			for _, n := range res.Notes {
				fmt.Fprintln(stderr, "note:", n)
			}
			if out == "" {
				_, err := cmd.OutOrStdout().Write(res.YAML)
				return err
			}
			for name, data := range res.Files {
				p := filepath.Join(opt.Dir, name)
				if err := os.WriteFile(p, data, 0o644); err != nil {
					return fmt.Errorf("write %s: %w", p, err)
				}
				fmt.Fprintf(stderr, "wrote %s: the BACKUP peer (--peer %d: state BACKUP, priority %d, everything else as in %s)\n", p, opt.Peer, opt.Peer, args[0])
			}
			if err := os.WriteFile(out, res.YAML, 0o644); err != nil {
				return fmt.Errorf("write %s: %w", out, err)
			}
			fmt.Fprintf(stderr, "wrote %s: lab %s; next: lvslab up %s\n", out, res.Spec.Name, out)
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "write the lab file here (default: standard output)")
	cmd.Flags().StringVar(&opt.Name, "name", "", "the lab's name (default: from the first file's name)")
	cmd.Flags().IntVar(&opt.Peer, "peer", 0, "with one keepalived.conf: add its BACKUP peer with this priority")
	cmd.Flags().StringVar(&opt.Server, "server", "", "what answers on the real servers: builtin (lvslab's backend, the default) or nginx (Debian's)")
	return cmd
}
