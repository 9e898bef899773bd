package architectures

import (
	"strconv"
	"strings"

	"github.com/cnnbench/cnnbench/engine/graph"
	"github.com/cnnbench/cnnbench/engine/ops"
	"github.com/cnnbench/cnnbench/engine/tensor"
)

// MobileNet v1 (Howard et al. 2017, arXiv:1704.04861), Table 1 body with the
// width multiplier α of Sec. 4.2 and the resolution multiplier of Sec. 4.3.
//
// torchvision has no MobileNet v1, so the state-dict layout is our own plain
// nn.Sequential one (scripts/torchref/mobilenet.py defines the same keys):
//
//	features.0.0  conv 3×3/2, 3→32α (no bias)   features.0.1 BN   features.0.2 ReLU
//	features.i.0  depthwise 3×3/s (no bias)     features.i.1 BN   features.i.2 ReLU    (i = 1..13)
//	features.i.3  pointwise 1×1 (no bias)       features.i.4 BN   features.i.5 ReLU
//	avgpool       global average pooling        flatten           classifier (Linear with bias)
//
// Channels are int(c·α) (no rounding to multiples of 8, unlike the TF-slim
// checkpoints), BN (eps 1e-5) follows every conv and the activation is the
// paper's ReLU (TF-slim and Keras use ReLU6). Padding is symmetric 1, which
// gives the same output sizes (and MACs) as TF's "SAME" at every input used
// here. Global average pooling lets any input of at least 32×32 through.
//
// Two more networks reproduce the paper's ablations at α=1, 224:
// mobilenet_v1_conv ("Conv MobileNet", Table 4: every separable block
// replaced by a full 3×3 convolution, keys features.i.0/1/2) and
// mobilenet_v1_shallow (Table 5: the five 14×14×512 separable blocks
// removed; blocks keep their original indices 1..6 and 12..13).

// mobileNetV1Blocks is Table 1: output channels and depthwise stride of the
// 13 separable blocks (before the width multiplier).
var mobileNetV1Blocks = [13]struct{ out, stride int }{
	{64, 1}, {128, 2}, {128, 1}, {256, 2}, {256, 1}, {512, 2},
	{512, 1}, {512, 1}, {512, 1}, {512, 1}, {512, 1},
	{1024, 2}, {1024, 1},
}

// mobileNetV1Kind selects the body: separable blocks, full convolutions
// (Table 4) or the shallow net (Table 5).
type mobileNetV1Kind int

const (
	mobileNetV1Separable mobileNetV1Kind = iota
	mobileNetV1FullConv
	mobileNetV1Shallow
)

// mobileNetV1Builder returns the builder for width multiplier alpha.
func mobileNetV1Builder(alpha float64, kind mobileNetV1Kind) func(Options) (*graph.Graph, error) {
	return mobileNetV1StridedBuilder(alpha, kind, 2, mobileNetV1Blocks)
}

// mobileNetV1StridedBuilder returns the builder for width multiplier alpha
// with the stem conv's stride and the blocks' channels and depthwise strides
// given (Table 1's are 2 and mobileNetV1Blocks).
func mobileNetV1StridedBuilder(alpha float64, kind mobileNetV1Kind, stemStride int, blocks [13]struct{ out, stride int }) func(Options) (*graph.Graph, error) {
	width := func(c int) int { return int(float64(c) * alpha) }
	return func(o Options) (*graph.Graph, error) {
		g, x := graph.New("mobilenet_v1", o.Input)
		cin := width(32)
		x = g.Chain(x, "features.0.",
			graph.Named{Name: "0", Layer: ops.NewConv2D(o.Input[0], cin, 3, ops.Stride(stemStride), ops.Pad(1))},
			graph.Named{Name: "1", Layer: ops.NewBatchNorm2D(cin)},
			graph.Named{Name: "2", Layer: ops.ReLU()},
		)
		for i, b := range blocks {
			if kind == mobileNetV1Shallow && i >= 6 && i <= 10 {
				continue // Table 5: the five 14×14×512 blocks
			}
			cout := width(b.out)
			prefix := "features." + strconv.Itoa(i+1) + "."
			if kind == mobileNetV1FullConv {
				x = g.Chain(x, prefix,
					graph.Named{Name: "0", Layer: ops.NewConv2D(cin, cout, 3, ops.Stride(b.stride), ops.Pad(1))},
					graph.Named{Name: "1", Layer: ops.NewBatchNorm2D(cout)},
					graph.Named{Name: "2", Layer: ops.ReLU()},
				)
			} else {
				x = g.Chain(x, prefix,
					graph.Named{Name: "0", Layer: ops.NewConv2D(cin, cin, 3, ops.Stride(b.stride), ops.Pad(1), ops.Groups(cin))},
					graph.Named{Name: "1", Layer: ops.NewBatchNorm2D(cin)},
					graph.Named{Name: "2", Layer: ops.ReLU()},
					graph.Named{Name: "3", Layer: ops.NewConv2D(cin, cout, 1)},
					graph.Named{Name: "4", Layer: ops.NewBatchNorm2D(cout)},
					graph.Named{Name: "5", Layer: ops.ReLU()},
				)
			}
			cin = cout
		}
		x = g.Add("avgpool", ops.GlobalAvgPool(), x)
		x = g.Add("flatten", ops.Flatten{}, x)
		g.Add("classifier", ops.NewDense(cin, o.Classes), x)
		return g, g.Err()
	}
}

func init() {
	const (
		paper  = "Howard et al. 2017 (arXiv:1704.04861) "
		slim   = "TF-slim checkpoint table (tensorflow/models research/slim/nets/mobilenet_v1.md)"
		common = "Counting: params = conv and FC weights, FC bias, BN gamma/beta (BN running statistics are buffers); " +
			"MACs = conv + FC multiply-accumulates. "
	)
	type mbVariant struct {
		width          string // "1.0", "0.75", "0.5", "0.25"
		alpha          float64
		res            int
		params, macs   int64   // exact, by the rules of DESIGN.md §4
		pParams, pMACs float64 // paper, 0 = not reported
		pPPrec         float64
		table          string
		gap            string // why a paper number does not round to ours
	}
	variants := []mbVariant{
		{width: "1.0", alpha: 1, res: 224, params: 4231976, macs: 568740352, pParams: 4.2e6, pMACs: 569e6, pPPrec: 0.1e6, table: "Table 6 (and Tables 7, 8)"},
		{width: "1.0", alpha: 1, res: 192, params: 4231976, macs: 418121728, pParams: 4.2e6, pMACs: 418e6, pPPrec: 0.1e6, table: "Table 7"},
		{width: "1.0", alpha: 1, res: 160, params: 4231976, macs: 290675200, pParams: 4.2e6, pMACs: 290e6, pPPrec: 0.1e6, table: "Table 7",
			gap: "Table 7 prints 290 million mult-adds where the exact 290,675,200 rounds to 291 (the TF-slim table prints 291): " +
				"the paper truncated here but rounds elsewhere (568.7 -> 569 at 224); a 0.2% difference that no counting rule we tried removes."},
		{width: "1.0", alpha: 1, res: 128, params: 4231976, macs: 186400768, pParams: 4.2e6, pMACs: 186e6, pPPrec: 0.1e6, table: "Table 7"},
		{width: "0.75", alpha: 0.75, res: 224, params: 2585560, macs: 325400448, pParams: 2.6e6, pMACs: 325e6, pPPrec: 0.1e6, table: "Table 6 (and Table 5)",
			gap: "The TF-slim checkpoint table prints 317M MACs / 2.59M params for its 0.75_224 checkpoint; the paper's 325 matches ours."},
		{width: "0.75", alpha: 0.75, res: 192, params: 2585560, macs: 239273472,
			gap: "Not in the paper; the TF-slim checkpoint table prints 233M MACs / 2.59M params (all its 0.75 MAC figures are 2.6% below ours and the paper's 325 at 224)."},
		{width: "0.75", alpha: 0.75, res: 160, params: 2585560, macs: 166396800,
			gap: "Not in the paper; the TF-slim checkpoint table prints 162M MACs / 2.59M params."},
		{width: "0.75", alpha: 0.75, res: 128, params: 2585560, macs: 106770432,
			gap: "Not in the paper; the TF-slim checkpoint table prints 104M MACs / 2.59M params."},
		{width: "0.5", alpha: 0.5, res: 224, params: 1331592, macs: 149497088, pParams: 1.3e6, pMACs: 149e6, pPPrec: 0.1e6, table: "Table 6"},
		{width: "0.5", alpha: 0.5, res: 192, params: 1331592, macs: 109970432,
			gap: "Not in the paper; the TF-slim checkpoint table prints 110M MACs / 1.34M params."},
		{width: "0.5", alpha: 0.5, res: 160, params: 1331592, macs: 76524800, pParams: 1.32e6, pMACs: 76e6, pPPrec: 0.01e6, table: "Table 9",
			gap: "Table 9 prints 76 million mult-adds and 1.32 million params: the exact 76,524,800 MACs round to 77 " +
				"(TF-slim prints 77; the paper truncates), and 1.32M equals our count without the BN gamma/beta " +
				"(1,320,648; with them 1,331,592 = 1.33M, which Table 6 prints as 1.3 for 0.5 MobileNet-224)."},
		{width: "0.5", alpha: 0.5, res: 128, params: 1331592, macs: 49160192,
			gap: "Not in the paper; the TF-slim checkpoint table prints 49M MACs / 1.34M params."},
		{width: "0.25", alpha: 0.25, res: 224, params: 470072, macs: 41030272, pParams: 0.5e6, pMACs: 41e6, pPPrec: 0.1e6, table: "Table 6"},
		{width: "0.25", alpha: 0.25, res: 192, params: 470072, macs: 30212608,
			gap: "Not in the paper; the TF-slim checkpoint table prints 34M MACs (41M scaled by (192/224)^2 is 30M, so 34 looks like a typo) / 0.47M params."},
		{width: "0.25", alpha: 0.25, res: 160, params: 470072, macs: 21059200,
			gap: "Not in the paper; the TF-slim checkpoint table prints 21M MACs / 0.47M params."},
		{width: "0.25", alpha: 0.25, res: 128, params: 470072, macs: 13570048,
			gap: "Not in the paper; the TF-slim checkpoint table prints 14M MACs / 0.47M params."},
	}
	for _, v := range variants {
		name := "mobilenet_v1_" + v.width + "_" + strconv.Itoa(v.res)
		s := Spec{Name: name, Family: "MobileNet v1", Input: tensor.Shape{3, v.res, v.res}, Classes: 1000,
			Build: mobileNetV1Builder(v.alpha, mobileNetV1Separable)}
		if v.pParams > 0 {
			s.PaperParams = Reported{Value: v.pParams, Precision: v.pPPrec, Source: paper + v.table + ", million params"}
			s.PaperMACs = Reported{Value: v.pMACs, Precision: 1e6, Source: paper + v.table + ", million mult-adds"}
		}
		s.Note = v.width + " MobileNet-" + strconv.Itoa(v.res) + " (width multiplier " + v.width + ", channels int(c*alpha), " +
			"input " + strconv.Itoa(v.res) + "): " + mobileCommas(v.params) + " params, " + mobileCommas(v.macs) + " MACs. " + common +
			"ReLU as in the paper (torchvision has no MobileNet v1; TF-slim/Keras use ReLU6, which changes no count). "
		if v.gap != "" {
			s.Note += v.gap
		} else {
			s.Note += "The paper's numbers are these rounded to its printed digits."
		}
		if strings.Contains(v.gap, "TF-slim") {
			s.Note += " TF-slim figures: " + slim + "."
		}
		Register(s)
	}
	Alias("mobilenet_v1", "mobilenet_v1_1.0_224")

	Register(Spec{Name: "mobilenet_v1_conv", Family: "MobileNet v1", Input: tensor.Shape{3, 224, 224}, Classes: 1000,
		PaperParams: Reported{Value: 29.3e6, Precision: 0.1e6, Source: paper + "Table 4 (Conv MobileNet), million params"},
		PaperMACs:   Reported{Value: 4866e6, Precision: 1e6, Source: paper + "Table 4 (Conv MobileNet), million mult-adds"},
		Note: "Conv MobileNet of Table 4: 1.0 MobileNet-224 with each depthwise-separable block replaced by one full 3x3 " +
			"convolution (same channels and stride, BN, ReLU): 29,294,088 params, 4,867,293,184 MACs. " + common +
			"Params round to the paper's 29.3M; the paper prints 4866 million mult-adds, 1.3M (0.03%) below ours: " +
			"dropping the FC layer (1,024,000) would give 4,866,269,184, but the paper's 569M for the separable net " +
			"includes it, so the small gap is left as a paper rounding.",
		Build: mobileNetV1Builder(1, mobileNetV1FullConv)})
	Register(Spec{Name: "mobilenet_v1_shallow", Family: "MobileNet v1", Input: tensor.Shape{3, 224, 224}, Classes: 1000,
		PaperParams: Reported{Value: 2.9e6, Precision: 0.1e6, Source: paper + "Table 5 (Shallow MobileNet), million params"},
		PaperMACs:   Reported{Value: 307e6, Precision: 1e6, Source: paper + "Table 5 (Shallow MobileNet), million mult-adds"},
		Note: "Shallow MobileNet of Table 5: 1.0 MobileNet-224 without the five 14x14x512 separable blocks " +
			"(features.7 to features.11): 2,887,976 params, 307,323,392 MACs. " + common +
			"Both round to the paper's 2.9M and 307M.",
		Build: mobileNetV1Builder(1, mobileNetV1Shallow)})
}

// mobileCommas formats n with thousands separators (4231976 → "4,231,976").
func mobileCommas(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	out := make([]byte, 0, len(s)+len(s)/3)
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}
