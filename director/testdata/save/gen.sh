#!/bin/sh
# Regenerates the goldens of real ipvsadm-save output in this directory,
# inside the guest kernel (the host has no IPVS), in a scratch network
# namespace:
#   bin/lvslab vm --auto -- sh director/testdata/save/gen.sh
# Each table is programmed with ipvsadm and saved with `ipvsadm -Sn`
# (FILE.save) and `ipvsadm-save` without -n (FILE.names.save).
set -ex
cd "$(dirname "$0")"
ip netns add lvslab-savegen
trap 'ip netns del lvslab-savegen' EXIT
x() { ip netns exec lvslab-savegen "$@"; }
x ipvsadm --version > ipvsadm.version 2>&1 || true
# IPVS takes only real servers it has a unicast route to: give the
# namespace a default route (IPv4 and IPv6) over a veth pair.
x ip link set lo up
x ip link add v0 type veth peer name v1
x ip link set v1 up
x ip link set v0 up
x ip route add default dev v0
x ip -6 route add default dev v0

# seed 004 / seed 000: DR with rr, persistence, a quiesced server.
x ipvsadm -C
x ipvsadm -A -t 192.168.10.30:80 -s rr
x ipvsadm -a -t 192.168.10.30:80 -r 192.168.10.33:80 -g -w 1
x ipvsadm -a -t 192.168.10.30:80 -r 192.168.10.34 -g -w 1
x ipvsadm -A -t 192.168.1.150:80 -s rr -p 5
x ipvsadm -a -t 192.168.1.150:80 -r 192.168.1.171:80 -g
x ipvsadm -a -t 192.168.1.150:80 -r 192.168.1.172:80 -g -w 0
x ipvsadm -Sn > dr.save

# Every flag ipvsadm writes: NAT, TUN, UDP with one-packet scheduling,
# SCTP, firewall mark, persistence with the default timeout and a
# netmask, thresholds, scheduler flags, port 0, weights.
x ipvsadm -C
x ipvsadm -A -t 192.168.10.100:80 -s wrr -p -M 255.255.255.0
x ipvsadm -a -t 192.168.10.100:80 -r 192.168.188.82:8080 -m -w 3 -x 100 -y 10
x ipvsadm -a -t 192.168.10.100:80 -r 192.168.188.83:8080 -m -w 2
x ipvsadm -A -u 10.0.0.53:53 -s sh -o -b sh-port,sh-fallback
x ipvsadm -a -u 10.0.0.53:53 -r 10.0.1.1:53 -i -w 1
x ipvsadm -a -u 10.0.0.53:53 -r 10.0.1.2:5353 -i -w 1
x ipvsadm -A --sctp-service 10.0.0.7:3868 -s lc
x ipvsadm -a --sctp-service 10.0.0.7:3868 -r 10.0.1.7:3868 -g
x ipvsadm -A -f 3 -s rr -p 120
x ipvsadm -a -f 3 -r 172.16.0.7:0 -g -w 1
x ipvsadm -a -f 3 -r 172.16.0.8:0 -g -w 2
x ipvsadm -A -t 172.16.0.99:0 -s sed -p 600
x ipvsadm -a -t 172.16.0.99:0 -r 172.16.0.7:0 -g
x ipvsadm -A -t [2001:db8::1]:80 -s rr
x ipvsadm -a -t [2001:db8::1]:80 -r [2001:db8::11]:80 -m
x ipvsadm -Sn > flags.save
x ipvsadm-save > flags.names.save
