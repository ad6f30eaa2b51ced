package labup

import "golang.org/x/sys/unix"

// noHugePages turns transparent huge pages off for the calling process
// and, as prctl(2) keeps the setting across fork and execve, for every
// process it starts from now on: the backends' hub. Under a kernel whose huge
// pages are "always" (the TCG guest's), each backend's Go runtime had
// 10 MiB of them before its first line ran (AnonHugePages, in the
// runtime's own data), where the host's "madvise" leaves about 2.4 MiB
// of anonymous memory; Go's GODEBUG=disablethp cannot be built into the
// binary, and a backend that disabled them itself would be too late.
// Only memory is at stake, so a failure is ignored. Equivalent to:
// `prctl --thp-disable` before starting them (util-linux setarch has no
// such flag; systemd's MemoryTHP= does the same for a unit).
func noHugePages() {
	_ = unix.Prctl(unix.PR_SET_THP_DISABLE, 1, 0, 0, 0)
}
