// Package reports owns what a scenario run leaves behind for people: the
// results file (results.json), the self-contained HTML report (index.html:
// a summary table, and per scenario the lab's topology, tallies, tables,
// timelines and who-was-MASTER charts drawn as inline SVG) and the
// scenario catalogue
// (docs/scenarios.md). JUnit XML is ginkgo's (as --junit-report writes
// it) with every spec's attempts added ([WriteJUnit]).
//
// # Attempts
//
// A spec retried by ginkgo's FlakeAttempts decorator keeps every attempt:
// results.json has its attempts and the failure of each retried one, a
// spec that passed only on a later attempt has the verdict "flaky", and
// the HTML summary shows its first failure.
//
// # Recording figures
//
// A spec records a figure with ginkgo's AddReportEntry and one of this
// package's typed values, which keep their kind when the report crosses
// process boundaries (ginkgo -p) as JSON:
//
//	AddReportEntry("rr over web1/web2", reports.Tally{Title: "100 requests", Counts: res.Tally, Errors: res.Errors})
//	AddReportEntry("ipvsadm -Ln", reports.Table{Text: director.FormatTable(t)})
//	AddReportEntry("who is MASTER", reports.MastersFrom("SIGKILL to lvs01", killed, lanes, events, lastOK, firstOK))
//
// Any other entry (a spec's sentence with its figures and formula) is
// kept as text, as its String method or fmt's %v gives it: nothing is
// parsed back out of text, so a figure meant to be drawn is recorded
// typed.
//
// # Data flow
//
// scenarios (ginkgo specs) → [FromGinkgo] → [Results] → results.json →
// [Render] → index.html. The catalogue is [Catalogue] over a dry run's
// report and the specs' source (their By steps).
package reports
