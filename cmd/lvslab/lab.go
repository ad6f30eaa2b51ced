package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lvslab/lvslab/topo"
)

// labFlag adds --lab to a command that acts on one lab.
func labFlag(cmd *cobra.Command, name *string) {
	cmd.Flags().StringVarP(name, "lab", "l", os.Getenv("LVSLAB_LAB"),
		"lab to act on (default: $LVSLAB_LAB, or the only lab that is up)")
}

// pickLab resolves the lab a command acts on: the one named, or the only
// one that is up.
func pickLab(name string) (string, error) {
	if name != "" {
		return name, nil
	}
	labs, err := topo.List()
	if err != nil {
		return "", err
	}
	switch len(labs) {
	case 0:
		return "", errors.New("no lab is up (lvslab up FILE)")
	case 1:
		return labs[0], nil
	default:
		return "", fmt.Errorf("several labs are up (%s): name one", strings.Join(labs, ", "))
	}
}

// openHost opens the chosen lab (openLab) and its node.
func openHost(labName, node string) (*topo.Lab, *topo.Host, error) {
	lab, err := openLab(labName)
	if err != nil {
		return nil, nil, err
	}
	h, err := lab.Host(node)
	if err != nil {
		return nil, nil, err
	}
	return lab, h, nil
}

func openLab(name string) (*topo.Lab, error) {
	name, err := pickLab(name)
	if err != nil {
		return nil, err
	}
	return topo.Open(name)
}
