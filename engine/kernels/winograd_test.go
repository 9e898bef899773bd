package kernels

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestWinogradTransformsMatchGeneric runs every usable set's Winograd input
// and output transforms against the generic ones, bitwise over the whole
// destination buffer (NaN-prefilled, so a stray write shows too), for each
// tile size, with tiles at random places and row strides, some of them
// sharing memory, and plane strides above the minimum. The generic
// transforms are checked against the matrices in engine/conv.
func TestWinogradTransformsMatchGeneric(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, s := range sets(t) {
		for _, m := range []int{2, 4, 6} {
			t.Run(fmt.Sprintf("kernels=%s/F(%dx%d,3x3)", s.Name, m, m), func(t *testing.T) {
				alpha := m + 2
				for trial := 0; trial < 200; trial++ {
					// Input: tiles in one random source buffer.
					src := randSlice(r, 4096)
					var d WinogradTiles
					for k := range d.Data {
						ld := alpha + r.IntN(40)
						off := r.IntN(len(src) - (alpha-1)*ld - alpha + 1)
						if k > 0 && r.IntN(4) == 0 { // share a tile
							j := r.IntN(k)
							d.Data[k], d.Stride[k] = d.Data[j], d.Stride[j]
							continue
						}
						d.Data[k], d.Stride[k] = src[off:off+(alpha-1)*ld+alpha], ld
					}
					vs := WinogradGroup + r.IntN(20)
					n := (alpha*alpha-1)*vs + WinogradGroup
					got, want := nanSlice(n), nanSlice(n)
					s.WinogradInput(m, &d, got, vs)
					Generic.WinogradInput(m, &d, want, vs)
					if !bitsEqual(got, want) {
						t.Fatalf("input transform (trial %d, vs %d) differs from generic", trial, vs)
					}
					// Output: tiles at disjoint places of a NaN buffer.
					ms := WinogradGroup + r.IntN(20)
					mm := randSlice(r, (alpha*alpha-1)*ms+WinogradGroup)
					bias := 2*r.Float32() - 1
					ly := m + r.IntN(5)
					size := (m-1)*ly + m
					yg, yw := nanSlice(WinogradGroup*(size+1)), nanSlice(WinogradGroup*(size+1))
					var tg, tw WinogradTiles
					for k, slot := range r.Perm(WinogradGroup) {
						off := slot*(size+1) + r.IntN(2)
						tg.Data[k], tg.Stride[k] = yg[off:off+size], ly
						tw.Data[k], tw.Stride[k] = yw[off:off+size], ly
					}
					s.WinogradOutput(m, mm, ms, bias, &tg)
					Generic.WinogradOutput(m, mm, ms, bias, &tw)
					if !bitsEqual(yg, yw) {
						t.Fatalf("output transform (trial %d, ms %d, ly %d) differs from generic", trial, ms, ly)
					}
				}
			})
		}
	}
}

// TestWinogradTransformsPanic checks the named panics for programming
// errors: a short tile, a row stride below the tile width, short planes, a
// tile size without transforms.
func TestWinogradTransformsPanic(t *testing.T) {
	for _, s := range sets(t) {
		tiles := func(n, ld, size int) *WinogradTiles {
			var d WinogradTiles
			for k := range d.Data {
				d.Data[k], d.Stride[k] = make([]float32, size), ld
			}
			return &d
		}
		v := make([]float32, 35*8+8)
		cases := map[string]func(){
			"short tile":       func() { s.WinogradInput(4, tiles(6, 6, 35), v, 8) },
			"stride too small": func() { s.WinogradInput(4, tiles(6, 5, 100), v, 8) },
			"short planes":     func() { s.WinogradInput(4, tiles(6, 6, 36), v[:len(v)-1], 8) },
			"plane stride":     func() { s.WinogradInput(4, tiles(6, 6, 36), v, 7) },
			"m=3":              func() { s.WinogradInput(3, tiles(5, 5, 25), v, 8) },
			"short output":     func() { s.WinogradOutput(4, v, 8, 0, tiles(4, 4, 15)) },
			"output planes":    func() { s.WinogradOutput(4, v[:len(v)-1], 8, 0, tiles(4, 4, 16)) },
		}
		for name, f := range cases {
			t.Run(s.Name+"/"+name, func(t *testing.T) {
				defer func() {
					msg := fmt.Sprint(recover())
					if !strings.Contains(msg, "kernels.winograd") {
						t.Fatalf("panic %q, want one naming the transform", msg)
					}
				}()
				f()
			})
		}
	}
}

// BenchmarkWinogradTransforms times one call (8 tiles) of each transform.
func BenchmarkWinogradTransforms(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, s := range sets(b) {
		for _, m := range []int{2, 4, 6} {
			alpha := m + 2
			src := randSlice(r, 8*m*64+64*alpha)
			var d, y WinogradTiles
			out := make([]float32, 64*m*8)
			for k := range d.Data {
				d.Data[k], d.Stride[k] = src[k*m:], 64*m
				y.Data[k], y.Stride[k] = out[k*m:], 8*m
			}
			v := make([]float32, alpha*alpha*16)
			b.Run(fmt.Sprintf("kernels=%s/m=%d/transform=input", s.Name, m), func(b *testing.B) {
				for b.Loop() {
					s.WinogradInput(m, &d, v, 16)
				}
			})
			b.Run(fmt.Sprintf("kernels=%s/m=%d/transform=output", s.Name, m), func(b *testing.B) {
				for b.Loop() {
					s.WinogradOutput(m, v, 16, 0.5, &y)
				}
			})
		}
	}
}
