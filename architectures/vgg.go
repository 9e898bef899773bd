package architectures

import (
	"strconv"

	"github.com/cnnbench/cnnbench/engine/graph"
	"github.com/cnnbench/cnnbench/engine/ops"
	"github.com/cnnbench/cnnbench/engine/tensor"
)

// VGG (Simonyan & Zisserman 2014, arXiv:1409.1556), configurations A to E of
// Table 1 in torchvision's layout: features.N (conv 3×3 pad 1 with bias,
// [BatchNorm,] ReLU; 2×2/2 max pooling ends each stage), avgpool (adaptive
// 7×7, so any input ≥ 32 fits), classifier.0/3/6 (FC 4096, ReLU, Dropout,
// FC 4096, ReLU, Dropout, FC classes).
//
// A-LRN adds the paper's LRN after the first conv's ReLU; C replaces the last
// conv of stages 3 to 5 of B+1 by a 1×1 conv (padding 0).

// vggConfigs lists each configuration's features: a positive entry is a
// 3×3 conv with that many channels, a negative one a 1×1 conv with −entry
// channels, 0 a 2×2/2 max pooling.
var vggConfigs = map[string][]int{
	"A": {64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0},
	"B": {64, 64, 0, 128, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0},
	"C": {64, 64, 0, 128, 128, 0, 256, 256, -256, 0, 512, 512, -512, 0, 512, 512, -512, 0},
	"D": {64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0},
	"E": {64, 64, 0, 128, 128, 0, 256, 256, 256, 256, 0, 512, 512, 512, 512, 0, 512, 512, 512, 512, 0},
}

// vggBuilder returns the builder of one configuration with the paper's
// classifier (7×7 pooling, FC 4096-4096).
func vggBuilder(cfg string, bn, lrn bool) func(Options) (*graph.Graph, error) {
	return vggNetBuilder(vggConfigs[cfg], bn, lrn, 7, 4096)
}

// vggNetBuilder returns the builder of a VGG-style network: features as in
// vggConfigs, adaptive average pooling to pool×pool and a classifier of two
// hidden layers of hidden units.
func vggNetBuilder(features []int, bn, lrn bool, pool, hidden int) func(Options) (*graph.Graph, error) {
	return func(o Options) (*graph.Graph, error) {
		g, x := graph.New("vgg", o.Input)
		idx := 0
		add := func(l ops.Layer) {
			x = g.Add("features."+strconv.Itoa(idx), l, x)
			idx++
		}
		cin := o.Input[0]
		first := true
		for _, v := range features {
			if v == 0 {
				add(ops.MaxPool2D(2, 2, 0))
				continue
			}
			cout, k, pad := v, 3, 1
			if v < 0 {
				cout, k, pad = -v, 1, 0
			}
			add(ops.NewConv2D(cin, cout, k, ops.Pad(pad), ops.Bias()))
			if bn {
				add(ops.NewBatchNorm2D(cout))
			}
			add(ops.ReLU())
			if lrn && first {
				// the LRN of Krizhevsky et al. 2012 (k=2, n=5, α=1e-4, β=0.75)
				add(alexNetPaperLRN())
			}
			first = false
			cin = cout
		}
		x = g.Add("avgpool", &ops.AdaptiveAvgPool2D{OutH: pool, OutW: pool}, x)
		x = g.Add("flatten", ops.Flatten{}, x)
		g.Chain(x, "classifier.",
			graph.Named{Name: "0", Layer: ops.NewDense(cin*pool*pool, hidden)},
			graph.Named{Name: "1", Layer: ops.ReLU()},
			graph.Named{Name: "2", Layer: &ops.Dropout{P: 0.5}},
			graph.Named{Name: "3", Layer: ops.NewDense(hidden, hidden)},
			graph.Named{Name: "4", Layer: ops.ReLU()},
			graph.Named{Name: "5", Layer: &ops.Dropout{P: 0.5}},
			graph.Named{Name: "6", Layer: ops.NewDense(hidden, o.Classes)},
		)
		return g, g.Err()
	}
}

func init() {
	const (
		table2 = "Simonyan & Zisserman 2014 (arXiv:1409.1556) Table 2"
		tv     = "torchvision "
	)
	convOnly := "The VGG paper reports no FLOPs; torchvision's GFLOPS (= GMACs, conv + linear) are given and match exactly."
	type vggVariant struct {
		name, cfg, tv string
		bn, lrn       bool
		paper         float64 // Table 2, millions (0: not in the paper)
		tvParams      int64   // torchvision num_params (0: not in torchvision)
		tvGMACs       float64 // torchvision GFLOPS
		tvPrec        float64
		note          string
	}
	variants := []vggVariant{
		{name: "vgg11", cfg: "A", tv: "vgg11", paper: 133, tvGMACs: 7.609, tvPrec: 1e6,
			note: "Config A (VGG-11): 132,863,336 params, printed as 133M in Table 2 (single column \"A, A-LRN\"). " + convOnly},
		{name: "vgg11_lrn", cfg: "A", lrn: true, paper: 133,
			note: "Config A-LRN: A with the LRN of Krizhevsky et al. (k=2, n=5, alpha=1e-4, beta=0.75; PyTorch alpha=5e-4) after " +
				"the first conv's ReLU. LRN has no parameters, so the count is A's: 132,863,336 (Table 2: 133M). " +
				"Not in torchvision; no FLOPs in the paper; derived MACs 7,609,090,048 as A."},
		{name: "vgg13", cfg: "B", tv: "vgg13", paper: 133, tvGMACs: 11.308, tvPrec: 1e6,
			note: "Config B (VGG-13): 133,047,848 params (Table 2: 133M). " + convOnly},
		{name: "vgg16_c", cfg: "C", paper: 134,
			note: "Config C (VGG-16 with a 1x1 conv ending stages 3-5): 133,638,952 params (Table 2: 134M). " +
				"Not in torchvision; no FLOPs in the paper; derived MACs 11,770,888,192."},
		{name: "vgg16", cfg: "D", tv: "vgg16", paper: 138, tvGMACs: 15.47, tvPrec: 1e7,
			note: "Config D (VGG-16): 138,357,544 params (Table 2: 138M). " + convOnly +
				" The ResNet and MobileNet papers quote VGG-16 as 15.3e9 mult-adds: that is the conv layers alone " +
				"(15,346,630,656); the three FC layers add 123,633,664."},
		{name: "vgg19", cfg: "E", tv: "vgg19", paper: 144, tvGMACs: 19.632, tvPrec: 1e6,
			note: "Config E (VGG-19): 143,667,240 params (Table 2: 144M). " + convOnly +
				" The ResNet paper quotes 19.6e9 FLOPs (mult-adds)."},
		{name: "vgg11_bn", cfg: "A", bn: true, tv: "vgg11_bn", tvParams: 132868840, tvGMACs: 7.609, tvPrec: 1e6},
		{name: "vgg13_bn", cfg: "B", bn: true, tv: "vgg13_bn", tvParams: 133053736, tvGMACs: 11.308, tvPrec: 1e6},
		{name: "vgg16_bn", cfg: "D", bn: true, tv: "vgg16_bn", tvParams: 138365992, tvGMACs: 15.47, tvPrec: 1e7},
		{name: "vgg19_bn", cfg: "E", bn: true, tv: "vgg19_bn", tvParams: 143678248, tvGMACs: 19.632, tvPrec: 1e6},
	}
	for _, v := range variants {
		s := Spec{Name: v.name, Family: "VGG", Input: tensor.Shape{3, 224, 224}, Classes: 1000,
			Torchvision: v.tv, Note: v.note, Build: vggBuilder(v.cfg, v.bn, v.lrn)}
		if v.paper > 0 {
			s.PaperParams = Reported{Value: v.paper * 1e6, Precision: 1e6, Source: table2 + " (config " + v.cfg + ")"}
		} else {
			s.PaperParams = Reported{Value: float64(v.tvParams), Precision: 1, Source: tv + v.tv + " num_params"}
		}
		if v.tvGMACs > 0 {
			s.PaperMACs = Reported{Value: v.tvGMACs * 1e9, Precision: v.tvPrec,
				Source: tv + v.tv + " GFLOPS " + strconv.FormatFloat(v.tvGMACs, 'f', -1, 64) + " (= GMACs)"}
		}
		if v.bn {
			s.Note = "Config " + v.cfg + " with BatchNorm after every conv (torchvision " + v.tv + "; not in the paper, " +
				"which predates BatchNorm): conv biases are kept and BN adds 2 trainable params per channel. " +
				"torchvision's num_params and GFLOPS (= GMACs) are given and match exactly; BN running statistics are buffers, not params."
		}
		Register(s)
	}
	Alias("vgg_a", "vgg11")
	Alias("vgg_a_lrn", "vgg11_lrn")
	Alias("vgg_b", "vgg13")
	Alias("vgg_c", "vgg16_c")
	Alias("vgg_d", "vgg16")
	Alias("vgg_e", "vgg19")
}
