package reports_test

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lvslab/lvslab/internal/testutil"
	"github.com/lvslab/lvslab/reports"
)

// chromium finds Debian's chromium: missing, the browser check skips
// (saying why) but fails in CI, where scripts/deps.sh installs it.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	testutil.Gate(t, "chromium is not installed: apt-get install chromium (scripts/deps.sh)")
	return ""
}

// headless runs chromium on url with extra flags and returns its stdout
// and stderr. Equivalent to: chromium --headless --no-sandbox … URL.
func headless(t *testing.T, bin, profile, url string, extra ...string) (stdout, stderr string) {
	t.Helper()
	return headlessEnv(t, bin, profile, url, nil, extra...)
}

// headlessEnv is headless with env added to chromium's environment.
func headlessEnv(t *testing.T, bin, profile, url string, env []string, extra ...string) (stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args := append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + profile, "--enable-logging=stderr", "--v=0",
	}, extra...)
	cmd := exec.CommandContext(ctx, bin, append(args, url)...)
	if len(env) > 0 {
		cmd.Env = append(os.Environ(), env...)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %s: %v\n%s", strings.Join(extra, " "), err, errb.String())
	}
	return out.String(), errb.String()
}

var (
	svgElement  = regexp.MustCompile(`(?s)<svg[^>]*class="([a-z]+)"[^>]*>(.*?)</svg>`)
	summaryRows = regexp.MustCompile(`(?s)<table class="summary" id="summary">(.*?)</table>`)
	// consoleError is what chromium logs for a page's console errors and
	// failed loads (a fetch the report must not make).
	consoleError = regexp.MustCompile(`Uncaught|:CONSOLE|Failed to load resource|net::ERR_`)
)

// TestBrowser opens the report of testdata/results.json in headless
// chromium: the DOM has the summary table and non-empty SVG diagrams,
// the console is clean, every character is drawn with a font (no .notdef
// boxes: the documents' section names are Chinese), and the screenshot
// is not blank. Set
// REPORTS_SCREENSHOT=FILE to keep the screenshot.
func TestBrowser(t *testing.T) {
	bin := chromium(t)
	res, err := reports.Read("testdata/results.json")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "index.html")
	if err := reports.Render(res, page); err != nil {
		t.Fatal(err)
	}
	url := "file://" + page

	dom, logs := headless(t, bin, filepath.Join(dir, "profile-dom"), url, "--dump-dom")
	t.Run("summary", func(t *testing.T) {
		m := summaryRows.FindStringSubmatch(dom)
		if m == nil {
			t.Fatalf("no summary table in the DOM:\n%.2000s", dom)
		}
		if got, want := strings.Count(m[1], "<tr>")-1, len(res.Specs); got != want {
			t.Errorf("summary rows = %d, want %d", got, want)
		}
		for _, s := range res.Specs {
			if !strings.Contains(m[1], ">"+s.Verdict+"<") {
				t.Errorf("summary lacks verdict %q", s.Verdict)
			}
		}
	})
	t.Run("diagrams", func(t *testing.T) {
		drawn := map[string]int{}
		for _, m := range svgElement.FindAllStringSubmatch(dom, -1) {
			if strings.Contains(m[2], "<rect") || strings.Contains(m[2], "<line") {
				drawn[m[1]]++
			}
		}
		for _, class := range []string{"topology", "tally", "masters"} {
			if drawn[class] == 0 {
				t.Errorf("no non-empty <svg class=%q> in the DOM (drawn: %v)", class, drawn)
			}
		}
	})
	t.Run("console", func(t *testing.T) {
		for _, line := range strings.Split(logs, "\n") {
			if consoleError.MatchString(line) {
				t.Errorf("console: %s", line)
			}
		}
	})
	t.Run("console negative control", func(t *testing.T) {
		bad := filepath.Join(dir, "bad.html")
		if err := os.WriteFile(bad, []byte(`<html><body><script>noSuchFunction()</script></body></html>`), 0o644); err != nil {
			t.Fatal(err)
		}
		_, logs := headless(t, bin, filepath.Join(dir, "profile-bad"), "file://"+bad, "--dump-dom")
		if !consoleError.MatchString(logs) {
			t.Errorf("a page with an uncaught error logged nothing the check catches:\n%s", logs)
		}
	})
	t.Run("glyphs", func(t *testing.T) {
		if f := fontsFor(t, notdef); len(f) > 0 {
			t.Fatalf("the probe's reference U+%X must have no font, but %v map it", notdef, f)
		}
		g := probeGlyphs(t, bin, dir, page)
		if g.Checked == 0 {
			t.Fatal("the glyph probe checked no character: the report has no non-ASCII text?")
		}
		var unfonted []string
		for _, m := range g.Missing {
			ch := []rune(m.Char)[0]
			if len(fontsFor(t, ch)) == 0 {
				if !slices.Contains(unfonted, m.Char) {
					unfonted = append(unfonted, m.Char)
				}
				continue
			}
			t.Errorf("%q (U+%04X) drawn as a .notdef box in font %q, though fontconfig has a font for it", m.Char, ch, m.Font)
		}
		if len(unfonted) > 0 {
			testutil.Gate(t, fmt.Sprintf("no font has %q: the report shows boxes (scripts/deps.sh installs fonts-wqy-microhei)", unfonted))
		}
	})
	t.Run("glyphs negative control", func(t *testing.T) {
		// The same probe with every font that has 一 hidden from
		// chromium must report 一 missing.
		const ch = '一'
		conf := hideFonts(t, dir, []rune{ch})
		g := probeGlyphs(t, bin, dir, page, "FONTCONFIG_FILE="+conf)
		got := g.missingChars()
		t.Logf("with the fonts for %q hidden: %d characters checked, missing %q", ch, g.Checked, got)
		if !slices.Contains(got, string(ch)) {
			t.Errorf("with the fonts for %q hidden (%s), the probe reported missing %q, want it among them", ch, conf, got)
		}
	})
	t.Run("screenshot", func(t *testing.T) {
		shot := filepath.Join(dir, "report.png")
		headless(t, bin, filepath.Join(dir, "profile-shot"), url, "--screenshot="+shot, "--window-size=1280,2000", "--hide-scrollbars")
		f, err := os.Open(shot)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		img, err := png.Decode(f)
		if err != nil {
			t.Fatalf("decode screenshot: %v", err)
		}
		if b := img.Bounds(); b.Dx() != 1280 || b.Dy() != 2000 {
			t.Errorf("screenshot is %v, want 1280×2000", b)
		}
		inked := 0
		b := img.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y += 4 {
			for x := b.Min.X; x < b.Max.X; x += 4 {
				r, g, bl, _ := img.At(x, y).RGBA()
				if r < 0xc000 || g < 0xc000 || bl < 0xc000 {
					inked++
				}
			}
		}
		if inked < 2000 {
			t.Errorf("screenshot is nearly blank: %d dark samples", inked)
		}
		if keep := os.Getenv("REPORTS_SCREENSHOT"); keep != "" {
			data, err := os.ReadFile(shot)
			if err == nil {
				err = os.WriteFile(keep, data, 0o644)
			}
			if err != nil {
				t.Errorf("keep screenshot: %v", err)
			}
		}
	})
}
