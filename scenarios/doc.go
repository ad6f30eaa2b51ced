// Package scenarios holds the conformance specs: ginkgo suites that stand
// up the source documents' labs on a kernel with IPVS and check that the
// cluster behaves as the documents say. Each spec builds its own lab under
// a unique name and tears it down with DeferCleanup, so specs can run in
// parallel processes and a failed spec leaves nothing behind.
//
// # Oracles
//
// Every kind of check is held against a tool lvslab did not write, run
// in the same lab: Debian's ipvsadm for the IPVS table (expectAgrees,
// after every spec that ran IPVS) and for director's format goldens;
// curl in the client for the HTTP paths (expectCurlAgrees, on the rr
// specs of the NAT and DR labs, the seed 004 failover and seed 000);
// tshark for the VRRP adverts and gratuitous ARPs (expectTsharkAgrees,
// on the seed 004 graceful failover); Debian's nginx as seed 000's real
// servers. Each has a negative control that must fail.
//
// The suite needs kernel IPVS. Run it with `make scenarios`, which runs it
// natively where the host has IPVS and inside the guest kernel
// (`lvslab vm`) where it does not. Started any other way on a kernel
// without IPVS it fails in CI and skips, saying why, elsewhere.
package scenarios
