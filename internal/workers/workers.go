// Package workers runs independent pieces of work concurrently, a bounded
// number at a time, so that a lab of hundreds of nodes is set up in
// parallel without starting hundreds of threads (or processes) at once on
// a two-core machine.
//
// The first failure stops the work: what has not started yet is skipped,
// what runs is waited for, and every failure is returned joined. The
// caller then tears down what was built, as it would after a serial loop.
package workers

import (
	"context"
	"errors"
	"runtime"
	"sync"
)

// Limit is the default number of workers: twice GOMAXPROCS, so that work
// that mostly waits (on the kernel, on a process to listen) overlaps
// without thrashing the CPUs.
func Limit() int { return 2 * runtime.GOMAXPROCS(0) }

// Each calls fn on every item, at most limit at a time (limit < 1 means
// Limit()), and returns once every call has returned. After the first
// error, or once ctx ends, items not yet started are skipped; the
// returned error joins every fn error (and ctx's, if it ended first).
// fn receives a context cancelled at the first error.
func Each[T any](ctx context.Context, limit int, items []T, fn func(context.Context, T) error) error {
	if limit < 1 {
		limit = Limit()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	sem := make(chan struct{}, limit)
	skipped := false
	for _, item := range items {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			skipped = true
			break
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := fn(ctx, item); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
				cancel()
			}
		}()
	}
	wg.Wait()
	if len(errs) == 0 && skipped {
		return ctx.Err() // the caller's ctx ended before every item ran
	}
	return errors.Join(errs...)
}
