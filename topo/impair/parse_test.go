package impair

import (
	"strings"
	"testing"
	"time"
)

func TestParsePercent(t *testing.T) {
	tests := []struct {
		in      string
		want    float64
		wantErr bool
	}{
		{in: "5%", want: 5}, {in: "0.5%", want: 0.5}, {in: "100", want: 100}, {in: "0%", want: 0},
		{in: "120%", wantErr: true}, {in: "-1%", wantErr: true}, {in: "five", wantErr: true}, {in: "NaN", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParsePercent(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("ParsePercent(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestParseRate(t *testing.T) {
	tests := []struct {
		in      string
		want    uint64
		wantErr bool
	}{
		{in: "10mbit", want: 10e6}, {in: "512kbit", want: 512e3}, {in: "1gbit", want: 1e9}, {in: "800bit", want: 800},
		{in: "1.5mbit", want: 1.5e6}, {in: "10", wantErr: true}, {in: "0mbit", wantErr: true}, {in: "1bit", wantErr: true},
		{in: "10MB", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseRate(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("ParseRate(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
			if err == nil && FormatRate(got) != strings.ToLower(tt.in) && tt.in != "1.5mbit" {
				t.Errorf("FormatRate(%d) = %s, want %s", got, FormatRate(got), tt.in)
			}
		})
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{in: "100ms", want: 100 * time.Millisecond}, {in: "1.5s", want: 1500 * time.Millisecond},
		{in: "250us", want: 250 * time.Microsecond}, {in: "20", want: 20 * time.Millisecond},
		{in: "-5ms", wantErr: true}, {in: "soon", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDuration(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("ParseDuration(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestNetemValidate(t *testing.T) {
	tests := []struct {
		name string
		n    Netem
		want string // "" for valid; else a substring naming the argument
	}{
		{name: "loss", n: Netem{Loss: 5}},
		{name: "delay and jitter", n: Netem{Delay: time.Second, Jitter: 10 * time.Millisecond}},
		{name: "everything", n: Netem{Loss: 1, Delay: time.Millisecond, Jitter: time.Millisecond, Duplicate: 1, Reorder: 25, Rate: 1e6}},
		{name: "loss over 100", n: Netem{Loss: 120}, want: "loss 120%"},
		{name: "negative duplicate", n: Netem{Duplicate: -1}, want: "duplicate -1%"},
		{name: "jitter alone", n: Netem{Jitter: time.Millisecond}, want: "jitter 1ms: needs a delay"},
		{name: "reorder alone", n: Netem{Reorder: 10}, want: "reorder 10%: needs a delay"},
		{name: "delay too long", n: Netem{Delay: 2 * time.Hour}, want: "delay 2h0m0s"},
		{name: "nothing", n: Netem{}, want: "no impairment given"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.n.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate(%v) = %v, want nil", tt.n, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate(%v) = %v, want an error with %q", tt.n, err, tt.want)
			}
		})
	}
}

func TestNetemString(t *testing.T) {
	n := Netem{Loss: 5, Delay: 100 * time.Millisecond, Jitter: 10 * time.Millisecond, Rate: 10e6}
	if got, want := n.String(), "delay 100ms jitter 10ms loss 5% rate 10mbit"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestParseEndpoint(t *testing.T) {
	tests := []struct {
		in      string
		want    Endpoint
		wantErr bool
	}{
		{in: "lvs01:eth0", want: Endpoint{"lvs01", "eth0"}},
		{in: "lvs01", wantErr: true}, {in: ":eth0", wantErr: true}, {in: "lvs01:", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseEndpoint(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("ParseEndpoint(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestParseGroups(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		a, b    string
		wantErr bool
	}{
		{name: "one argument", args: []string{"lvs01,web01/lvs02"}, a: "lvs01,web01", b: "lvs02"},
		{name: "spaced", args: []string{"lvs01,web01", "/", "lvs02"}, a: "lvs01,web01", b: "lvs02"},
		{name: "no slash", args: []string{"lvs01", "lvs02"}, wantErr: true},
		{name: "empty side", args: []string{"lvs01", "/"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b, err := ParseGroups(tt.args)
			if (err != nil) != tt.wantErr || joinNodes(a) != tt.a || joinNodes(b) != tt.b {
				t.Errorf("ParseGroups(%q) = %v, %v, %v; want %s / %s, error %v", tt.args, a, b, err, tt.a, tt.b, tt.wantErr)
			}
		})
	}
}

func TestCheckFlap(t *testing.T) {
	tests := []struct {
		name   string
		period time.Duration
		count  int
		want   string
	}{
		{name: "ok", period: time.Second, count: 3},
		{name: "short period", period: time.Millisecond, count: 3, want: "period 1ms"},
		{name: "no count", period: time.Second, count: 0, want: "count 0"},
		{name: "too long", period: time.Minute, count: 100, want: "must last at most"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckFlap(tt.period, tt.count)
			if (tt.want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tt.want) {
				t.Errorf("CheckFlap(%s, %d) = %v, want %q", tt.period, tt.count, err, tt.want)
			}
		})
	}
}
