package sched

import (
	"net/netip"
	"testing"
)

func TestHash32(t *testing.T) {
	// hash_32(val, 8) = (val * 0x61C88647) >> 24
	for _, tt := range []struct{ in, want uint32 }{{0, 0}, {1, 0x61}, {2, 0xc3}, {0xc0a80a06, 0x7e}} {
		if got := hash32(tt.in, 8); got != tt.want {
			t.Errorf("hash32(%#x, 8) = %#x, want %#x", tt.in, got, tt.want)
		}
	}
}

// TestHsiphash checks our hsiphash against the kernel's own test vector
// (lib/siphash_kunit.c, 64-bit: test_key_hsiphash, input bytes 0..3).
func TestHsiphash(t *testing.T) {
	key := hsipKey{0x0706050403020100, 0x0f0e0d0c0b0a0908}
	if got, want := hsiphash32(0x03020100, key), uint32(0x88d38328); got != want {
		t.Errorf("hsiphash(00 01 02 03) = %#x, want %#x (test_vectors_hsiphash[4])", got, want)
	}
}

func TestSHBuckets(t *testing.T) {
	// ip_vs_sh_reassign: weight consecutive buckets each, round the list.
	list := dests("a", 2, "b", 1)
	s := newSH(list)
	want := []string{"a", "a", "b", "a", "a", "b"}
	for i, w := range want {
		if got := s.buckets[i].Node; got != w {
			t.Errorf("bucket %d = %s, want %s", i, got, w)
		}
	}
	// The same client always lands on the same server.
	c := Conn{Client: netip.MustParseAddr("192.168.10.11")}
	first := s.Schedule(c)
	for range 5 {
		if got := s.Schedule(c); got != first {
			t.Fatalf("sh moved %s from %s to %s", c.Client, first.Node, got.Node)
		}
	}
	if want := s.buckets[hash32(addrKey(c.Client), 8)]; first != want {
		t.Errorf("sh chose %s, bucket hash_32(saddr) holds %s", first.Node, want.Node)
	}
}

func TestDHIgnoresWeights(t *testing.T) {
	c := Conn{VIP: netip.MustParseAddr("192.168.188.100")}
	i := int(hash32(addrKey(c.VIP), 8)) % 2
	for _, list := range [][]*Dest{dests("a", 1, "b", 1), dests("a", 1, "b", 9)} {
		if got := newDH(list).Schedule(c); got != list[i] {
			t.Errorf("dh chose %s, want bucket %d's %s", got.Node, i, list[i].Node)
		}
	}
	list := dests("a", 1, "b", 1)
	list[i].Weight = 0
	if got := newDH(list).Schedule(c); got != nil {
		t.Errorf("dh chose %s, want a refusal: its bucket's server is quiesced", got.Node)
	}
}

func TestMHTable(t *testing.T) {
	list := dests("a", 1, "b", 1)
	s := newMH(list)
	count := map[string]int{}
	for _, d := range s.lookup {
		if d == nil {
			t.Fatal("ip_vs_mh_populate fills every entry")
		}
		count[d.Node]++
	}
	// Equal weights take turns one entry at a time: an even split of 4093.
	if count["a"]+count["b"] != mhTabSize || count["a"]-count["b"] > 1 || count["b"]-count["a"] > 1 {
		t.Errorf("mh table split %v, want an even split of %d", count, mhTabSize)
	}
	// Weight 3:1 takes three turns for one.
	w := newMH(dests("a", 3, "b", 1))
	count = map[string]int{}
	for _, d := range w.lookup {
		count[d.Node]++
	}
	if count["a"] < 3*count["b"]-3 || count["a"] > 3*count["b"]+3 {
		t.Errorf("mh 3:1 table split %v", count)
	}
	// Quiescing a server refuses its clients (no mh-fallback).
	c := Conn{Client: netip.MustParseAddr("192.168.10.11")}
	d := s.Schedule(c)
	d.Weight = 0
	if got := s.Schedule(c); got != nil {
		t.Errorf("mh chose %s for a client whose entry names a quiesced server", got.Node)
	}
}
