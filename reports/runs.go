package reports

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
)

// ReadRuns reads the wall times of earlier runs; none when the file does
// not exist.
func ReadRuns(file string) ([]Run, error) {
	data, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read wall times: %w", err)
	}
	var runs []Run
	if err := json.Unmarshal(data, &runs); err != nil {
		return nil, fmt.Errorf("decode wall times %s: %w", file, err)
	}
	return runs, nil
}

// WriteRuns writes the wall times.
func WriteRuns(file string, runs []Run) error {
	data, err := json.MarshalIndent(runs, "", "  ")
	if err != nil {
		return fmt.Errorf("encode wall times: %w", err)
	}
	if err := os.WriteFile(file, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write wall times: %w", err)
	}
	return nil
}

// AddRun keeps the latest run of each mode and process count, serial
// first.
func AddRun(runs []Run, r Run) []Run {
	runs = slices.DeleteFunc(runs, func(o Run) bool { return o.Mode == r.Mode && o.Procs == r.Procs })
	runs = append(runs, r)
	slices.SortStableFunc(runs, func(a, b Run) int { return a.Procs - b.Procs })
	return runs
}

// Speedup compares the serial run of runs with its parallel run of the
// most processes: ratio is serial wall time over parallel; ok is false
// unless both are there. Only runs of as many specs as the last run are
// compared: a focused run recorded in the same directory is another
// suite, not a serial half.
func Speedup(runs []Run) (serial, parallel Run, ratio float64, ok bool) {
	if len(runs) == 0 {
		return serial, parallel, 0, false
	}
	specs := runs[len(runs)-1].Specs
	var haveSerial, haveParallel bool
	for _, r := range runs {
		switch {
		case r.Specs != specs:
		case r.Procs == 1:
			serial, haveSerial = r, true
		case !haveParallel || r.Procs > parallel.Procs:
			parallel, haveParallel = r, true
		}
	}
	if !haveSerial || !haveParallel || parallel.WallTime <= 0 {
		return serial, parallel, 0, false
	}
	return serial, parallel, float64(serial.WallTime) / float64(parallel.WallTime), true
}
