// Package scenarios holds the conformance specs: ginkgo suites that stand
// up the source documents' labs on a kernel with IPVS and check that the
// cluster behaves as the documents say. Each spec builds its own lab under
// a unique name and tears it down with DeferCleanup, so specs can run in
// parallel processes and a failed spec leaves nothing behind.
//
// The suite needs kernel IPVS. Run it with `make scenarios`, which runs it
// natively where the host has IPVS and inside the guest kernel
// (`lvslab vm`) where it does not. Started any other way on a kernel
// without IPVS it fails in CI and skips, saying why, elsewhere.
package scenarios
