package keepalived

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/lvslab/lvslab/topo"
)

// Event is one VRRP state change keepalived announced through its notify
// program: INSTANCE NAME STATE PRIORITY, with the time and the node.
type Event struct {
	Time time.Time
	Node string
	// Type is INSTANCE or GROUP; Name the vrrp_instance or sync group.
	Type, Name string
	// State is MASTER, BACKUP, FAULT or STOP.
	State    string
	Priority int
}

// NotifyFile is where the events of NotifyCommand go: a file in the lab's
// state directory, gone with the lab.
func NotifyFile(lab string) string { return filepath.Join(topo.StateDir(lab), "vrrp-notify.log") }

// NotifyCommand is a notify program for a lab file's vrrp instance
// (topo.VRRP.Notify) that records each state change of it in the lab's
// NotifyFile, for Events to read: `BINARY notify-log`, keepalived adding
// its four arguments.
func NotifyCommand(binary string) string { return binary + " notify-log" }

// LogEvent records one notify call (keepalived's arguments TYPE NAME
// STATE PRIORITY) at now in the NotifyFile of the lab whose node's
// namespace the caller is in, naming the node. Lines are appended with
// one write each, so the directors' keepalived processes can log at once.
func LogEvent(args []string, now time.Time) error {
	if len(args) < 3 || len(args) > 4 {
		return fmt.Errorf("log notify event: want TYPE NAME STATE [PRIORITY], got %d arguments", len(args))
	}
	prio := "0"
	if len(args) == 4 {
		if _, err := strconv.Atoi(args[3]); err != nil {
			return fmt.Errorf("log notify event: priority %q is not a number", args[3])
		}
		prio = args[3]
	}
	for _, a := range args[:3] {
		if a == "" || strings.ContainsAny(a, " \t\n") {
			return fmt.Errorf("log notify event: argument %q is empty or has blanks", a)
		}
	}
	lab, node, err := topo.Identify()
	if err != nil {
		return fmt.Errorf("log notify event: %w", err)
	}
	if lab == "" {
		return errors.New("log notify event: not in the namespace of a lab's node")
	}
	line := fmt.Sprintf("%s %s %s %s %s %s\n", now.UTC().Format(time.RFC3339Nano), node, args[0], args[1], args[2], prio)
	f, err := os.OpenFile(NotifyFile(lab), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("log notify event: %w", err)
	}
	if _, err := f.WriteString(line); err != nil {
		f.Close()
		return fmt.Errorf("log notify event: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("log notify event: %w", err)
	}
	return nil
}

// Events reads the lab's notify events in the order they were logged;
// none when NotifyCommand was never called.
func Events(lab string) ([]Event, error) {
	f, err := os.Open(NotifyFile(lab))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read notify events: %w", err)
	}
	defer f.Close()
	var out []Event
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		fields := strings.Fields(sc.Text())
		if len(fields) != 6 {
			return nil, fmt.Errorf("read notify events: %s:%d: want 6 fields, got %d", f.Name(), n, len(fields))
		}
		t, err := time.Parse(time.RFC3339Nano, fields[0])
		if err != nil {
			return nil, fmt.Errorf("read notify events: %s:%d: %w", f.Name(), n, err)
		}
		prio, err := strconv.Atoi(fields[5])
		if err != nil {
			return nil, fmt.Errorf("read notify events: %s:%d: %w", f.Name(), n, err)
		}
		out = append(out, Event{Time: t, Node: fields[1], Type: fields[2], Name: fields[3], State: fields[4], Priority: prio})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read notify events: %w", err)
	}
	return out, nil
}
