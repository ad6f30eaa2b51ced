package reports_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// notdef is the code point the glyph probe draws as the reference for a
// missing glyph: the last private-use code point of plane 16, which no
// font maps (glyphProbe's caller checks that with fc-list), so the
// browser draws its .notdef box ("tofu") for it.
const notdef = 0x10FFFD

// glyphProbe is appended to the report's page before </body>. For every
// distinct non-ASCII character of every text node, in its element's
// computed font (style, weight, family), it draws the character and the
// reference code point on a canvas and compares width and pixels: equal
// means the character was drawn as the .notdef box, that is no font has
// it. The verdict goes into the DOM as <pre id="glyph-probe">JSON</pre>,
// which --dump-dom prints.
const glyphProbe = `<script>
(function () {
  var ref = String.fromCodePoint(%d);
  var cv = document.createElement("canvas");
  cv.width = 64; cv.height = 64;
  var cx = cv.getContext("2d", {willReadFrequently: true});
  function draw(ch, font) {
    cx.clearRect(0, 0, 64, 64);
    cx.font = font; cx.textBaseline = "top"; cx.fillStyle = "#000";
    cx.fillText(ch, 8, 8);
    return {w: cx.measureText(ch).width, px: cx.getImageData(0, 0, 64, 64).data};
  }
  function same(a, b) {
    if (a.w !== b.w) return false;
    for (var i = 0; i < a.px.length; i++) if (a.px[i] !== b.px[i]) return false;
    return true;
  }
  var seen = {}, checked = 0, missing = [];
  var walk = document.createTreeWalker(document.documentElement, NodeFilter.SHOW_TEXT);
  for (var n = walk.nextNode(); n; n = walk.nextNode()) {
    var el = n.parentElement;
    if (!el || /^(SCRIPT|STYLE|TITLE)$/.test(el.tagName)) continue;
    var st = getComputedStyle(el);
    var font = st.fontStyle + " " + st.fontWeight + " 32px " + st.fontFamily;
    for (var ch of n.data) {
      if (ch.codePointAt(0) < 128 || /\s/.test(ch)) continue;
      var key = ch + "\n" + font;
      if (seen[key]) continue;
      seen[key] = true; checked++;
      if (same(draw(ch, font), draw(ref, font))) missing.push({char: ch, font: font});
    }
  }
  var out = document.createElement("pre");
  out.id = "glyph-probe";
  out.textContent = JSON.stringify({checked: checked, missing: missing});
  document.body.appendChild(out);
})();
</script>`

var probeResult = regexp.MustCompile(`(?s)<pre id="glyph-probe">(.*?)</pre>`)

// glyphs is what the probe saw: how many (character, font) pairs it
// drew, and those drawn as the .notdef box.
type glyphs struct {
	Checked int `json:"checked"`
	Missing []struct {
		Char string `json:"char"`
		Font string `json:"font"`
	} `json:"missing"`
}

// missingChars lists the missing characters once each, in order.
func (g glyphs) missingChars() []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range g.Missing {
		if !seen[m.Char] {
			seen[m.Char] = true
			out = append(out, m.Char)
		}
	}
	return out
}

// probeGlyphs opens page with the glyph probe appended in headless
// chromium, with env added to chromium's environment (FONTCONFIG_FILE
// for the negative control), and returns what the probe saw.
func probeGlyphs(t *testing.T, bin, dir, page string, env ...string) glyphs {
	t.Helper()
	html, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	i := strings.LastIndex(string(html), "</body>")
	if i < 0 {
		t.Fatalf("%s has no </body>", page)
	}
	probed := string(html[:i]) + fmt.Sprintf(glyphProbe, notdef) + string(html[i:])
	name := fmt.Sprintf("probe-%d", len(env))
	file := filepath.Join(dir, name+".html")
	if err := os.WriteFile(file, []byte(probed), 0o644); err != nil {
		t.Fatal(err)
	}
	dom, logs := headlessEnv(t, bin, filepath.Join(dir, "profile-"+name), "file://"+file, env, "--dump-dom")
	m := probeResult.FindStringSubmatch(dom)
	if m == nil {
		t.Fatalf("the glyph probe left no result in the DOM (console: %.2000s)", logs)
	}
	var g glyphs
	if err := json.Unmarshal([]byte(unescapeHTML(m[1])), &g); err != nil {
		t.Fatalf("glyph probe result %q: %v", m[1], err)
	}
	return g
}

func unescapeHTML(s string) string {
	return strings.NewReplacer("&quot;", `"`, "&lt;", "<", "&gt;", ">", "&#39;", "'", "&amp;", "&").Replace(s)
}

// fontsFor asks fontconfig which font files have a glyph for ch.
// Equivalent to: fc-list ':charset=HEX' file.
func fontsFor(t *testing.T, ch rune) []string {
	t.Helper()
	out, err := exec.Command("fc-list", fmt.Sprintf(":charset=%x", ch), "file").Output()
	if err != nil {
		t.Fatalf("fc-list :charset=%x: %v", ch, err)
	}
	var files []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if f := strings.TrimSuffix(strings.TrimSpace(l), ":"); f != "" {
			files = append(files, f)
		}
	}
	return files
}

// hideFonts writes a fontconfig file that loads the configuration in
// effect ($FONTCONFIG_FILE, else the system's) but rejects every font
// file with a glyph for one of chars: with FONTCONFIG_FILE pointing at
// it, those characters have no font. It returns the file's path.
func hideFonts(t *testing.T, dir string, chars []rune) string {
	t.Helper()
	base := os.Getenv("FONTCONFIG_FILE")
	if base == "" {
		base = "/etc/fonts/fonts.conf"
	}
	var rejects strings.Builder
	for _, ch := range chars {
		for _, f := range fontsFor(t, ch) {
			fmt.Fprintf(&rejects, "      <glob>%s</glob>\n", f)
		}
	}
	conf := `<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <include ignore_missing="no">` + base + `</include>
  <selectfont>
    <rejectfont>
` + rejects.String() + `    </rejectfont>
  </selectfont>
</fontconfig>
`
	file := filepath.Join(dir, "fonts-hidden.conf")
	if err := os.WriteFile(file, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}
