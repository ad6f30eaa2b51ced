package conf

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Options changes how a file is read.
type Options struct {
	// ConfigID is keepalived's -i: the conditional lines `@ID …` apply,
	// `@^ID …` do not. keepalived's default is the host name's first
	// part; here the default is none, so every `@ID` line is skipped and
	// every `@^ID` line kept, each with a note.
	ConfigID string
	// ReadFile and Glob read included files; the defaults are os.ReadFile
	// and filepath.Glob. Tests and fuzzing replace them.
	ReadFile func(string) ([]byte, error)
	Glob     func(string) ([]string, error)
}

// maxIncludeDepth bounds include nesting (and include loops).
const maxIncludeDepth = 8

// maxExpansions bounds parameter substitution per line (and definition
// loops such as $A=$A).
const maxExpansions = 32

// maxExpanded bounds a line's length after substitution ($A=$A $A
// doubles at each round), and maxSubstituted the text substitution may
// produce in all (a file's worth of such lines).
const (
	maxExpanded    = 64 << 10
	maxSubstituted = 1 << 20
)

// srcLine is one logical line after conditionals, definitions,
// substitution and includes: its words and where it came from.
type srcLine struct {
	pos  Pos
	toks []token
	cond string // the @ID condition it was read under, if any
}

// reader turns files into srcLines.
type reader struct {
	opt   Options
	defs  map[string]string
	lines []srcLine
	files []string
	d     *diags
	// substituted counts the bytes substitution produced; past
	// maxSubstituted it stops.
	substituted int
}

var (
	defRE   = regexp.MustCompile(`^\$([A-Za-z_][A-Za-z0-9_]*)=(.*)$`)
	braceRE = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)
	bareRE  = regexp.MustCompile(`\$([A-Za-z_][A-Za-z0-9_]*)(\s|$)`)
)

// readFile reads the file name, whose text is data, at include depth.
func (r *reader) readFile(name string, data []byte, depth int) {
	r.files = append(r.files, name)
	raw := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	for i := 0; i < len(raw); i++ {
		pos := Pos{File: name, Line: i + 1}
		text, cond, ok := r.condition(pos, raw[i])
		if !ok {
			continue
		}
		text = strings.TrimSpace(decomment(text))
		if m := defRE.FindStringSubmatch(text); m != nil {
			value := strings.TrimSpace(m[2])
			// A multi-line definition: each line but the last ends in `\`.
			for strings.HasSuffix(value, `\`) && i+1 < len(raw) {
				i++
				next := strings.TrimSpace(decomment(raw[i]))
				value = strings.TrimSpace(strings.TrimSuffix(value, `\`)) + "\n" + next
			}
			value = strings.TrimSpace(strings.TrimSuffix(value, `\`))
			r.defs[m[1]] = value
			continue
		}
		r.defs["_PWD"] = filepath.Dir(name)
		for _, l := range strings.Split(r.substitute(pos, text), "\n") {
			l, lcond, ok := r.condition(pos, l)
			if !ok {
				continue
			}
			if lcond != "" {
				cond = lcond
			}
			r.line(pos, strings.TrimSpace(l), cond, depth)
		}
	}
}

// line handles one substituted line: an include, or words for the tree.
func (r *reader) line(pos Pos, text, cond string, depth int) {
	if text == "" {
		return
	}
	if strings.HasPrefix(text, "~SEQ") {
		r.d.add(pos, Unsupported, "sequence block %s is not expanded by lvslab; the line is skipped", strings.Fields(text)[0])
		return
	}
	if strings.Contains(text, "\u00a0") {
		// Pasted from a web page. keepalived reads the NBSP as part of a
		// word; read it as the space it stands for, once reported.
		r.d.add(pos, Error, "non-breaking space (U+00A0) in %q: keepalived does not take it for white space and misreads the line; replace it with a plain space",
			strings.TrimSpace(strings.ReplaceAll(text, "\u00a0", " ")))
		text = strings.TrimSpace(strings.ReplaceAll(text, "\u00a0", " "))
	}
	toks, open := tokenize(text)
	if open {
		r.d.add(pos, Error, "unterminated double quote")
	}
	if len(toks) == 0 {
		return
	}
	if toks[0].s == "include" && !toks[0].quoted {
		r.include(pos, toks[1:], depth)
		return
	}
	r.lines = append(r.lines, srcLine{pos: pos, toks: toks, cond: cond})
}

// include reads the files `include GLOB` names, in name order, relative
// to the including file's directory.
func (r *reader) include(pos Pos, args []token, depth int) {
	if len(args) != 1 {
		r.d.add(pos, Error, "include takes one file name or pattern, not %d", len(args))
		return
	}
	pattern := args[0].s
	if !filepath.IsAbs(pattern) && pos.File != "" {
		pattern = filepath.Join(filepath.Dir(pos.File), pattern)
	}
	if depth >= maxIncludeDepth {
		r.d.add(pos, Error, "include %s: nested more than %d deep (an include loop?)", pattern, maxIncludeDepth)
		return
	}
	glob, read := r.opt.Glob, r.opt.ReadFile
	if glob == nil {
		glob = filepath.Glob
	}
	if read == nil {
		read = os.ReadFile
	}
	names, err := glob(pattern)
	if err != nil {
		r.d.add(pos, Error, "include %s: %v", pattern, err)
		return
	}
	if len(names) == 0 {
		r.d.addKey(pos, Warning, KeyIncludeMissing, "include %s: no such file; keepalived goes on without it", pattern)
		return
	}
	for _, n := range names {
		data, err := read(n)
		if err != nil {
			r.d.add(pos, Error, "include %s: %v", n, err)
			continue
		}
		r.readFile(n, data, depth+1)
	}
}

// condition applies a leading `@ID` or `@^ID`: it returns the rest of
// the line, the condition, and whether the line applies under
// Options.ConfigID. Each conditional line gets a note.
func (r *reader) condition(pos Pos, text string) (string, string, bool) {
	t := strings.TrimLeft(text, " \t")
	if !strings.HasPrefix(t, "@") {
		return text, "", true
	}
	word, rest, _ := strings.Cut(t[1:], " ")
	if i := strings.IndexByte(word, '\t'); i >= 0 {
		word, rest = word[:i], word[i+1:]+" "+rest
	}
	neg := strings.HasPrefix(word, "^")
	id := strings.TrimPrefix(word, "^")
	applies := (id == r.opt.ConfigID) != neg
	if strings.TrimSpace(decomment(rest)) == "" {
		return "", "@" + word, false
	}
	who := fmt.Sprintf("keepalived -i %s", id)
	switch {
	case applies && neg:
		r.d.add(pos, Note, "conditional line @%s: read, as the config id is not %s", word, id)
	case applies:
		r.d.add(pos, Note, "conditional line @%s: read, as the config id is %s", word, id)
	case neg:
		r.d.add(pos, Note, "conditional line @%s: skipped (%s skips it; any other id reads it)", word, who)
	default:
		r.d.add(pos, Note, "conditional line @%s: skipped (only %s reads it)", word, who)
	}
	return rest, "@" + word, applies
}

// substitute replaces ${NAME}, and $NAME followed by white space, with
// the parameter's value, again and again until nothing changes; an
// undefined parameter stays as written.
func (r *reader) substitute(pos Pos, text string) string {
	if !strings.Contains(text, "$") || r.substituted > maxSubstituted {
		return text
	}
	for range maxExpansions {
		next := braceRE.ReplaceAllStringFunc(text, func(m string) string {
			if v, ok := r.value(m[2 : len(m)-1]); ok {
				return v
			}
			return m
		})
		next = bareRE.ReplaceAllStringFunc(next, func(m string) string {
			name := strings.TrimRight(m[1:], " \t\n")
			if v, ok := r.value(name); ok {
				return v + m[1+len(name):]
			}
			return m
		})
		if next == text {
			return text
		}
		r.substituted += len(next)
		if r.substituted > maxSubstituted {
			r.d.add(pos, Error, "parameter substitution produces more than %d bytes; substitution stops here", maxSubstituted)
			return text
		}
		if len(next) > maxExpanded {
			r.d.add(pos, Error, "parameter substitution makes the line longer than %d bytes (a definition that refers to itself?)", maxExpanded)
			return text
		}
		text = next
	}
	r.d.add(pos, Error, "parameter substitution does not end after %d rounds (a definition that refers to itself?)", maxExpansions)
	return text
}

func (r *reader) value(name string) (string, bool) {
	switch name {
	case "_HASH":
		return "#", true
	case "_BANG":
		return "!", true
	case "_INSTANCE":
		return r.opt.ConfigID, true
	}
	v, ok := r.defs[name]
	return v, ok
}
