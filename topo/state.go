package topo

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// StateRoot holds one directory per lab that is up, so that another shell
// (or the next test run) can find and tear it down. Overridable for tests
// through LVSLAB_STATE.
var StateRoot = stateRoot()

func stateRoot() string {
	if d := os.Getenv("LVSLAB_STATE"); d != "" {
		return d
	}
	return "/run/lvslab"
}

// State is what a lab's directory records. It is written before anything
// is created, listing every namespace the build will make, so a build
// killed half-way can still be torn down.
type State struct {
	Name       string    `json:"name"`
	File       string    `json:"file"` // the lab file it was built from
	Namespaces []string  `json:"namespaces"`
	Created    time.Time `json:"created"`
	Complete   bool      `json:"complete"`
	// Owner is the pid of the test process that built the lab, or 0 for a
	// lab stood up by hand. A lab whose owner is dead is stale.
	Owner int `json:"owner,omitempty"`
}

const (
	stateFile = "state.json"
	specFile  = "lab.yaml"
)

// StateDir is the directory of a lab's state.
func StateDir(lab string) string { return filepath.Join(StateRoot, lab) }

func writeState(st *State) error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("encode state of %s: %w", st.Name, err)
	}
	tmp := filepath.Join(StateDir(st.Name), stateFile+".tmp")
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("write state of %s: %w", st.Name, err)
	}
	if err := os.Rename(tmp, filepath.Join(StateDir(st.Name), stateFile)); err != nil {
		return fmt.Errorf("write state of %s: %w", st.Name, err)
	}
	return nil
}

// ReadState reads the state of a lab that is up.
func ReadState(lab string) (*State, error) {
	data, err := os.ReadFile(filepath.Join(StateDir(lab), stateFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read state of lab %s: %w", lab, ErrNoLab)
	}
	if err != nil {
		return nil, fmt.Errorf("read state of lab %s: %w", lab, err)
	}
	var st State
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("decode state of lab %s: %w", lab, err)
	}
	return &st, nil
}

// ErrNoLab means no lab of that name is up.
var ErrNoLab = errors.New("no such lab is up")

// List names the labs that are up (or half built), sorted.
func List() ([]string, error) {
	entries, err := os.ReadDir(StateRoot)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list labs: %w", err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

// Stale tells whether a lab was built by a test process that has since
// died, so nothing will ever tear it down but a sweep.
func (st *State) Stale() bool {
	if st.Owner == 0 {
		return false
	}
	return !ProcessAlive(st.Owner)
}
