package reports

import (
	_ "embed"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

//go:embed report.html.tmpl
var reportTemplate string

var tmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"topology": TopologySVG,
	"tallySVG": TallySVG,
	"masters":  MastersSVG,
	"anchor":   Anchor,
	"join":     strings.Join,
}).Parse(reportTemplate))

var nonWord = regexp.MustCompile(`[^a-z0-9]+`)

// Anchor is a spec name as an HTML id and a directory name: lower-case
// words joined by "-", at most 80 characters.
func Anchor(name string) string {
	a := strings.Trim(nonWord.ReplaceAllString(strings.ToLower(name), "-"), "-")
	if len(a) > 80 {
		a = strings.TrimRight(a[:80], "-")
	}
	return a
}

// Render writes the HTML report of r to file: one self-contained page
// (inline CSS and SVG, no scripts, no fetches).
func Render(r *Results, file string) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return fmt.Errorf("render report: %w", err)
	}
	f, err := os.Create(file)
	if err != nil {
		return fmt.Errorf("render report: %w", err)
	}
	if err := tmpl.Execute(f, r); err != nil {
		f.Close()
		return fmt.Errorf("render report: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("render report: %w", err)
	}
	return nil
}
