package conv

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/cnnbench/cnnbench/engine/kernels"
)

// winogradTolerance is the relative L2 bound ||y − ref||₂ / ||ref||₂ against
// the float64 naive convolution (DESIGN.md §8).
//
// Measured (go test -run TestWinogradMatchesNaive -v, full shapes, every
// kernel set; inputs, weights and bias uniform in [−1, 1) as randomOperands,
// and post-ReLU inputs uniform in [0, 1) on the smaller real layers, whose
// errors come out about half as large). Worst relative L2 error per kernel
// set, all on 512-channel layers, and the worst max|y − ref| / max|ref|:
//
//	               generic                     avx2 (FMA)   max-norm
//	winograd-f2x3  7.0e-7 (vgg16-features.28)  5.0e-7       1.0e-6
//	winograd-f4x3  4.5e-6 (vgg16-features.19)  3.2e-6       1.7e-5
//	winograd-f6x3  8.3e-6 (vgg16-features.19)  6.1e-6       2.6e-5
//
// i.e. 23% of the F(4x4) bound and 8% of the F(6x6) one. The error grows
// with the tile (F(4x4) ≈ 6×, F(6x6) ≈ 12× F(2x2)) and slowly with Cin
// (F(4x4), generic: 1.7e-6 at 64 channels, 4.5e-6 at 512); the edge shapes
// stay below (worst 3.1e-7, 1.5e-6, 3.5e-6). A wrong transform coefficient
// gives errors of order 1, so the bounds still catch any real bug. The
// vectorised transforms did not change these: they give the bits of the
// scalar code they replaced (checked against the driver of commit 0948f10
// when they were written; TestWinogradTransformsMatchMatrices and the
// kernels' bitwise set-vs-generic tests keep them honest).
var winogradTolerance = map[string]float64{
	"winograd-f2x3": 2e-5,
	"winograd-f4x3": 2e-5,
	"winograd-f6x3": 1e-4,
}

// winogradAlgorithms are the registered Winograd variants, in tile order.
var winogradAlgorithms = []string{"winograd-f2x3", "winograd-f4x3", "winograd-f6x3"}

// TestWinogradMatricesComputeCorrelation checks, in float64, that each set of
// transform matrices is an exact minimal filtering algorithm:
// Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A equals the α×α input tile d correlated with the
// 3×3 kernel g (the wincnn check; P10 in research/reliability.md).
func TestWinogradMatricesComputeCorrelation(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for m, kind := range winogradKinds {
		t.Run(fmt.Sprintf("F(%dx%d,3x3)", m, m), func(t *testing.T) {
			alpha := kind.alpha()
			if kind.m != m || len(kind.bt) != alpha || len(kind.g) != alpha || len(kind.at) != m {
				t.Fatalf("matrix shapes: m=%d bt %d rows, g %d rows, at %d rows", kind.m, len(kind.bt), len(kind.g), len(kind.at))
			}
			for trial := 0; trial < 20; trial++ {
				d, g := randMatrix(r, alpha, alpha), randMatrix(r, 3, 3)
				got := winogradTile64(kind.bt, kind.g, kind.at, d, g)
				for i := 0; i < m; i++ {
					for j := 0; j < m; j++ {
						var want float64
						for k := 0; k < 3; k++ {
							for l := 0; l < 3; l++ {
								want += d[i+k][j+l] * g[k][l]
							}
						}
						if math.Abs(got[i][j]-want) > 1e-12 {
							t.Fatalf("Y[%d][%d] = %v, direct correlation %v", i, j, got[i][j], want)
						}
					}
				}
			}
		})
	}
}

// TestWinogradTransformsMatchMatrices checks every kernel set's float32
// input and output transforms (engine/kernels) against explicit float64
// matrix products Bᵀ d B and Aᵀ M A (+ bias), element by element:
// |got − want| ≤ 1e-6 · (|Bᵀ| |d| |B|) (NNPACK tests its transforms at a
// median relative error below 1e-6; this bounds every element), for every
// slot of the tile group and a row stride other than the tile width, as
// Forward uses them. (engine/kernels checks that the sets agree bitwise.)
func TestWinogradTransformsMatchMatrices(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for m, kind := range winogradKinds {
		for _, kname := range kernels.Names() {
			set, _ := kernels.Lookup(kname)
			input, output := kind.groupTransforms(set)
			t.Run(fmt.Sprintf("F(%dx%d,3x3)/kernels=%s", m, m, kname), func(t *testing.T) {
				alpha := kind.alpha()
				const ld = 11 // row stride of the input tile and the output
				worst := 0.0
				for trial := 0; trial < 200; trial++ {
					k := trial % winogradGroup // the tile's slot in the group
					// Input transform.
					d := randMatrix(r, alpha, alpha)
					buf := make([]float32, alpha*ld)
					for i := range d {
						for j := range d[i] {
							buf[i*ld+j] = float32(d[i][j])
							d[i][j] = float64(buf[i*ld+j])
						}
					}
					var tiles kernels.WinogradTiles
					other := make([]float32, alpha*alpha)
					for s := range tiles.Data {
						tiles.Data[s], tiles.Stride[s] = other, alpha
					}
					tiles.Data[k], tiles.Stride[k] = buf, ld
					var v winogradGroupBuf
					input(&tiles, v[:], winogradGroup)
					want := matMul(matMul(kind.bt, d), transpose(kind.bt))
					scale := matMul(matMul(absMatrix(kind.bt), absMatrix(d)), transpose(absMatrix(kind.bt)))
					for i := 0; i < alpha; i++ {
						for j := 0; j < alpha; j++ {
							got := v[(i*alpha+j)*winogradGroup+k]
							e := math.Abs(float64(got)-want[i][j]) / scale[i][j]
							worst = max(worst, e)
							if e > 1e-6 {
								t.Fatalf("input: V[%d][%d] = %v, want %v (relative to |Bᵀ||d||B| %.3g)", i, j, got, want[i][j], e)
							}
						}
					}
					// Output transform.
					mmat := randMatrix(r, alpha, alpha)
					var mm winogradGroupBuf
					for i := range mm {
						mm[i] = float32(r.Float64())
					}
					for i := range mmat {
						for j := range mmat[i] {
							mm[(i*alpha+j)*winogradGroup+k] = float32(mmat[i][j])
							mmat[i][j] = float64(mm[(i*alpha+j)*winogradGroup+k])
						}
					}
					bias := float32(r.Float64() - 0.5)
					y := make([]float32, m*ld)
					scratch := make([]float32, m*m)
					for s := range tiles.Data {
						tiles.Data[s], tiles.Stride[s] = scratch, m
					}
					tiles.Data[k], tiles.Stride[k] = y, ld
					output(mm[:], winogradGroup, bias, &tiles)
					want = matMul(matMul(kind.at, mmat), transpose(kind.at))
					scale = matMul(matMul(absMatrix(kind.at), absMatrix(mmat)), transpose(absMatrix(kind.at)))
					for i := 0; i < m; i++ {
						for j := 0; j < m; j++ {
							w := want[i][j] + float64(bias)
							e := math.Abs(float64(y[i*ld+j])-w) / (scale[i][j] + math.Abs(float64(bias)))
							worst = max(worst, e)
							if e > 1e-6 {
								t.Fatalf("output: Y[%d][%d] = %v, want %v (relative %.3g)", i, j, y[i*ld+j], w, e)
							}
						}
					}
				}
				t.Logf("worst relative transform error %.3g", worst)
			})
		}
	}
}

// winogradEdgeShapes are the 3×3 stride-1 shapes where tiling goes wrong:
// images smaller than a tile, H or W = 1, sizes that are not multiples of
// any tile, all paddings, channels off the vector width, batch > 1.
func winogradEdgeShapes() map[string]Params {
	m := map[string]Params{
		"1x1-image-pad1":              conv2d(1, 3, 1, 1, 4, 3, 1, 1),
		"3x3-image-pad0":              conv2d(1, 5, 3, 3, 4, 3, 1, 0),
		"smaller-than-tile-5x4":       conv2d(1, 3, 5, 4, 4, 3, 1, 1),
		"height-1":                    conv2d(1, 3, 1, 9, 4, 3, 1, 1),
		"width-1":                     conv2d(1, 3, 9, 1, 4, 3, 1, 1),
		"odd-sizes-7x5":               conv2d(1, 3, 7, 5, 5, 3, 1, 1),
		"odd-sizes-13x11-pad0":        conv2d(1, 4, 13, 11, 3, 3, 1, 0),
		"pad2":                        conv2d(1, 3, 9, 10, 4, 3, 1, 2),
		"padding-ge-kernel":           conv2d(1, 2, 5, 6, 3, 3, 1, 3),
		"channels-not-multiple-of-16": conv2d(1, 17, 11, 9, 19, 3, 1, 1),
		"many-channels-k576":          conv2d(1, 64, 6, 5, 33, 3, 1, 1),
		"cin-3":                       conv2d(1, 3, 20, 17, 8, 3, 1, 1),
		"batch-3":                     conv2d(3, 4, 7, 9, 5, 3, 1, 1),
		"batch-2-23x29":               conv2d(2, 9, 23, 29, 7, 3, 1, 1),
	}
	p := conv2d(1, 3, 6, 7, 4, 3, 1, 0)
	p.PadT, p.PadB, p.PadL, p.PadR = 0, 2, 1, 0
	m["asymmetric-padding"] = p
	p = conv2d(2, 5, 10, 8, 6, 3, 1, 0)
	p.PadT, p.PadB, p.PadL, p.PadR = 2, 0, 0, 3
	m["asymmetric-padding-batch-2"] = p
	return m
}

// winogradLayer is a real 3×3 stride-1 layer of the zoo (batch 1).
type winogradLayer struct {
	name string
	p    Params
}

// winogradLayerShapes are the 3×3 stride-1 layers of VGG-16 (torchvision
// features.N) and ResNet-50/-18 (their stride-1 3×3 convolutions have the
// same four shapes). Under -short the filters and the image are scaled
// down (keeping up to 128 input channels: the error grows with Cin) so that
// the float64 oracle stays fast, under -race too; the full shapes run
// without -short.
func winogradLayerShapes(short bool) []winogradLayer {
	l := func(name string, cin, cout, hw, sCin, sCout, sHW int) winogradLayer {
		if short {
			cin, cout, hw = sCin, sCout, sHW
		}
		return winogradLayer{name, conv2d(1, cin, hw, hw, cout, 3, 1, 1)}
	}
	return []winogradLayer{
		l("vgg16-features.0", 3, 64, 224, 3, 16, 26),
		l("vgg16-features.2", 64, 64, 224, 32, 24, 17),
		l("vgg16-features.7", 128, 128, 112, 48, 40, 11),
		l("vgg16-features.12", 256, 256, 56, 64, 32, 10),
		l("vgg16-features.19", 512, 512, 28, 96, 32, 7),
		l("vgg16-features.28", 512, 512, 14, 128, 24, 5),
		l("resnet50-layer1.0.conv2", 64, 64, 56, 64, 32, 9),
		l("resnet50-layer2.1.conv2", 128, 128, 28, 128, 16, 7),
		l("resnet50-layer3.1.conv2", 256, 256, 14, 96, 24, 6),
		l("resnet50-layer4.1.conv2", 512, 512, 7, 128, 16, 7),
		l("resnet18-layer1.0.conv1", 64, 64, 56, 40, 24, 8),
		l("resnet18-layer2.0.conv2", 128, 128, 28, 64, 24, 7),
		l("resnet18-layer3.1.conv1", 256, 256, 14, 80, 16, 6),
		l("resnet18-layer4.1.conv2", 512, 512, 7, 112, 16, 5),
	}
}

// winogradReference caches the naive oracle's output per problem and data,
// so each shape's float64 convolution runs once for all three algorithms.
type winogradReference map[string][]float32

func (c winogradReference) get(t *testing.T, key string, p Params, in, w, bias []float32) []float32 {
	t.Helper()
	if ref, ok := c[key]; ok {
		return ref
	}
	plan, err := Naive{}.Plan(p, w, bias)
	if err != nil {
		t.Fatal(err)
	}
	ref := make([]float32, p.OutLen())
	plan.Forward(ref, in, nil, 0)
	c[key] = ref
	return ref
}

// relL2 is ||got − want||₂ / ||want||₂ in float64; maxRel is
// max|got − want| / max|want|.
func relL2(got, want []float32) (rel, maxRel float64) {
	var num, den, maxDiff, maxRef float64
	for i := range want {
		d := float64(got[i]) - float64(want[i])
		num += d * d
		den += float64(want[i]) * float64(want[i])
		maxDiff = max(maxDiff, math.Abs(d))
		maxRef = max(maxRef, math.Abs(float64(want[i])))
	}
	if den == 0 {
		return math.Sqrt(num), maxDiff
	}
	return math.Sqrt(num / den), maxDiff / maxRef
}

// checkWinograd runs Winograd F(m×m, 3×3) with every kernel set on p
// (NaN-prefilled guard-banded output and workspace, two threads, see
// runPlan) and compares it with the oracle's ref under the relative L2
// tolerance tol. It returns the worst relative L2 error over the sets.
func checkWinograd(t *testing.T, m int, tol float64, p Params, in, w, bias, ref []float32) float64 {
	t.Helper()
	worst := 0.0
	for _, kname := range kernels.Names() {
		set, _ := kernels.Lookup(kname)
		a := Winograd{M: m, Config: gemmConfig(set)}
		got, ok := runPlan(t, a, p, in, w, bias, 2)
		if !ok {
			return 0
		}
		for i, y := range got {
			if math.IsNaN(float64(y)) || math.IsInf(float64(y), 0) {
				t.Fatalf("%s/%s: out[%d] = %v (naive %v)", a.Name(), kname, i, y, ref[i])
			}
		}
		rel, maxRel := relL2(got, ref)
		if rel > tol {
			t.Fatalf("%s/%s %s: relative L2 error %.3g > %.3g (max error / max |ref| %.3g)", a.Name(), kname, p, rel, tol, maxRel)
		}
		t.Logf("%s/%s %s: relative L2 error %.3g (%.1f%% of %.0e), max error / max |ref| %.3g",
			a.Name(), kname, p, rel, 100*rel/tol, tol, maxRel)
		worst = max(worst, rel)
	}
	return worst
}

// reluInput maps x in [−1, 1) to (x+1)/2 in [0, 1): the non-negative
// activations a 3×3 layer after a ReLU sees, where the output does not
// average out to zero.
func reluInput(in []float32) []float32 {
	out := make([]float32, len(in))
	for i, x := range in {
		out[i] = (x + 1) / 2
	}
	return out
}

// TestWinogradMatchesNaive checks every Winograd variant with every kernel
// set against the float64 oracle on edge shapes and on the real layers
// (with symmetric and with post-ReLU inputs); names read
// TestWinogradMatchesNaive/winograd-f4x3/vgg16-features.28 and
// TestWinogradMatchesNaive/winograd-f2x3/edge-height-1.
func TestWinogradMatchesNaive(t *testing.T) {
	refs := winogradReference{}
	for _, algo := range winogradAlgorithms {
		a, err := Lookup(algo)
		if err != nil {
			t.Fatal(err)
		}
		m := a.(Winograd).M
		tol := winogradTolerance[algo]
		t.Run(algo, func(t *testing.T) {
			worst, worstName := 0.0, ""
			note := func(name string, e float64) {
				if e > worst {
					worst, worstName = e, name
				}
			}
			seed := uint64(100)
			edges := winogradEdgeShapes()
			for _, name := range sortedKeys(edges) {
				p := edges[name]
				seed++
				t.Run("edge-"+name, func(t *testing.T) {
					in, w, bias := randomOperands(p, seed)
					note(name, checkWinograd(t, m, tol, p, in, w, bias, refs.get(t, fmt.Sprint(name, seed), p, in, w, bias)))
					// Without bias the plan skips the add; check that too.
					note(name+"-no-bias", checkWinograd(t, m, tol, p, in, w, nil, refs.get(t, fmt.Sprint(name, seed, "nobias"), p, in, w, nil)))
				})
			}
			for _, l := range winogradLayerShapes(testing.Short()) {
				t.Run(l.name, func(t *testing.T) {
					// Data seeded by the shape: layers of the same shape
					// (ResNet-18 and -50) share the oracle's output.
					key := l.p.String()
					h := fnv.New64a()
					h.Write([]byte(key))
					in, w, bias := randomOperands(l.p, h.Sum64())
					note(l.name, checkWinograd(t, m, tol, l.p, in, w, bias, refs.get(t, key, l.p, in, w, bias)))
					// Post-ReLU inputs (smaller errors, see winogradTolerance)
					// on all but the four VGG layers of 1.85 GMACs, where the
					// float64 oracle takes the longest.
					if l.p.MACs() < 1e9 {
						in = reluInput(in)
						note(l.name+"-relu", checkWinograd(t, m, tol, l.p, in, w, bias, refs.get(t, key+"-relu", l.p, in, w, bias)))
					}
				})
			}
			t.Logf("%s: worst relative L2 error %.3g on %s (tolerance %.0e)", algo, worst, worstName, tol)
		})
	}
}

// TestWinogradThreadCountAndBlockingInvariance checks that any number of
// threads (through both ways of running the GEMM phase), and several
// tile-block sizes (one block of all tiles, blocks that split images, one
// tile per block), give bitwise identical outputs.
func TestWinogradThreadCountAndBlockingInvariance(t *testing.T) {
	shapes := map[string]Params{
		"resnet50-layer1.0.conv2-small": conv2d(1, 64, 14, 14, 64, 3, 1, 1),
		"batch-2-odd":                   conv2d(2, 7, 23, 19, 13, 3, 1, 1),
		"cin-3":                         conv2d(1, 3, 30, 30, 16, 3, 1, 1),
	}
	for _, m := range []int{2, 4, 6} {
		for name, p := range shapes {
			t.Run(fmt.Sprintf("winograd-f%dx3/%s", m, name), func(t *testing.T) {
				in, w, bias := randomOperands(p, 7)
				ref, ok := runPlan(t, Winograd{M: m}, p, in, w, bias, 1)
				if !ok {
					t.Fatal("unsupported")
				}
				// 2 and 3: the α² GEMMs shared out whole; 5, 10 and 17:
				// more threads than α²/4 (F(2x2), F(4x4), F(6x6)), each
				// GEMM split by engine/gemm.
				for _, threads := range []int{2, 3, 5, 10, 17} {
					got, _ := runPlan(t, Winograd{M: m}, p, in, w, bias, threads)
					if !bitwiseEqual(got, ref) {
						t.Fatalf("threads=%d differs from threads=1", threads)
					}
				}
				for _, tb := range []int{1, 5, 17, 1 << 20} {
					got, _ := runPlan(t, Winograd{M: m, TileBlock: tb}, p, in, w, bias, 2)
					if !bitwiseEqual(got, ref) {
						t.Fatalf("TileBlock=%d differs from the default", tb)
					}
				}
			})
		}
	}
}

// TestWinogradUnsupported checks that shapes outside 3×3 / stride 1 /
// dilation 1 / groups 1 give an error wrapping ErrUnsupported that names the
// algorithm and the constraint, and that other plan errors do not.
func TestWinogradUnsupported(t *testing.T) {
	base := conv2d(1, 4, 8, 8, 6, 3, 1, 1)
	cases := []struct {
		name, want string
		mod        func(p *Params)
	}{
		{"5x5-kernel", "needs a 3x3 kernel, got 5x5", func(p *Params) { p.KH, p.KW, p.PadT, p.PadB, p.PadL, p.PadR = 5, 5, 2, 2, 2, 2 }},
		{"1x3-kernel", "needs a 3x3 kernel, got 1x3", func(p *Params) { p.KH, p.PadT, p.PadB = 1, 0, 0 }},
		{"1x1-kernel", "needs a 3x3 kernel, got 1x1", func(p *Params) { p.KH, p.KW = 1, 1 }},
		{"stride-2", "needs stride 1, got 2x2", func(p *Params) { p.StrideH, p.StrideW = 2, 2 }},
		{"stride-1x2", "needs stride 1, got 1x2", func(p *Params) { p.StrideW = 2 }},
		{"dilation-2", "needs dilation 1, got 2x2", func(p *Params) { p.DilH, p.DilW = 2, 2 }},
		{"groups-2", "needs groups=1, got 2", func(p *Params) { p.Groups = 2 }},
		{"depthwise", "needs groups=1, got 4", func(p *Params) { p.Groups, p.Cout = 4, 4 }},
	}
	for _, algo := range winogradAlgorithms {
		a, err := Lookup(algo)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			t.Run(algo+"/"+c.name, func(t *testing.T) {
				p := base
				c.mod(&p)
				_, w, _ := randomOperands(p, 1)
				_, err := a.Plan(p, w, nil)
				if !errors.Is(err, ErrUnsupported) {
					t.Fatalf("Plan(%s) = %v, want an error wrapping ErrUnsupported", p, err)
				}
				if want := algo + ": unsupported: " + c.want; err.Error() != want {
					t.Fatalf("error %q, want %q", err, want)
				}
			})
		}
		t.Run(algo+"/bad-weights-is-not-unsupported", func(t *testing.T) {
			p := conv2d(1, 4, 8, 8, 6, 5, 1, 2) // unsupported kernel and wrong weights
			_, err := a.Plan(p, make([]float32, 3), nil)
			if err == nil || errors.Is(err, ErrUnsupported) {
				t.Fatalf("Plan with 3 weights: %v, want a plain error", err)
			}
		})
	}
	if _, err := (Winograd{M: 3}).Plan(base, make([]float32, base.WeightLen()), nil); err == nil ||
		errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "winograd-f3x3") {
		t.Fatalf("Winograd{M: 3}: %v, want an error naming the missing tile size", err)
	}
	if _, err := (Winograd{M: 4, TileBlock: -1}).Plan(base, make([]float32, base.WeightLen()), nil); err == nil ||
		errors.Is(err, ErrUnsupported) {
		t.Fatalf("TileBlock -1: %v, want a plain error", err)
	}
}

// TestWinogradWorkspaceIsBlocked checks that the workspace of a large layer
// stays bounded (tiles are processed in blocks, not all at once), and that
// it covers V and M of one block plus the GEMM's packing buffer.
func TestWinogradWorkspaceIsBlocked(t *testing.T) {
	for _, m := range []int{2, 4, 6} {
		layers := []winogradLayer{
			{"vgg16-features.2", conv2d(1, 64, 224, 224, 64, 3, 1, 1)},
			{"vgg16-features.28", conv2d(1, 512, 14, 14, 512, 3, 1, 1)},
			{"batch-8", conv2d(8, 64, 56, 56, 64, 3, 1, 1)},
		}
		if testing.Short() { // the weight transform of 512×512 filters takes a while under -race
			layers[1] = winogradLayer{"vgg16-features.28-256-channels", conv2d(1, 256, 14, 14, 256, 3, 1, 1)}
		}
		for _, l := range layers {
			t.Run(fmt.Sprintf("winograd-f%dx3/%s", m, l.name), func(t *testing.T) {
				p := l.p
				w := make([]float32, p.WeightLen())
				plan, err := Winograd{M: m}.Plan(p, w, nil)
				if err != nil {
					t.Fatal(err)
				}
				pl := plan.(*winogradPlan)
				alpha := m + 2
				all := alpha * alpha * (p.Cin + p.Cout) * pl.tiles
				minBlock := alpha * alpha * (p.Cin + p.Cout) * min(pl.tiles, winogradMinBlockTiles)
				vm := pl.vLen + pl.mLen
				if vm > max(2*winogradBlockFloats, minBlock) {
					t.Fatalf("V+M of one block is %d floats (%d tiles of %d), want ≤ %d", vm, pl.tb, pl.tiles, max(2*winogradBlockFloats, minBlock))
				}
				if g := pl.u[0].WorkspaceSize(pl.tb); plan.Workspace() != vm+pl.slots*g || pl.slots < 1 || pl.slots > alpha*alpha/4 {
					t.Fatalf("workspace %d, want V+M %d + %d GEMM workers × %d", plan.Workspace(), vm, pl.slots, g)
				}
				t.Logf("%d tiles in blocks of %d: workspace %.2f MB (all tiles at once: %.1f MB)",
					pl.tiles, pl.tb, float64(plan.Workspace())*4/1e6, float64(all)*4/1e6)
			})
		}
	}
}

// TestWinogradInterpolationPoints documents the choice of interpolation
// points for F(4x4,3x3): the same driver with matrix transforms built from
// each candidate set (Cook–Toom construction, float32 arithmetic like the
// unrolled transforms) on real layer shapes, with symmetric and post-ReLU
// inputs. Measured relative L2 errors (worst over the layers below):
//
//	0, ±1, ±2, ∞ (registered)   3.0e-6
//	0, ±1, ±1/2, ∞              3.3e-6
//	0, ±1, 1/2, −2, ∞           2.0e-6
//
// The asymmetric set (such sets are studied by Barabasz et al., "Error
// analysis and improving the accuracy of Winograd convolution for deep
// neural networks", ACM TOMS 2020) is about a third more accurate, but its
// Bᵀ has no ± row pairs: the input transform
// needs about twice the operations, and the transforms, not the GEMMs, are
// what limits Winograd once the GEMM runs at vector speed. Both symmetric
// sets sit 7× below the 2e-5 tolerance. The test requires the registered
// points to stay the most accurate symmetric choice (within 10%).
func TestWinogradInterpolationPoints(t *testing.T) {
	if testing.Short() {
		t.Skip("documents a design choice on 256- and 512-channel layers; runs without -short")
	}
	candidates := []struct {
		name   string
		points []float64
	}{
		{"0,±1,±2", []float64{0, 1, -1, 2, -2}},
		{"0,±1,±1/2", []float64{0, 1, -1, 0.5, -0.5}},
		{"0,±1,1/2,-2", []float64{0, 1, -1, 0.5, -2}},
	}
	layers := []winogradLayer{
		{"resnet50-layer3.1.conv2-small", conv2d(1, 256, 14, 14, 128, 3, 1, 1)},
		{"resnet50-layer4.1.conv2-small", conv2d(1, 512, 7, 7, 64, 3, 1, 1)},
		{"resnet50-layer1.0.conv2-small", conv2d(1, 64, 28, 28, 64, 3, 1, 1)},
	}
	errs := make([]float64, len(candidates))
	for li, l := range layers {
		for _, relu := range []bool{false, true} {
			in, w, bias := randomOperands(l.p, uint64(300+li))
			if relu {
				in = reluInput(in)
			}
			plan, err := Naive{}.Plan(l.p, w, bias)
			if err != nil {
				t.Fatal(err)
			}
			ref := make([]float32, l.p.OutLen())
			plan.Forward(ref, in, nil, 0)
			for ci, c := range candidates {
				at, g, bt := cookToom(c.points, 4)
				pl, err := Winograd{M: 4}.plan(matrixWinogradKind(4, bt, g, at), l.p, w, bias)
				if err != nil {
					t.Fatal(err)
				}
				out, ws := make([]float32, l.p.OutLen()), make([]float32, pl.Workspace())
				pl.Forward(out, in, ws, 2)
				rel, _ := relL2(out, ref)
				errs[ci] = max(errs[ci], rel)
				t.Logf("%s relu=%t points %s: relative L2 %.3g", l.name, relu, c.name, rel)
			}
		}
	}
	for ci, c := range candidates {
		t.Logf("points %s: worst relative L2 %.3g", c.name, errs[ci])
	}
	if errs[0] > 1.1*errs[1] {
		t.Fatalf("points %s: worst error %.3g, but %s reach %.3g", candidates[0].name, errs[0], candidates[1].name, errs[1])
	}
}

// cookToom builds Aᵀ (m×α), G (α×3) and Bᵀ (α×α) of F(m, 3) for the given
// finite interpolation points plus ∞ (α = len(points)+1 = m+2): Aᵀ[i][j] =
// p_j^i, G[j][k] = p_j^k / Π_{l≠j}(p_j − p_l), and Bᵀ solved (least squares
// in float64, exact here) from Σ_j Aᵀ[i][j]·G[j][k]·Bᵀ[j][l] = [l = i+k].
func cookToom(points []float64, m int) (at, g, bt [][]float64) {
	alpha := len(points) + 1
	at, g = zeroMatrix(m, alpha), zeroMatrix(alpha, 3)
	for j, p := range points {
		f := 1.0
		for l, q := range points {
			if l != j {
				f *= p - q
			}
		}
		for i := 0; i < m; i++ {
			at[i][j] = math.Pow(p, float64(i))
		}
		for k := 0; k < 3; k++ {
			g[j][k] = math.Pow(p, float64(k)) / f
		}
	}
	at[m-1][alpha-1], g[alpha-1][2] = 1, 1
	// Normal equations CᵀC x = Cᵀe_l with C[(i,k)][j] = Aᵀ[i][j]·G[j][k].
	c := zeroMatrix(3*m, alpha)
	for i := 0; i < m; i++ {
		for k := 0; k < 3; k++ {
			for j := 0; j < alpha; j++ {
				c[i*3+k][j] = at[i][j] * g[j][k]
			}
		}
	}
	ctc := matMul(transpose(c), c)
	bt = zeroMatrix(alpha, alpha)
	for l := 0; l < alpha; l++ {
		rhs := make([]float64, alpha)
		for i := 0; i < m; i++ {
			for k := 0; k < 3; k++ {
				if i+k == l {
					for j := 0; j < alpha; j++ {
						rhs[j] += c[i*3+k][j]
					}
				}
			}
		}
		x := solve(ctc, rhs)
		for j := range x {
			bt[j][l] = x[j]
		}
	}
	return at, g, bt
}

// matrixWinogradKind is a winogradKind whose transforms multiply by the
// given matrices in float32, skipping zero coefficients.
func matrixWinogradKind(m int, bt, g, at [][]float64) *winogradKind {
	alpha := m + 2
	f32 := func(x [][]float64) [][]float32 {
		y := make([][]float32, len(x))
		for i := range x {
			for _, v := range x[i] {
				y[i] = append(y[i], float32(v))
			}
		}
		return y
	}
	b, a := f32(bt), f32(at)
	const gs = winogradGroup
	input := func(d []float32, ld int, v *winogradGroupBuf, slot int) {
		var w [winogradMaxAlpha * winogradMaxAlpha]float32 // W = d B
		for i := 0; i < alpha; i++ {
			for j := 0; j < alpha; j++ {
				var s float32
				for k, c := range b[j] {
					if c != 0 {
						s += c * d[i*ld+k]
					}
				}
				w[i*alpha+j] = s
			}
		}
		for i := 0; i < alpha; i++ {
			for j := 0; j < alpha; j++ {
				var s float32
				for k, c := range b[i] {
					if c != 0 {
						s += c * w[k*alpha+j]
					}
				}
				v[(i*alpha+j)*gs+slot] = s
			}
		}
	}
	output := func(mm *winogradGroupBuf, slot int, bias float32, y []float32, ly int) {
		var t [winogradMaxAlpha * winogradMaxAlpha]float32 // T = M A
		for i := 0; i < alpha; i++ {
			for j := 0; j < m; j++ {
				var s float32
				for k, c := range a[j] {
					if c != 0 {
						s += c * mm[(i*alpha+k)*gs+slot]
					}
				}
				t[i*m+j] = s
			}
		}
		for i := 0; i < m; i++ {
			for j := 0; j < m; j++ {
				var s float32
				for k, c := range a[i] {
					if c != 0 {
						s += c * t[k*m+j]
					}
				}
				y[i*ly+j] = s + bias
			}
		}
	}
	return &winogradKind{m: m, bt: bt, g: g, at: at, input: input, output: output}
}

// winogradTile64 is Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A in float64.
func winogradTile64(bt, g, at, d, k [][]float64) [][]float64 {
	u := matMul(matMul(g, k), transpose(g))
	v := matMul(matMul(bt, d), transpose(bt))
	for i := range u {
		for j := range u[i] {
			u[i][j] *= v[i][j]
		}
	}
	return matMul(matMul(at, u), transpose(at))
}

func zeroMatrix(r, c int) [][]float64 {
	m := make([][]float64, r)
	for i := range m {
		m[i] = make([]float64, c)
	}
	return m
}

func randMatrix(r *rand.Rand, rows, cols int) [][]float64 {
	m := zeroMatrix(rows, cols)
	for i := range m {
		for j := range m[i] {
			m[i][j] = 2*r.Float64() - 1
		}
	}
	return m
}

func matMul(a, b [][]float64) [][]float64 {
	c := zeroMatrix(len(a), len(b[0]))
	for i := range a {
		for k := range b {
			for j := range b[k] {
				c[i][j] += a[i][k] * b[k][j]
			}
		}
	}
	return c
}

func transpose(a [][]float64) [][]float64 {
	t := zeroMatrix(len(a[0]), len(a))
	for i := range a {
		for j := range a[i] {
			t[j][i] = a[i][j]
		}
	}
	return t
}

func absMatrix(a [][]float64) [][]float64 {
	b := zeroMatrix(len(a), len(a[0]))
	for i := range a {
		for j := range a[i] {
			b[i][j] = math.Abs(a[i][j])
		}
	}
	return b
}

// solve solves the square system a x = b by Gaussian elimination with
// partial pivoting (a is not modified).
func solve(a [][]float64, b []float64) []float64 {
	n := len(a)
	aug := zeroMatrix(n, n+1)
	for i := range a {
		copy(aug[i], a[i])
		aug[i][n] = b[i]
	}
	for c := 0; c < n; c++ {
		p := c
		for i := c + 1; i < n; i++ {
			if math.Abs(aug[i][c]) > math.Abs(aug[p][c]) {
				p = i
			}
		}
		aug[c], aug[p] = aug[p], aug[c]
		for i := 0; i < n; i++ {
			if i != c {
				f := aug[i][c] / aug[c][c]
				for j := c; j <= n; j++ {
					aug[i][j] -= f * aug[c][j]
				}
			}
		}
	}
	x := make([]float64, n)
	for i := range x {
		x[i] = aug[i][n] / aug[i][i]
	}
	return x
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// BenchmarkWinograd times the Winograd variants and, for comparison, im2col
// on real 3×3 stride-1 layers. Names follow DESIGN.md §7, e.g.
// BenchmarkWinograd/net=vgg16/layer=features.12/algo=winograd-f4x3/kernels=generic/threads=1.
// GFLOP/s is effective: the direct convolution's 2·MACs over the time, so
// Winograd can exceed the machine's FMA peak.
func BenchmarkWinograd(b *testing.B) {
	layers := []struct {
		net, layer string
		p          Params
	}{
		{"vgg16", "features.2", conv2d(1, 64, 224, 224, 64, 3, 1, 1)},
		{"vgg16", "features.12", conv2d(1, 256, 56, 56, 256, 3, 1, 1)},
		{"vgg16", "features.28", conv2d(1, 512, 14, 14, 512, 3, 1, 1)},
		{"resnet50", "layer1.0.conv2", conv2d(1, 64, 56, 56, 64, 3, 1, 1)},
		{"resnet50", "layer4.1.conv2", conv2d(1, 512, 7, 7, 512, 3, 1, 1)},
	}
	for _, l := range layers {
		for _, kname := range kernels.Names() {
			set, _ := kernels.Lookup(kname)
			cfg := gemmConfig(set)
			algos := []Algorithm{Im2col{Config: cfg}, Winograd{M: 2, Config: cfg}, Winograd{M: 4, Config: cfg}, Winograd{M: 6, Config: cfg}}
			for _, a := range algos {
				for _, threads := range []int{1, 2} {
					name := fmt.Sprintf("net=%s/layer=%s/algo=%s/kernels=%s/threads=%d", l.net, l.layer, a.Name(), kname, threads)
					b.Run(name, func(b *testing.B) { benchPlan(b, a, l.p, threads) })
				}
			}
		}
	}
}
