package impair

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"

	"github.com/lvslab/lvslab/topo"
)

// Record is what is in force on a lab's cables, and every change made,
// kept in the lab's state directory (faults.json).
type Record struct {
	Impairments []Impairment `json:"impairments,omitempty"`
	// Down lists the cables whose switch end is down.
	Down       []Endpoint `json:"down,omitempty"`
	Partitions []Cut      `json:"partitions,omitempty"`
	// Events is the timeline of every change, oldest first.
	Events []Event `json:"events,omitempty"`
}

// Impairment is a netem qdisc in force on a cable.
type Impairment struct {
	Endpoint
	Netem     Netem     `json:"netem"`
	Direction Direction `json:"direction"`
	Since     time.Time `json:"since"`
}

// Cut is a partition: a set of drop rules in force in the lab's switch: Deaf
// cannot hear From; unless OneWay, From cannot hear Deaf either.
type Cut struct {
	Deaf   []string  `json:"deaf"`
	From   []string  `json:"from"`
	OneWay bool      `json:"one_way,omitempty"`
	Since  time.Time `json:"since"`
}

// String reads as the command that made it: "lvs02 / lvs01 (one-way:
// lvs02 cannot hear lvs01)".
func (p Cut) String() string {
	s := fmt.Sprintf("%s / %s", joinNodes(p.Deaf), joinNodes(p.From))
	if p.OneWay {
		s += fmt.Sprintf(" (one-way: %s cannot hear %s)", joinNodes(p.Deaf), joinNodes(p.From))
	}
	return s
}

// Event is one change on the lab's cables, for the timeline.
type Event struct {
	// At is when the change was made (its call returned). Began, when
	// the call started, is set only on the events Flap hands its
	// caller, which needs both ends (the change took effect somewhere
	// in between); the record does not keep it.
	At    time.Time `json:"at"`
	Began time.Time `json:"-"`
	// Kind is impair, clear, down, up, partition or heal.
	Kind   string `json:"kind"`
	Target string `json:"target"` // NODE:IF, or the partition's groups
	Detail string `json:"detail,omitempty"`
}

// Event kinds.
const (
	EventImpair    = "impair"
	EventClear     = "clear"
	EventDown      = "down"
	EventUp        = "up"
	EventPartition = "partition"
	EventHeal      = "heal"
)

const recordFile = "faults.json"

func recordPath(lab string) string { return filepath.Join(topo.StateDir(lab), recordFile) }

// Read returns a lab's record; an empty one when nothing was ever applied.
func Read(lab string) (*Record, error) {
	data, err := os.ReadFile(recordPath(lab))
	if errors.Is(err, os.ErrNotExist) {
		if _, err := topo.ReadState(lab); err != nil {
			return nil, err
		}
		return &Record{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read faults of lab %s: %w", lab, err)
	}
	var r Record
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("decode faults of lab %s: %w", lab, err)
	}
	return &r, nil
}

// Empty is true when nothing is in force.
func (r *Record) Empty() bool {
	return len(r.Impairments) == 0 && len(r.Down) == 0 && len(r.Partitions) == 0
}

// update changes a lab's record under an exclusive lock, so that a flap
// running in one shell and an impair in another do not lose each other's
// changes. fn changes the record after the kernel did; its error leaves
// the file as it was.
func update(lab string, fn func(*Record) error) error {
	lock, err := os.OpenFile(recordPath(lab)+".lock", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("lock faults of lab %s: %w", lab, err)
	}
	defer lock.Close()
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX); err != nil {
		return fmt.Errorf("lock faults of lab %s: %w", lab, err)
	}
	r, err := Read(lab)
	if err != nil {
		return err
	}
	if err := fn(r); err != nil {
		return err
	}
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encode faults of lab %s: %w", lab, err)
	}
	tmp := recordPath(lab) + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("write faults of lab %s: %w", lab, err)
	}
	if err := os.Rename(tmp, recordPath(lab)); err != nil {
		return fmt.Errorf("write faults of lab %s: %w", lab, err)
	}
	return nil
}

func (r *Record) log(at time.Time, kind, target, detail string) {
	r.Events = append(r.Events, Event{At: at, Kind: kind, Target: target, Detail: detail})
}

// Span is a fault in force from From to To, for a timeline.
type Span struct {
	// Target is the cable (NODE:IF) or, for a partition, "partition".
	Target string
	// What is the fault: the netem arguments, "link down", the partition.
	What     string
	From, To time.Time
}

// Spans pairs the record's events into the times each fault was in
// force, in the order they began; a fault still in force ends at until.
func (r *Record) Spans(until time.Time) []Span {
	var out []Span
	open := map[string][]int{} // target → indexes of out still open
	begin := func(target, what string, at time.Time) {
		open[target] = append(open[target], len(out))
		out = append(out, Span{Target: target, What: what, From: at})
	}
	end := func(target string, at time.Time) {
		for _, i := range open[target] {
			out[i].To = at
		}
		delete(open, target)
	}
	const partition = "partition"
	for _, e := range r.Events {
		switch e.Kind {
		case EventImpair:
			end(e.Target, e.At) // a new impair replaces the cable's last
			begin(e.Target, e.Detail, e.At)
		case EventClear, EventUp:
			end(e.Target, e.At)
		case EventDown:
			end(e.Target, e.At)
			begin(e.Target, "link down", e.At)
		case EventPartition:
			begin(partition, e.Target, e.At)
		case EventHeal:
			end(partition, e.At)
		}
	}
	for i := range out {
		if out[i].To.IsZero() {
			out[i].To = until
		}
	}
	return out
}
