package director

import (
	"os"
	"strings"
	"testing"
)

// FuzzParseSave: no input makes the dump parser panic, and every service
// it returns prints back (SaveLines) without panicking.
func FuzzParseSave(f *testing.F) {
	for _, name := range []string{"dr", "flags", "flags.names"} {
		if data, err := os.ReadFile("testdata/save/" + name + ".save"); err == nil {
			f.Add(string(data))
		}
	}
	f.Add("-A -f 7 -6 -s rr -p 60 -M 64\n-a -f 7 -6 -r [2001:db8::7]:0\n")
	f.Fuzz(func(t *testing.T, in string) {
		svcs, _ := ParseSave("fuzz", strings.NewReader(in))
		for _, s := range svcs {
			_ = s.SaveLines()
		}
	})
}
