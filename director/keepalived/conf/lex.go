package conf

import "strings"

// token is one word of a line; a quoted word is never a brace.
type token struct {
	s      string
	quoted bool
}

func (t token) isOpen() bool  { return !t.quoted && t.s == "{" }
func (t token) isClose() bool { return !t.quoted && t.s == "}" }

// decomment cuts s at the first `!` or `#` outside double quotes, as
// keepalived's parser does: a comment may follow a value.
func decomment(s string) string {
	quoted := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			quoted = !quoted
		case '!', '#':
			if !quoted {
				return s[:i]
			}
		}
	}
	return s
}

// tokenize splits a decommented line into words: white space separates
// them, a double-quoted string is one word (quotes removed), and `{` and
// `}` are words of their own even when written against a value
// (`80{`). An unterminated quote runs to the end of the line; the
// second result reports it.
func tokenize(s string) ([]token, bool) {
	var out []token
	var cur strings.Builder
	inWord, quoted, wasQuoted := false, false, false
	flush := func() {
		if inWord {
			out = append(out, token{s: cur.String(), quoted: wasQuoted})
		}
		cur.Reset()
		inWord, wasQuoted = false, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quoted && c == '"':
			quoted = false
		case quoted:
			cur.WriteByte(c)
		case c == '"':
			quoted, inWord, wasQuoted = true, true, true
		case c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f':
			flush()
		case c == '{' || c == '}':
			flush()
			out = append(out, token{s: string(c)})
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	flush()
	return out, quoted
}
