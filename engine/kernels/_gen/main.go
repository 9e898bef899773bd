// Command _gen writes the amd64 assembly of engine/kernels with avo.
//
// It is a module of its own so that avo never enters the main go.mod, and
// its folder starts with an underscore so that ./... skips it. Run it through
// go generate in engine/kernels, or by hand from this folder:
//
//	go run . -dir ..
//
// For every kernel set it writes sgemm_<set>_amd64.s (the SGEMM micro-kernels
// and packers, sgemm.go) and epilogue_<set>_amd64.s (bias, residual and
// activation over a row, epilogue.go), and for the ymm set gemv_avx2_amd64.s
// (matrix-vector product, gemv.go) and depthwise_avx2_amd64.s (depthwise
// convolution rows, depthwise.go), each with its Go declarations in the
// matching .go file, into -dir. The avx512 set calls the avx2 GEMV and
// depthwise rows (every AVX-512 CPU has AVX2 and FMA3): the GEMV is bound
// by memory bandwidth, which zmm registers do not raise, and a depthwise
// row of MobileNet or EfficientNet (7 to 112 outputs) fills few 16-lane
// vectors. The output depends only on this program, not
// on paths or flags, so `make check-generate` can regenerate into a temporary
// folder and compare.
//
// winograd_avx2_amd64.s (the Winograd F(m×m, 3×3) input and output
// transforms of 8 tiles, winograd.go) is written once, with the avx2 set;
// engine/kernels gives it to the avx512 set too.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"log"
	"os"
	"path/filepath"

	"github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/pass"
	"github.com/mmcloughlin/avo/printer"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("_gen: ")
	dir := flag.String("dir", "..", "output `folder` (engine/kernels)")
	flag.Parse()
	for _, s := range sets {
		if err := write(*dir, "sgemm", s, (*gen).all); err != nil {
			log.Fatal(err)
		}
		if err := write(*dir, "epilogue", s, (*gen).epilogues); err != nil {
			log.Fatal(err)
		}
		// Winograd transforms: 8-lane (ymm) code, emitted once, for avx2.
		if s.set == "avx2" {
			if err := write(*dir, "winograd", s, (*gen).winograd); err != nil {
				log.Fatal(err)
			}
		}
		if s.zmm {
			continue
		}
		if err := write(*dir, "gemv", s, (*gen).gemvs); err != nil {
			log.Fatal(err)
		}
		if err := write(*dir, "depthwise", s, (*gen).depthwise); err != nil {
			log.Fatal(err)
		}
	}
}

// write generates what emit emits for one kernel set into
// dir/<kind>_<file>_amd64.{s,go}.
func write(dir, kind string, s isa, emit func(*gen)) error {
	ctx := build.NewContext()
	ctx.ConstraintExpr("amd64,!purego")
	emit(newGen(ctx, s))
	name := kind + "_" + s.file
	f, err := ctx.Result()
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if err := pass.Compile.Execute(f); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	// A fixed generator name (not argv) keeps the header independent of
	// the output folder.
	cfg := printer.Config{Name: "engine/kernels/_gen (go generate)", Pkg: "kernels"}
	asm, err := printer.NewGoAsm(cfg).Print(f)
	if err != nil {
		return err
	}
	stubs, err := printer.NewStubs(cfg).Print(f)
	if err != nil {
		return err
	}
	if stubs, err = format.Source(stubs); err != nil {
		return err
	}
	base := filepath.Join(dir, name+"_amd64")
	if err := writeIfChanged(base+".s", asm); err != nil {
		return err
	}
	return writeIfChanged(base+".go", stubs)
}

// writeIfChanged leaves an identical file alone (its mtime too).
func writeIfChanged(name string, b []byte) error {
	if old, err := os.ReadFile(name); err == nil && bytes.Equal(old, b) {
		return nil
	}
	return os.WriteFile(name, b, 0o644)
}
