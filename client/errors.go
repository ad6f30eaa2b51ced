package client

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"syscall"
)

// Failure kinds, as counted in Result.Errors.
const (
	Refused     = "refused"     // RST to the SYN, or ICMP port unreachable (UDP)
	Timeout     = "timeout"     // no answer within the request's timeout
	Reset       = "reset"       // the connection was reset after it was up
	Unreachable = "unreachable" // ICMP host or network unreachable, no route
	Closed      = "closed"      // the server closed the connection without a reply
	Status      = "status"      // an HTTP answer other than 2xx
	Other       = "other"
)

// StatusError is an HTTP answer other than 2xx.
type StatusError struct {
	Code   int
	Server string // the body's first line, if any
}

func (e *StatusError) Error() string {
	return "http status " + strconv.Itoa(e.Code) + " from " + strconv.Quote(e.Server)
}

// Classify names the kind of a request's failure ("" for nil).
func Classify(err error) string {
	var status *StatusError
	var ne net.Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &status):
		return Status
	case errors.Is(err, syscall.ECONNREFUSED):
		return Refused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ECONNABORTED):
		return Reset
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH),
		errors.Is(err, syscall.EHOSTDOWN), errors.Is(err, syscall.ENETDOWN):
		return Unreachable
	case errors.Is(err, syscall.ETIMEDOUT), errors.Is(err, os.ErrDeadlineExceeded),
		errors.Is(err, context.DeadlineExceeded):
		return Timeout
	case errors.As(err, &ne) && ne.Timeout():
		return Timeout
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return Closed
	default:
		return Other
	}
}
