package sched

import (
	"encoding/binary"
	"math/bits"
	"net/netip"
)

// tabSize is IP_VS_SH_TAB_SIZE and IP_VS_DH_TAB_SIZE: 1 << 8 buckets.
const tabBits = 8

// hash32 is the kernel's hash_32(val, bits): multiply by GOLDEN_RATIO_32,
// keep the top bits.
func hash32(v uint32, n int) uint32 { return (v * 0x61C88647) >> (32 - n) }

// addrKey is ntohl(addr) of an IPv4 address.
func addrKey(a netip.Addr) uint32 {
	b := a.As4()
	return binary.BigEndian.Uint32(b[:])
}

// sh is ip_vs_sh: ip_vs_sh_reassign fills 256 buckets walking the list,
// each server taking weight consecutive buckets (one when its weight is
// 0); ip_vs_sh_get reads bucket hash_32(ntohl(saddr), 8) and refuses when
// that server is unavailable (no sh-fallback).
type sh struct{ buckets [1 << tabBits]*Dest }

func newSH(list []*Dest) *sh {
	s := &sh{}
	if len(list) == 0 {
		return s
	}
	p, count := 0, 0
	for i := range s.buckets {
		s.buckets[i] = list[p]
		if count++; count >= list[p].Weight {
			p, count = (p+1)%len(list), 0
		}
	}
	return s
}

func (s *sh) Schedule(c Conn) *Dest {
	d := s.buckets[hash32(addrKey(c.Client), tabBits)]
	if d == nil || !d.available() {
		return nil
	}
	return d
}

// dh is ip_vs_dh: ip_vs_dh_reassign gives bucket i the list's (i mod n)-th
// server, whatever the weights; ip_vs_dh_get reads bucket
// hash_32(ntohl(daddr), 8) and refuses when that server is unavailable.
type dh struct{ list []*Dest }

func newDH(list []*Dest) *dh { return &dh{list: list} }

func (s *dh) Schedule(c Conn) *Dest {
	if len(s.list) == 0 {
		return nil
	}
	d := s.list[int(hash32(addrKey(c.VIP), tabBits))%len(s.list)]
	if !d.available() {
		return nil
	}
	return d
}

// mhTabSize is IP_VS_MH_TAB_SIZE: primes[CONFIG_IP_VS_MH_TAB_INDEX - 8]
// with the default index 12.
const mhTabSize = 4093

// mhTabBits is IP_VS_MH_TAB_BITS, CONFIG_IP_VS_MH_TAB_INDEX / 2.
const mhTabBits = 6

// The keys generate_hash_secret gives every mh service.
var (
	mhHash1 = hsipKey{2654435761, 2654435761}
	mhHash2 = hsipKey{2654446892, 2654446892}
)

// mh is ip_vs_mh (Maglev hashing): each server gets an offset and a skip
// from its address and port (ip_vs_mh_permutate), the servers take turns
// claiming their next preferred free entry of the lookup table, weight /
// gcd entries a turn (ip_vs_mh_populate), and a client's entry is
// hsiphash(saddr) mod the table size (ip_vs_mh_get; the port counts only
// with mh-port, not modelled).
type mh struct{ lookup [mhTabSize]*Dest }

// mhHashKey is ip_vs_mh_hashkey for IPv4: hsiphash of the u32
// offset + port + ntohl(addr).
func mhHashKey(addr netip.Addr, port uint16, key hsipKey, offset uint32) uint32 {
	return hsiphash32(offset+uint32(port)+addrKey(addr), key)
}

func newMH(list []*Dest) *mh {
	s := &mh{}
	g := 0
	mw := 0
	for _, d := range list {
		if d.Weight > 0 {
			g = gcd(g, d.Weight)
		}
		mw = max(mw, d.Weight)
	}
	if g < 1 {
		return s // ip_vs_mh_populate: no server with a weight, an empty table
	}
	// ip_vs_mh_shift_weight
	rshift := max(bits.Len(uint(mw/g))-mhTabBits, 0)
	type setup struct{ offset, skip, perm, turns int }
	ds := make([]setup, len(list))
	for i, d := range list {
		off := int(mhHashKey(d.RIP, d.Port, mhHash1, 0) % mhTabSize)
		skip := int(mhHashKey(d.RIP, d.Port, mhHash2, 0)%(mhTabSize-1)) + 1
		turns := (d.Weight / g) >> rshift
		if turns == 0 && d.Weight != 0 {
			turns = 1
		}
		ds[i] = setup{offset: off, skip: skip, perm: off, turns: turns}
	}
	var taken [mhTabSize]bool
	n, dt := 0, 0
	for n < mhTabSize {
		for p := 0; p < len(list); {
			if ds[p].turns < 1 {
				p++
				continue
			}
			c := ds[p].perm
			for taken[c] {
				if ds[p].perm += ds[p].skip; ds[p].perm >= mhTabSize {
					ds[p].perm -= mhTabSize
				}
				c = ds[p].perm
			}
			taken[c] = true
			s.lookup[c] = list[p]
			if n++; n == mhTabSize {
				return s
			}
			if dt++; dt >= ds[p].turns {
				dt = 0
				p++
			}
		}
	}
	return s
}

func (s *mh) Schedule(c Conn) *Dest {
	d := s.lookup[mhHashKey(c.Client, 0, mhHash1, 0)%mhTabSize]
	if d == nil || !d.available() {
		return nil
	}
	return d
}

// hsipKey is hsiphash_key_t on a 64-bit kernel: two unsigned longs.
type hsipKey [2]uint64

// hsiphash32 is the kernel's hsiphash of one u32 on a 64-bit machine,
// where it is SipHash-1-3 cut to 32 bits (lib/siphash.c: hsiphash_1u32,
// HPREAMBLE, HPOSTAMBLE).
func hsiphash32(v uint32, key hsipKey) uint32 {
	v0 := uint64(0x736f6d6570736575) ^ key[0]
	v1 := uint64(0x646f72616e646f6d) ^ key[1]
	v2 := uint64(0x6c7967656e657261) ^ key[0]
	v3 := uint64(0x7465646279746573) ^ key[1]
	b := uint64(4)<<56 | uint64(v)
	round := func() { // SIPHASH_PERMUTATION
		v0 += v1
		v1 = bits.RotateLeft64(v1, 13)
		v1 ^= v0
		v0 = bits.RotateLeft64(v0, 32)
		v2 += v3
		v3 = bits.RotateLeft64(v3, 16)
		v3 ^= v2
		v0 += v3
		v3 = bits.RotateLeft64(v3, 21)
		v3 ^= v0
		v2 += v1
		v1 = bits.RotateLeft64(v1, 17)
		v1 ^= v2
		v2 = bits.RotateLeft64(v2, 32)
	}
	v3 ^= b
	round()
	v0 ^= b
	v2 ^= 0xff
	round()
	round()
	round()
	return uint32((v0 ^ v1) ^ (v2 ^ v3))
}
