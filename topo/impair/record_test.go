package impair

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSpans(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	r := &Record{Events: []Event{
		{At: at(1), Kind: EventImpair, Target: "lvs01:eth0", Detail: "loss 30% (out)"},
		{At: at(2), Kind: EventPartition, Target: "lvs02 / lvs01"},
		{At: at(3), Kind: EventImpair, Target: "lvs01:eth0", Detail: "loss 50% (out)"},
		{At: at(4), Kind: EventDown, Target: "web01:eth0"},
		{At: at(5), Kind: EventUp, Target: "web01:eth0"},
		{At: at(6), Kind: EventHeal},
		{At: at(7), Kind: EventClear, Target: "lvs01:eth0"},
		{At: at(8), Kind: EventDown, Target: "web01:eth0"},
	}}
	want := []Span{
		{Target: "lvs01:eth0", What: "loss 30% (out)", From: at(1), To: at(3)},
		{Target: "partition", What: "lvs02 / lvs01", From: at(2), To: at(6)},
		{Target: "lvs01:eth0", What: "loss 50% (out)", From: at(3), To: at(7)},
		{Target: "web01:eth0", What: "link down", From: at(4), To: at(5)},
		{Target: "web01:eth0", What: "link down", From: at(8), To: at(10)},
	}
	if d := cmp.Diff(want, r.Spans(at(10))); d != "" {
		t.Errorf("Spans (-want +got):\n%s", d)
	}
}
