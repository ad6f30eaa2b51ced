package topo

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"strconv"

	"gopkg.in/yaml.v3"
)

// Load reads, parses and validates the lab file at path. Problems in the
// file come back as a *ValidationError whose lines read FILE:LINE: …
func Load(path string) (*Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load lab: %w", err)
	}
	return Parse(path, data)
}

// Parse reads a lab file's YAML: strictly (an unknown key is an error),
// recording the line of every object and field, then applies the defaults
// (see SetDefaults) and validates the result. file names the data in
// problems. Every fault — bad YAML, a bad value, an invalid topology — is
// reported in one *ValidationError; the Spec is returned with it so callers
// may inspect what did parse.
func Parse(file string, data []byte) (*Spec, error) {
	s := &Spec{File: file, Source: data, lines: map[string]int{}}
	ps := newProblems(s)

	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	err := dec.Decode(&root)
	switch {
	case errors.Is(err, io.EOF):
		ps.addAt(1, "", "the file is empty")
		return s, ps.err()
	case err != nil:
		line, msg := yamlErrorLine(err)
		ps.addAt(line, "", "YAML: %s", msg)
		return s, ps.err()
	}
	var next yaml.Node
	if err := dec.Decode(&next); err == nil {
		ps.addAt(next.Line, "", "a lab file holds one YAML document; found another")
	} else if !errors.Is(err, io.EOF) {
		line, msg := yamlErrorLine(err)
		ps.addAt(line, "", "YAML: %s", msg)
		return s, ps.err()
	}

	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	d := &decoder{s: s, ps: ps}
	if doc.Kind == yaml.ScalarNode && doc.Tag == "!!null" {
		ps.addAt(doc.Line, "", "the file is empty")
		return s, ps.err()
	}
	if doc.Kind != yaml.MappingNode {
		ps.addAt(doc.Line, "", "a lab file is a mapping (name:, segments:, nodes: …), got %s", kindName(doc))
		return s, ps.err()
	}
	s.lines[""] = doc.Line
	d.object(doc, reflect.ValueOf(s).Elem(), "")

	s.SetDefaults()
	s.validate(ps)
	return s, ps.err()
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlErrorLine takes the line out of a yaml.v3 syntax error. yaml.v3 leaves
// it out for faults on the first line.
func yamlErrorLine(err error) (int, string) {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		if l, err := strconv.Atoi(m[1]); err == nil {
			return l, m[2]
		}
	}
	if len(msg) > 6 && msg[:6] == "yaml: " {
		msg = msg[6:]
	}
	return 1, msg
}
