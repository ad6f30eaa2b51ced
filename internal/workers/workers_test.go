package workers

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func TestEach(t *testing.T) {
	errBoom := errors.New("boom")
	tests := []struct {
		name    string
		items   int
		limit   int
		failAt  int // item that fails; -1: none
		wantErr error
		wantMax int32 // most calls at once may not exceed this
		wantAll bool  // every item ran
	}{
		{name: "all succeed within the limit", items: 20, limit: 3, failAt: -1, wantMax: 3, wantAll: true},
		{name: "default limit", items: 50, limit: 0, failAt: -1, wantMax: int32(Limit()), wantAll: true},
		{name: "no items", items: 0, limit: 2, failAt: -1, wantAll: true},
		{name: "first failure skips the rest", items: 100, limit: 2, failAt: 0, wantErr: errBoom, wantMax: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items := make([]int, tt.items)
			for i := range items {
				items[i] = i
			}
			var running, most, ran atomic.Int32
			err := Each(context.Background(), tt.limit, items, func(ctx context.Context, i int) error {
				n := running.Add(1)
				defer running.Add(-1)
				for {
					m := most.Load()
					if n <= m || most.CompareAndSwap(m, n) {
						break
					}
				}
				ran.Add(1)
				time.Sleep(2 * time.Millisecond)
				if i == tt.failAt {
					return errBoom
				}
				return nil
			})
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("Each: %v, want %v", err, tt.wantErr)
			}
			if tt.wantMax > 0 && most.Load() > tt.wantMax {
				t.Errorf("%d calls at once, want at most %d", most.Load(), tt.wantMax)
			}
			if all := ran.Load() == int32(tt.items); all != tt.wantAll {
				t.Errorf("%d of %d items ran, want all: %v", ran.Load(), tt.items, tt.wantAll)
			}
		})
	}
}

func TestEachCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var ran atomic.Int32
	err := Each(ctx, 2, []int{1, 2, 3}, func(context.Context, int) error { ran.Add(1); return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Each on an ended context: %v, want context.Canceled", err)
	}
	if ran.Load() != 0 {
		t.Errorf("%d items ran on an ended context, want 0", ran.Load())
	}
}
