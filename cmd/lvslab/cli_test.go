package main

import (
	"bytes"
	"errors"
)

// runCLI runs lvslab with args as the shell would and returns its exit
// status (an exitError's code, 1 for any other error, whose text then
// ends stderr), its standard output and its standard error.
func runCLI(args ...string) (code int, stdout, stderr string) {
	cmd := newRootCmd()
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	err := cmd.Execute()
	var exit *exitError
	switch {
	case errors.As(err, &exit):
		code = exit.code
	case err != nil:
		code = 1
		errOut.WriteString(err.Error())
	}
	return code, out.String(), errOut.String()
}
