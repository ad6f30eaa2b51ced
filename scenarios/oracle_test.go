package scenarios_test

// curl as the oracle of the HTTP paths. The specs' requests are made by
// lvslab's own client to lvslab's own backend (or nginx); curl, Debian's
// HTTP client run in the same node, checks that what our client tallied
// is what any client gets. Its shape follows expectAgrees (ipvsadm, in
// director_test.go): an independent tool, our reading, a (-oracle +ours)
// diff, and a failure that prints it.

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-cmp/cmp"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/lvslab/lvslab/client"
	"github.com/lvslab/lvslab/realserver"
	"github.com/lvslab/lvslab/topo"
)

// curlMark ends each transfer's output: curl writes it (--write-out)
// after every URL, answered or not, with the status and curl's exit code.
const curlMark = "@@lvslab-curl"

// curlTally is what curl got from n requests: answers per server (the
// first line of the body, as the documents' `curl VIP` prints the
// node's name), and failures per curl exit code ("curl exit 7").
type curlTally struct {
	Tally  map[string]int
	Errors map[string]int
	// Seq is who answered each request, in order ("!curl exit N" for a
	// failure), and Ports each one's source port (0 if it had none).
	Seq   []string
	Ports []uint16
}

// answered are curl's answered connections, in order.
func (c curlTally) answered() []sourceConn {
	var out []sourceConn
	for i, s := range c.Seq {
		if !strings.HasPrefix(s, "!") {
			out = append(out, sourceConn{port: c.Ports[i], server: s})
		}
	}
	return out
}

// curl sends n GET requests from node h to target with Debian's curl,
// one process, each request on a connection of its own (Connection:
// close: the server closes first, so the client's port is free again at
// once), so each is scheduled anew. extra are more curl options
// (--local-port). Equivalent to: `ip netns exec NS curl -s -H
// 'Connection: close' http://VIP/ http://VIP/ …`.
func curl(h *topo.Host, target netip.AddrPort, n int, extra ...string) curlTally {
	GinkgoHelper()
	bin, err := exec.LookPath("curl")
	Expect(err).NotTo(HaveOccurred(), "curl (Debian package curl) is the oracle of the HTTP paths: run make deps")
	url := "http://" + client.HostHeader(target) + "/"
	argv := []string{bin, "--silent", "--show-error", "--connect-timeout", "2", "--max-time", "5",
		"--header", "Connection: close", "--write-out", "\n" + curlMark + " %{http_code} %{exitcode} %{local_port}\n"}
	argv = append(argv, extra...)
	for range n {
		argv = append(argv, url)
	}
	c, cancel := context.WithTimeout(context.Background(), time.Duration(n)*6*time.Second)
	defer cancel()
	cmd := h.Command(c, argv...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	// curl's exit status is the last transfer's; each one's is in its mark.
	out, _ := cmd.Output()
	got, err := parseCurl(string(out))
	Expect(err).NotTo(HaveOccurred(), "curl's output:\n%s\nstderr:\n%s", out, stderr.String())
	Expect(got.Seq).To(HaveLen(n), "curl made %d transfers, want %d; stderr:\n%s", len(got.Seq), n, stderr.String())
	fmt.Fprintf(GinkgoWriter, "curl %d× %s from %s: %v %v\n", n, url, h.Name(), got.Tally, got.Errors)
	return got
}

// parseCurl splits curl's output at the marks: the body before each is
// one transfer's.
func parseCurl(out string) (curlTally, error) {
	got := curlTally{Tally: map[string]int{}, Errors: map[string]int{}}
	for {
		i := strings.Index(out, "\n"+curlMark+" ")
		if i < 0 {
			break
		}
		body := out[:i]
		rest := out[i+len(curlMark)+2:]
		line, after, _ := strings.Cut(rest, "\n")
		out = after
		var code, exit, port int
		if _, err := fmt.Sscanf(line, "%d %d %d", &code, &exit, &port); err != nil {
			return got, fmt.Errorf("parse curl mark %q: %w", line, err)
		}
		server, _, _ := strings.Cut(body, "\n")
		server = strings.TrimSpace(server)
		switch {
		case exit != 0:
			server = "!curl exit " + strconv.Itoa(exit)
			got.Errors[server[1:]]++
		case code/100 != 2 || server == "":
			server = "!http " + strconv.Itoa(code)
			got.Errors[server[1:]]++
		default:
			got.Tally[server]++
		}
		got.Seq = append(got.Seq, server)
		got.Ports = append(got.Ports, uint16(port))
	}
	if strings.TrimSpace(out) != "" {
		return got, fmt.Errorf("curl output after the last mark: %q", out)
	}
	return got, nil
}

// curlView is the part of a run both clients can report alike: answers
// per server, and how many requests failed (the two name failures
// differently).
func curlView(tally map[string]int, failed int) string {
	var b strings.Builder
	for _, s := range slices.Sorted(maps.Keys(tally)) {
		fmt.Fprintf(&b, "%s %d\n", s, tally[s])
	}
	fmt.Fprintf(&b, "failed %d\n", failed)
	return b.String()
}

// expectCurlAgrees sends as many requests as ours did from node h to
// target with curl and checks that curl's tally equals our client's:
// the same servers answered as often, and as many requests failed.
// Judge the claim on ours first; this says any HTTP client sees it.
// Where either client's kernel reused a source port the director still
// held (scheduled), that request went to its entry's server unscheduled
// (held to it there): the tallies of the scheduled requests are then
// compared, each server's within one (rr's phase), with the same
// servers and failures.
func expectCurlAgrees(h *topo.Host, target netip.AddrPort, ours *client.Result) {
	GinkgoHelper()
	By(fmt.Sprintf("the oracle: curl from %s, %d requests to %s, tallies as our client did", h.Name(), ours.Sent, target))
	before := held(h, target)
	got := curl(h, target, ours.Sent)
	failed := 0
	for _, n := range got.Errors {
		failed += n
	}
	ourFailed := 0
	for _, n := range ours.Errors {
		ourFailed += n
	}
	curlSeq, curlReused := scheduled(before, got.answered(), "curl")
	ourSeq, ourReused := ourScheduled(ours)
	if len(curlReused)+len(ourReused) == 0 {
		diff := cmp.Diff(curlView(got.Tally, failed), curlView(ours.Tally, ourFailed))
		Expect(diff).To(BeEmpty(), "curl disagrees with our client (-curl +ours); curl's sequence %v, its failures %v", got.Seq, got.Errors)
		return
	}
	curlTally, ourTally := countOf(curlSeq), countOf(ourSeq)
	Expect(failed).To(Equal(ourFailed), "curl disagrees with our client (-curl +ours): %s; curl's failures %v",
		cmp.Diff(curlView(got.Tally, failed), curlView(ours.Tally, ourFailed)), got.Errors)
	Expect(slices.Sorted(maps.Keys(curlTally))).To(Equal(slices.Sorted(maps.Keys(ourTally))),
		"curl's scheduled requests reached other servers than ours: curl %v, ours %v (curl's sequence %v)", curlTally, ourTally, got.Seq)
	for s, n := range curlTally {
		Expect(n-ourTally[s]).To(BeNumerically("~", 0, 1),
			"curl's scheduled requests to %s: %d, ours %d (curl %v, ours %v; curl's sequence %v)", s, n, ourTally[s], curlTally, ourTally, got.Seq)
	}
}

// countOf counts each server in seq.
func countOf(seq []string) map[string]int {
	out := map[string]int{}
	for _, s := range seq {
		out[s]++
	}
	return out
}

// expectCurlEvenSplit is the curl oracle where the spec's own verdict
// has slack: after a failover, rr's split may be off by one, since a SYN
// reusing the source port of a finished connection follows that
// connection's entry rather than the scheduler. There curl's n requests
// must pass the same even-split check our client's did, not repeat its
// exact tally (which raced: ours 6/4, curl's 5/5, in one run).
func expectCurlEvenSplit(h *topo.Host, target netip.AddrPort, n int) {
	GinkgoHelper()
	By(fmt.Sprintf("the oracle: curl from %s, %d requests to %s, splits evenly as our client's did", h.Name(), n, target))
	got := curl(h, target, n)
	Expect(got.Errors).To(BeEmpty(), "curl's failures; its sequence %v", got.Seq)
	expectEvenSplit(&client.Result{Tally: got.Tally})
}

var _ = Describe("The curl oracle", Label("oracle", "dr"), func() {
	It("fails when a real server stopped behind our client's back, and agrees again once it is back (negative control for the curl oracle)", func() {
		lab := upLab("dr.yaml")
		cl, web2 := host(lab, "client"), host(lab, "web2")
		vip := serviceVIP(lab.Spec)
		res := send(cl, "curl control", client.Options{Target: vip, Requests: 10})
		expectTally(res, map[string]int{"web1": 5, "web2": 5})
		expectCurlAgrees(cl, vip, res)

		By("web2's server stops: our tally (5 and 5) is now stale, and the agreement check must say so")
		Expect(realserver.Stop(web2, 0)).To(Succeed())
		failures := InterceptGomegaFailures(func() { expectCurlAgrees(cl, vip, res) })
		Expect(failures).To(HaveLen(1), "the check passed against a stale tally")
		Expect(failures[0]).To(ContainSubstring("curl disagrees with our client"))
		Expect(failures[0]).To(ContainSubstring("web2 5"), "the diff names the server that no longer answers")

		By("web2's server starts again: a fresh tally agrees")
		Expect(realserver.Start(web2, realserver.ServiceOptions(lab.Spec, "web2"), lvslabBinary())).To(Succeed())
		res = send(cl, "curl control, web2 back", client.Options{Target: vip, Requests: 10})
		expectTally(res, map[string]int{"web1": 5, "web2": 5})
		expectCurlAgrees(cl, vip, res)
	})
})

var _ = Describe("Source-port reuse under DR", Label("oracle"), func() {
	It("holds a request that reused a source port the director still held to that entry's server, and schedules the rest (negative control for the reuse model)", func() {
		By("DR: a finished connection's entry goes on holding its port")
		before := heldEntries{ports: map[uint16]string{40000: "web1"}, keeps: true}
		seq, reused := scheduled(before, []sourceConn{
			{40002, "web2"}, // scheduled
			{40000, "web1"}, // held before the run
			{40004, "web1"}, // scheduled
			{40002, "web2"}, // held since this run's first request
			{40006, "web2"}, // scheduled
		}, "a client")
		Expect(seq).To(Equal([]string{"web2", "web1", "web2"}))
		Expect(reused).To(HaveLen(2))

		By("a reused port that reached another server fails the check")
		failures := InterceptGomegaFailures(func() {
			scheduled(before, []sourceConn{{40000, "web2"}}, "a client")
		})
		Expect(failures).To(HaveLen(1))
		Expect(failures[0]).To(ContainSubstring("reused source port 40000"))

		By("NAT: the entry of a finished connection is rescheduled, so a reused port is scheduled")
		seq, reused = scheduled(heldEntries{ports: map[uint16]string{}}, []sourceConn{{40002, "web2"}, {40002, "web1"}}, "a client")
		Expect(seq).To(Equal([]string{"web2", "web1"}))
		Expect(reused).To(BeEmpty())
	})
})
