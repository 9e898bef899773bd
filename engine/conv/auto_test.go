package conv

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// withTuning runs f with a temporary auto configuration.
func withTuning(t *testing.T, c TuneConfig, f func()) {
	t.Helper()
	old := Tuning()
	if err := SetTuning(c); err != nil {
		t.Fatal(err)
	}
	defer SetTuning(old)
	f()
}

// autoRelL2 is ||y − ref||₂ / ||ref||₂ against the naive oracle.
func autoRelL2(t *testing.T, algo string, p Params) (float64, string) {
	t.Helper()
	in, w, b := randomOperands(p, 7)
	ref, err := Naive{}.Plan(p, w, b)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]float32, p.OutLen())
	ref.Forward(want, in, nil, 1)
	a, _ := Lookup(algo)
	pl, err := a.Plan(p, w, b)
	if err != nil {
		t.Fatal(err)
	}
	buf, got := nanBuffer(p.OutLen())
	pl.Forward(got, in, make([]float32, pl.Workspace()), 2)
	if !guardsIntact(buf) {
		t.Fatal("guard bands overwritten")
	}
	var num, den float64
	for i := range want {
		d := float64(got[i]) - float64(want[i])
		num += d * d
		den += float64(want[i]) * float64(want[i])
	}
	chosen := ""
	if ch, ok := pl.(Chooser); ok {
		chosen = ch.Chosen()
	}
	return math.Sqrt(num / den), chosen
}

// TestAutoMatchesNaive proves auto's choice, whichever it is, computes the
// convolution within the loosest candidate's tolerance (Winograd's 2e-5
// relative L2), in both modes.
func TestAutoMatchesNaive(t *testing.T) {
	shapes := map[string]Params{
		"3x3-s1":     conv2d(1, 16, 12, 12, 16, 3, 1, 1),
		"1x1":        conv2d(2, 24, 7, 7, 12, 1, 1, 0),
		"stem-7x7s2": conv2d(1, 3, 20, 20, 8, 7, 2, 3),
		"depthwise":  func() Params { p := conv2d(1, 8, 9, 9, 8, 3, 2, 1); p.Groups = 8; return p }(),
		"grouped":    func() Params { p := conv2d(1, 8, 6, 6, 12, 3, 1, 1); p.Groups = 2; return p }(),
	}
	for _, mode := range []string{"model", "measure"} {
		withTuning(t, TuneConfig{Mode: mode, Runs: 1}, func() {
			for name, p := range shapes {
				t.Run(mode+"/"+name, func(t *testing.T) {
					e, chosen := autoRelL2(t, "auto", p)
					t.Logf("auto chose %s, rel L2 %.2g", chosen, e)
					if chosen == "" || chosen == "naive" || chosen == "auto" {
						t.Errorf("auto chose %q", chosen)
					}
					if !(e <= 2e-5) {
						t.Errorf("rel L2 %.3g > 2e-5", e)
					}
				})
			}
		})
	}
}

func TestAutoModelPicksTheSpecialisedPaths(t *testing.T) {
	dw := conv2d(1, 32, 112, 112, 32, 3, 1, 1)
	dw.Groups = 32
	cases := map[string]Params{
		"depthwise": dw,
		"pointwise": conv2d(1, 256, 56, 56, 64, 1, 1, 0),
		"direct":    conv2d(1, 3, 224, 224, 64, 7, 2, 3),
	}
	if _, err := Lookup("winograd-f4x3"); err == nil {
		cases["winograd-f4x3"] = conv2d(1, 64, 56, 56, 64, 3, 1, 1)
	}
	for want, p := range cases {
		if _, err := Lookup(want); err != nil {
			continue
		}
		if got := ModelChoice(p); got != want {
			t.Errorf("%s: model chose %s, want %s", p, got, want)
		}
	}
}

// TestAutoCachesMeasuredChoices proves a measured choice is written to the
// cache file and reused, that -retune measures again, and that a corrupt
// cache is ignored rather than fatal.
func TestAutoCachesMeasuredChoices(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tune.json")
	p := conv2d(1, 8, 10, 10, 8, 3, 1, 1)
	in, w, b := randomOperands(p, 1)
	_ = in
	withTuning(t, TuneConfig{Mode: "measure", CachePath: path, Runs: 1}, func() {
		pl, err := Auto{}.Plan(p, w, b)
		if err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		chosen := pl.(Chooser).Chosen()
		if !strings.Contains(string(data), p.String()) || !strings.Contains(string(data), `"`+chosen+`"`) {
			t.Fatalf("cache %s does not record %s → %s", data, p, chosen)
		}
		// Force a different cached answer and check it is used.
		forced := "im2col"
		if chosen == forced {
			forced = "naive"
		}
		os.WriteFile(path, []byte(strings.ReplaceAll(string(data), `"`+chosen+`"`, `"`+forced+`"`)), 0o644)
	})
	withTuning(t, TuneConfig{Mode: "measure", CachePath: path, Runs: 1}, func() {
		pl, _ := Auto{}.Plan(p, w, b)
		if got := pl.(Chooser).Chosen(); got != "im2col" && got != "naive" {
			t.Errorf("cached choice ignored: got %s", got)
		}
	})
	withTuning(t, TuneConfig{Mode: "measure", CachePath: path, Runs: 1, Retune: true}, func() {
		pl, _ := Auto{}.Plan(p, w, b)
		if got := pl.(Chooser).Chosen(); got == "naive" {
			t.Errorf("retune kept the cached naive")
		}
	})
	os.WriteFile(path, []byte("{not json"), 0o644)
	withTuning(t, TuneConfig{Mode: "measure", CachePath: path, Runs: 1}, func() {
		if _, err := (Auto{}).Plan(p, w, b); err != nil {
			t.Errorf("corrupt cache: %v", err)
		}
	})
}

func TestSetTuningRejectsUnknownMode(t *testing.T) {
	if err := SetTuning(TuneConfig{Mode: "guess"}); err == nil {
		t.Error("accepted mode guess")
	}
}
