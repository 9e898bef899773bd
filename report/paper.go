package report

import (
	"fmt"
	"strings"

	"github.com/cnnbench/cnnbench/architectures"
	"github.com/cnnbench/cnnbench/engine/ops"
)

// shortReasons explain a gap between a reported number and ours in a
// table cell; the full explanation is the model's Spec.Note, printed under
// the table.
var shortReasons = map[string]string{
	"alexnet_paper":          "\"60 million\" is the abstract's round figure; 720M is MobileNet's rounded quote",
	"resnet34":               "Table 1's 3.6 G is the 34-layer plain baseline; the three projection shortcuts add 0.019 G",
	"resnet50_v1":            "exact 3.858 G prints as 3.9 G: the paper truncates here",
	"densenet264":            "EfficientNet's quote is above conv+linear counting (34M if BN running stats are counted; 6.0B not reproduced)",
	"mobilenet_v1_conv":      "paper's 4866M is 1.3M (0.03%) below ours: a paper rounding",
	"mobilenet_v1_0.5_160":   "76.5M truncated to 76; 1.32M is the count without BN γ/β",
	"mobilenet_v1_1.0_160":   "exact 290.7M rounds to 291 (TF-slim prints 291): the paper truncates",
	"shufflenet_v1_g1_0.5x":  "Table 2 labels every 0.5× row 38M; this net is 38.5M (38.2M without the FC)",
	"efficientnet_b1":        "paper's 0.70B is 2% above the exact 0.687 G (its footnote: FLOPS are rounded)",
	"efficientnet_b2":        "9.2M is above the exact 9.11M (BN running stats counted would give 9.18M)",
	"efficientnet_b4":        "paper's 4.2B is 4% below the exact 4.39 G (its footnote: FLOPS are rounded)",
	"efficientnet_b5":        "paper's 9.9B is 4% below the exact 10.27 G (its footnote: FLOPS are rounded)",
	"efficientnet_b7":        "exact 37.75 G rounds to 38B; paper and README print 37B",
	"shufflenet_v1_g2_1.0x":  "Table 1's complexity leaves out the final FC (0.8M): 140.0M without it",
	"shufflenet_v1_g4_1.0x":  "Table 1's complexity leaves out the final FC (1.1M): 133.3M without it",
	"shufflenet_v1_g8_1.0x":  "Table 1's complexity leaves out the final FC (1.5M): 136.8M without it",
	"shufflenet_v1_g4_0.5x":  "Table 2 labels every 0.5× row 38M; this net is 36.5M",
	"shufflenet_v1_g8_0.5x":  "conv1 rounded up to a multiple of g: 40.5M; the authors' README also prints 40M",
	"shufflenet_v1_g1_0.25x": "0.25× rows are labelled 13M; int(c·s) channel scaling gives 10.8–12.4M (unexplained)",
	"shufflenet_v1_g2_0.25x": "0.25× rows are labelled 13M; int(c·s) channel scaling gives 10.8–12.4M (unexplained)",
	"shufflenet_v1_g3_0.25x": "0.25× rows are labelled 13M; int(c·s) channel scaling gives 10.8–12.4M (unexplained)",
	"shufflenet_v1_g4_0.25x": "0.25× rows are labelled 13M; int(c·s) channel scaling gives 10.8–12.4M (unexplained)",
	"shufflenet_v1_g8_0.25x": "0.25× rows are labelled 13M; int(c·s) channel scaling gives 10.8–12.4M (unexplained)",
}

// reason is the short gap explanation of a model's row.
func reason(model string, matches ...bool) string {
	if r, ok := shortReasons[model]; ok {
		return r
	}
	for _, m := range matches {
		if !m {
			return "see the note below"
		}
	}
	return "exact count rounds to the printed value"
}

func noteOf(model string) Note {
	a, err := acct(model)
	if err != nil {
		return Note{model, err.Error()}
	}
	n := a.Spec.Note
	var src []string
	if a.Spec.PaperParams.Source != "" {
		src = append(src, "params: "+a.Spec.PaperParams.Source)
	}
	if a.Spec.PaperMACs.Source != "" {
		src = append(src, "MACs: "+a.Spec.PaperMACs.Source)
	}
	if len(src) > 0 {
		n += " Reported numbers from " + strings.Join(src, "; ") + "."
	}
	return Note{model, n}
}

func notes(models ...string) []Note {
	out := make([]Note, 0, len(models))
	for _, m := range models {
		out = append(out, noteOf(m))
	}
	return out
}

// volume prints a batch-1 shape as H×W×C (or the feature count).
func volume(shape []int) string {
	switch len(shape) {
	case 4:
		return fmt.Sprintf("%d×%d×%d", shape[2], shape[3], shape[1])
	case 2:
		return fmt.Sprint(shape[1])
	}
	return fmt.Sprint(shape)
}

func alexnetTable() (*Table, error) {
	const model = "alexnet_paper"
	g, err := architectures.Build(model, architectures.Options{})
	if err != nil {
		return nil, err
	}
	tot := g.Totals()
	spec, _ := architectures.Lookup(model)
	// CS231n's "simplified" AlexNet listing (227 input) and the reference
	// file's derived per-layer counts for the 2-GPU network.
	type ref struct {
		volume       string
		params, macs int64
	}
	refs := map[string]ref{
		"CONV1": {"55×55×96", 34944, 105415200}, "POOL1": {"27×27×96", 0, 0}, "NORM1": {"27×27×96", 0, 0},
		"CONV2": {"27×27×256", 307456, 223948800}, "POOL2": {"13×13×256", 0, 0}, "NORM2": {"13×13×256", 0, 0},
		"CONV3": {"13×13×384", 885120, 149520384}, "CONV4": {"13×13×384", 663936, 112140288},
		"CONV5": {"13×13×256", 442624, 74760192}, "POOL3": {"6×6×256", 0, 0},
		"FC6": {"4096", 37752832, 37748736}, "FC7": {"4096", 16781312, 16777216}, "FC8": {"1000", 4097000, 4096000},
	}
	t := &Table{File: "alexnet_layers.md", Title: "AlexNet (Krizhevsky et al. 2012): layer volumes, params and MACs"}
	t.Intro = []string{
		"Computed from the graph of `alexnet_paper` (the 2012 network: 96-256-384-384-256 filters, conv2/4/5 in two " +
			"groups for the two GPUs, LRN, overlapping max pooling, 227×227 input). *Reference volume* is the widely reproduced " +
			"CS231n listing (cs231n.github.io, convolutional-networks); *reference params/MACs* are the per-layer counts " +
			"derived in the project's paper reference (arithmetic, not paper numbers: the paper prints only totals).",
	}
	s := Section{Heading: "Per layer",
		Header: []string{"layer", "ours", "spec", "reference volume", "our volume", "params", "MACs", "= reference", "note"},
		Align:  "lllrrrrcl"}
	in := g.InputShape()
	s.Rows = append(s.Rows, []string{"INPUT", "input", "", "227×227×3", fmt.Sprintf("%d×%d×%d", in[1], in[2], in[0]), "", "", "✓",
		"the paper's text says 224×224; (227 − 11)/4 + 1 = 55 needs 227"})
	count := map[string]int{}
	summary := g.Summary()
	for i, n := range g.Nodes[1:] {
		li := summary[i]
		var kind, spec string
		switch l := n.Layer.(type) {
		case *ops.Conv2D:
			kind = "CONV"
			spec = fmt.Sprintf("%d × %d×%d, stride %d, pad %d", l.Cout, l.KH, l.KW, l.StrideH, l.PadT)
			if l.Groups > 1 {
				spec += fmt.Sprintf(", %d groups", l.Groups)
			}
		case *ops.Pool2D:
			if !l.Max {
				continue
			}
			kind = "POOL"
			spec = fmt.Sprintf("max %d×%d, stride %d", l.K, l.K, l.Stride)
		case *ops.LRN:
			kind = "NORM"
			spec = fmt.Sprintf("LRN, size %d", l.Size)
		case *ops.Dense:
			kind = "FC"
			spec = fmt.Sprintf("%d → %d", l.In, l.Out)
		default:
			continue
		}
		count[kind]++
		name := fmt.Sprintf("%s%d", kind, count[kind])
		if kind == "FC" {
			name = fmt.Sprintf("FC%d", count[kind]+5)
		}
		r := refs[name]
		ours := volume(n.Shape)
		eq := "✓"
		note := ""
		if ours != r.volume || li.Params != r.params || li.Cost.MACs != r.macs {
			eq = "✗"
		}
		if kind == "NORM" && ours != r.volume {
			eq = "order"
			note = "LRN before pooling, as the paper's Sec. 3.5 orders them; the CS231n listing pools first (same counts)"
		}
		pc, mc := "", ""
		if kind == "CONV" || kind == "FC" {
			pc, mc = Commas(li.Params), Commas(li.Cost.MACs)
		} else {
			pc, mc = "0", "0"
		}
		s.Rows = append(s.Rows, []string{name, "`" + n.Name + "`", spec, r.volume, ours, pc, mc, eq, note})
	}
	s.Rows = append(s.Rows, []string{"**total**", "", "", "", "", "**" + Commas(tot.Params) + "**", "**" + Commas(tot.MACs) + "**",
		"✓", "reference: 60,965,224 params, 724,406,816 MACs"})
	t.Sections = append(t.Sections, s)

	tv, err := acct("alexnet")
	if err != nil {
		return nil, err
	}
	tot2 := Section{Heading: "Totals against the reported numbers",
		Header: []string{"quantity", "reported", "source", "ours (exact)", "difference", "match", "reason"},
		Align:  "lrlrrcl"}
	tot2.Rows = [][]string{
		{"params", "60M", spec.PaperParams.Source, Commas(tot.Params), diffIn(tot.Params, spec.PaperParams, 1e6, 2, "M"),
			matchCell(tot.Params, spec.PaperParams), "the abstract's \"60 million\" is a round figure, not a rounding to the nearest million (without the GPU groups: 62,378,344)"},
		{"MACs", "720M", spec.PaperMACs.Source, Commas(tot.MACs), diffIn(tot.MACs, spec.PaperMACs, 1e6, 1, "M"),
			matchCell(tot.MACs, spec.PaperMACs), "a rounded quote (the 2012 paper gives no FLOPs)"},
		{"neurons (conv + FC outputs)", "650,000", "Krizhevsky et al. 2012, abstract", Commas(tot.Activations),
			fmt.Sprintf("+%s (%+.1f%%)", Commas(tot.Activations-650000), 100*float64(tot.Activations-650000)/650000), "≈", "a round figure"},
		{"torchvision `alexnet` params", Commas(int64(tv.Spec.PaperParams.Value)), tv.Spec.PaperParams.Source, Commas(tv.Totals.Params),
			diffIn(tv.Totals.Params, tv.Spec.PaperParams, 1, 0, ""), matchCell(tv.Totals.Params, tv.Spec.PaperParams),
			"different network (\"One weird trick\" widths 64-192-384-256-256, 224 input)"},
		{"torchvision `alexnet` MACs", "0.714G", tv.Spec.PaperMACs.Source, Commas(tv.Totals.MACs),
			diffIn(tv.Totals.MACs, tv.Spec.PaperMACs, 1e6, 1, "M"), matchCell(tv.Totals.MACs, tv.Spec.PaperMACs), "exact count rounds to the printed value"},
	}
	t.Sections = append(t.Sections, tot2)
	t.Notes = notes("alexnet_paper", "alexnet")
	return t, nil
}

func vggTable() (*Table, error) {
	rows := []struct{ cfg, model string }{
		{"A", "vgg11"}, {"A-LRN", "vgg11_lrn"}, {"B", "vgg13"}, {"C", "vgg16_c"}, {"D", "vgg16"}, {"E", "vgg19"},
	}
	t := &Table{File: "vgg_table2.md", Title: "VGG (Simonyan & Zisserman 2014) Table 2: number of parameters"}
	t.Intro = []string{"Table 2 prints parameters in millions for configurations A to E (one column for A and A-LRN: " +
		"LRN has no parameters). The paper gives no FLOPs; torchvision's GFLOPS (= GMACs) are shown where torchvision has " +
		"the configuration."}
	s := Section{Header: []string{"config", "model", "reported params (M)", "ours (exact)", "difference (M)", "match",
		"ours G-MACs", "torchvision GFLOPS (reported)", "match", "reason"}, Align: "llrrrcrrcl"}
	var models []string
	for _, r := range rows {
		a, err := acct(r.model)
		if err != nil {
			return nil, err
		}
		sp := a.Spec
		pm := sp.PaperParams.Matches(a.Totals.Params)
		macRep := Missing
		macMatch := Missing
		if sp.PaperMACs.Value != 0 {
			macRep = reportedIn(sp.PaperMACs, 1e9)
			macMatch = matchCell(a.Totals.MACs, sp.PaperMACs)
		}
		s.Rows = append(s.Rows, []string{r.cfg, "`" + r.model + "`", reportedIn(sp.PaperParams, 1e6), Commas(a.Totals.Params),
			diffIn(a.Totals.Params, sp.PaperParams, 1e6, 2, ""), matchCell(a.Totals.Params, sp.PaperParams),
			scaled(float64(a.Totals.MACs), 1e9, 3), macRep, macMatch, reason(r.model, pm)})
		models = append(models, r.model)
	}
	t.Sections = append(t.Sections, s)
	d, _ := acct("vgg16")
	e, _ := acct("vgg19")
	fc := fcMACs("vgg16")
	t.Sections = append(t.Sections, Section{Heading: "FLOPs quoted by later papers", Text: []string{fmt.Sprintf(
		"He et al. 2015 (ResNet) quote VGG-16/19 as 15.3/19.6 billion FLOPs (mult-adds), MobileNet Table 8 as 15300M. "+
			"Ours: VGG-16 %s MACs, of which the three FC layers are %s, so the conv layers alone are %s (15.3 G): the "+
			"15.3 quote counts the convolutions only. VGG-19 is %s MACs (19.6 G with the FC layers).",
		Commas(d.Totals.MACs), Commas(fc), Commas(d.Totals.MACs-fc), Commas(e.Totals.MACs))}})
	t.Notes = notes(models...)
	return t, nil
}

// fcMACs sums the MACs of a model's linear layers.
func fcMACs(model string) int64 {
	ls, err := layersOf(model)
	if err != nil {
		return 0
	}
	var n int64
	for _, l := range ls {
		if l.Type == "Dense" {
			n += l.MACs
		}
	}
	return n
}

func resnetTable() (*Table, error) {
	type rr struct {
		label, v1, v15 string
		tvGFLOPS       float64
	}
	rows := []rr{
		{"ResNet-18", "resnet18", "resnet18", 1.814}, {"ResNet-34", "resnet34", "resnet34", 3.664},
		{"ResNet-50", "resnet50_v1", "resnet50", 4.089}, {"ResNet-101", "resnet101_v1", "resnet101", 7.801},
		{"ResNet-152", "resnet152_v1", "resnet152", 11.514},
	}
	t := &Table{File: "resnet_table1.md", Title: "ResNet (He et al. 2015) Table 1: FLOPs (multiply-adds)"}
	t.Intro = []string{"Table 1 prints FLOPs as multiply-adds (Sec. 3.3: \"3.6 billion FLOPs (multiply-adds)\"), i.e. our MACs. " +
		"*v1* is the paper's network (`resnetNN_v1`: the stride-2 of a downsampling bottleneck is in its first 1×1 conv); " +
		"*v1.5* is torchvision's (`resnetNN`: stride in the 3×3 conv). ResNet-18/34 use basic blocks, where both are the same " +
		"network. The paper reports no parameter counts; torchvision's `num_params` are shown and equal ours (moving the stride " +
		"changes no weight)."}
	s := Section{Header: []string{"model", "reported G mult-adds (Table 1)", "ours v1 (paper net)", "difference", "match",
		"ours v1.5 (torchvision net)", "torchvision GFLOPS (reported)", "match", "params (ours = torchvision)", "reason"},
		Align: "lrrrcrrcrl"}
	var models []string
	for _, r := range rows {
		a1, err := acct(r.v1)
		if err != nil {
			return nil, err
		}
		a15, err := acct(r.v15)
		if err != nil {
			return nil, err
		}
		tv := architectures.Reported{Value: r.tvGFLOPS * 1e9, Precision: 1e6}
		rsn := reason(r.v1, a1.Spec.PaperMACs.Matches(a1.Totals.MACs))
		if r.v1 != r.v15 {
			d := a15.Totals.MACs - a1.Totals.MACs
			rsn += fmt.Sprintf("; v1.5 runs the first 1×1 of conv3_x–conv5_x at the higher resolution: +%s MACs", Commas(d))
		} else {
			rsn += "; basic blocks: v1 = v1.5"
		}
		s.Rows = append(s.Rows, []string{r.label, reportedIn(a1.Spec.PaperMACs, 1e9), Commas(a1.Totals.MACs),
			diffIn(a1.Totals.MACs, a1.Spec.PaperMACs, 1e9, 3, " G"), matchCell(a1.Totals.MACs, a1.Spec.PaperMACs),
			Commas(a15.Totals.MACs), fmt.Sprintf("%.3f", r.tvGFLOPS), matchCell(a15.Totals.MACs, tv),
			Commas(a15.Totals.Params), rsn})
		models = append(models, r.v1)
		if r.v1 != r.v15 {
			models = append(models, r.v15)
		}
	}
	t.Sections = append(t.Sections, s)
	a1, _ := acct("resnet50_v1")
	a15, _ := acct("resnet50")
	t.Sections = append(t.Sections, Section{Heading: "Why ResNet-50 is 3.8 G in the paper and 4.1 G in torchvision",
		Text: []string{fmt.Sprintf("Both are exact MAC counts of different networks. The paper's bottleneck (v1) strides in its "+
			"first 1×1 conv; torchvision's (v1.5, from NVIDIA/Facebook's training recipes) strides in the 3×3, so the first "+
			"block of stages conv3_x, conv4_x and conv5_x runs its 1×1 reduction at 4× the spatial size and its 3×3 at "+
			"the output size. The difference is %s MACs in each of ResNet-50/101/152 (only those three blocks change): "+
			"%s (v1) vs %s (v1.5) for ResNet-50. v1's 3.858 G prints as 3.9 G to the paper's one decimal, so Table 1 "+
			"truncates ResNet-50 (ResNet-101 and -152 v1 round to their printed 7.6 and 11.3). Counters that also cost "+
			"BN, ReLU and pooling print 4.11–4.14 G (timm, ptflops, THOP).",
			Commas(a15.Totals.MACs-a1.Totals.MACs), Commas(a1.Totals.MACs), Commas(a15.Totals.MACs))}})
	t.Notes = notes(models...)
	return t, nil
}

// tenCrop are the papers' 10-crop top-1 errors: DenseNet Table 3 and
// ResNet Table 3 (the same protocol, so comparable).
var tenCrop = map[string]float64{
	"densenet121": 23.61, "densenet169": 22.08, "densenet201": 21.46, "densenet264": 20.80,
	"resnet50": 22.85, "resnet101": 21.75, "resnet152": 21.43,
}

func densenetTable() (*Table, error) {
	models := []string{"densenet121", "densenet169", "densenet201", "densenet264"}
	t := &Table{File: "densenet.md", Title: "DenseNet (Huang et al. 2017): params, MACs and parameter efficiency"}
	t.Intro = []string{"The paper gives ImageNet params and FLOPs only graphically (Fig. 3) and in the text " +
		"(\"DenseNet-201 with 20M parameters\"). Reported params/MACs are therefore torchvision's where it has the model, the " +
		"paper's text for DenseNet-201, and EfficientNet's Table 2 quote for DenseNet-264."}
	s := Section{Heading: "Params and MACs", Header: []string{"model", "reported params", "ours (exact)", "difference (M)", "match",
		"reported G-MACs", "ours G-MACs", "match", "reason"}, Align: "lrrrcrrcl"}
	for _, m := range models {
		a, err := acct(m)
		if err != nil {
			return nil, err
		}
		sp := a.Spec
		pm, mm := sp.PaperParams.Matches(a.Totals.Params), sp.PaperMACs.Matches(a.Totals.MACs)
		rp := reportedIn(sp.PaperParams, 1e6) + "M"
		if sp.PaperParams.Precision == 1 {
			rp = Commas(int64(sp.PaperParams.Value))
		}
		s.Rows = append(s.Rows, []string{"`" + m + "`", rp, Commas(a.Totals.Params), diffIn(a.Totals.Params, sp.PaperParams, 1e6, 2, ""),
			matchCell(a.Totals.Params, sp.PaperParams), reportedIn(sp.PaperMACs, 1e9), scaled(float64(a.Totals.MACs), 1e9, 3),
			matchCell(a.Totals.MACs, sp.PaperMACs), reason(m, pm, mm)})
	}
	t.Sections = append(t.Sections, s)

	eff := Section{Heading: "Parameter efficiency against ResNet",
		Text: []string{"Reported ImageNet top-1 error (%) with our exact params and MACs. The 10-crop errors are the papers' " +
			"(DenseNet Table 3, ResNet Table 3: the same protocol); the single-crop errors are torchvision's " +
			"(100 − acc@1; one protocol for both families; DenseNet-264 is not in torchvision). ResNet params and MACs are " +
			"torchvision's v1.5 nets; the paper's v1 nets behind the 10-crop errors have the same params and 0.23 G fewer MACs " +
			"(see resnet_table1.md)."},
		Header: []string{"model", "params (M)", "G-MACs", "reported top-1 err, 10-crop", "reported top-1 err, single crop (torchvision)"},
		Align:  "lrrrr"}
	for _, m := range []string{"resnet50", "resnet101", "resnet152", "densenet121", "densenet169", "densenet201", "densenet264"} {
		a, err := acct(m)
		if err != nil {
			return nil, err
		}
		single := Missing
		if acc, ok := reportedTop1[m]; ok && acc.Source == srcTV {
			single = fmt.Sprintf("%.2f", 100-acc.Top1)
		}
		ten := Missing
		if e, ok := tenCrop[m]; ok {
			ten = fmt.Sprintf("%.2f", e)
		}
		eff.Rows = append(eff.Rows, []string{"`" + m + "`", scaled(float64(a.Totals.Params), 1e6, 2),
			scaled(float64(a.Totals.MACs), 1e9, 2), ten, single})
	}
	pairs := Section{Heading: "DenseNet against the ResNet of similar 10-crop error",
		Text:   []string{"The paper's claim (Sec. 4.4): \"DenseNet-201 with 20M parameters model yields similar validation error as a 101-layer ResNet with more than 40M parameters\"."},
		Header: []string{"DenseNet", "ResNet", "top-1 err (DenseNet / ResNet)", "params ratio", "MACs ratio"}, Align: "llrrr"}
	for _, p := range [][2]string{{"densenet121", "resnet50"}, {"densenet169", "resnet101"}, {"densenet201", "resnet101"}, {"densenet264", "resnet152"}} {
		d, _ := acct(p[0])
		r, _ := acct(p[1])
		pairs.Rows = append(pairs.Rows, []string{"`" + p[0] + "`", "`" + p[1] + "`",
			fmt.Sprintf("%.2f / %.2f (%+.2f)", tenCrop[p[0]], tenCrop[p[1]], tenCrop[p[0]]-tenCrop[p[1]]),
			fmt.Sprintf("%.2f× (%.1fM / %.1fM)", float64(d.Totals.Params)/float64(r.Totals.Params), float64(d.Totals.Params)/1e6, float64(r.Totals.Params)/1e6),
			fmt.Sprintf("%.2f× (%.2f G / %.2f G)", float64(d.Totals.MACs)/float64(r.Totals.MACs), float64(d.Totals.MACs)/1e9, float64(r.Totals.MACs)/1e9)})
	}
	t.Sections = append(t.Sections, eff, pairs)
	t.Notes = notes(models...)
	return t, nil
}

func mobilenetTable(m *measure) (*Table, error) {
	t := &Table{File: "mobilenet_tables4_6_7.md", Title: "MobileNet v1 (Howard et al. 2017) Tables 4, 6 and 7"}
	one, many, n := m.latencyHeaders()
	t.Intro = []string{"The paper prints Million Mult-Adds (= our MACs) and Million Parameters. Accuracy is the paper's " +
		"(*reported*, ImageNet top-1). " + latencyRule}
	header := []string{"model", "name", "reported top-1 %", "reported M mult-adds", "ours M-MACs (exact)", "match",
		"reported M params", "ours params (exact)", "match", one}
	align := "llrrrcrrcr"
	if many != "" {
		header = append(header, many)
		align += "r"
	}
	header = append(header, "reason")
	align += "l"
	sec := func(heading, text string, rows [][2]string) (Section, error) {
		s := Section{Heading: heading, Text: []string{text}, Header: header, Align: align}
		for _, r := range rows {
			a, err := acct(r[0])
			if err != nil {
				return s, err
			}
			sp := a.Spec
			acc := Missing
			if ra, ok := reportedTop1[r[0]]; ok {
				acc = fmt.Sprintf("%.1f", ra.Top1)
			}
			pm, mm := sp.PaperParams.Matches(a.Totals.Params), sp.PaperMACs.Matches(a.Totals.MACs)
			c := []string{"`" + r[0] + "`", r[1], acc, reportedIn(sp.PaperMACs, 1e6), scaled(float64(a.Totals.MACs), 1e6, 1),
				matchCell(a.Totals.MACs, sp.PaperMACs), reportedIn(sp.PaperParams, 1e6), Commas(a.Totals.Params),
				matchCell(a.Totals.Params, sp.PaperParams), m.latencyCell(r[0], 1)}
			if many != "" {
				c = append(c, m.latencyCell(r[0], n))
			}
			c = append(c, reason(r[0], pm, mm))
			s.Rows = append(s.Rows, c)
		}
		return s, nil
	}
	s4, err := sec("Table 4: depthwise separable vs full convolutions", "Conv MobileNet replaces every depthwise-separable "+
		"block by one full 3×3 convolution of the same width.",
		[][2]string{{"mobilenet_v1_conv", "Conv MobileNet"}, {"mobilenet_v1_1.0_224", "MobileNet"}})
	if err != nil {
		return nil, err
	}
	full, _ := acct("mobilenet_v1_conv")
	sep, _ := acct("mobilenet_v1_1.0_224")
	s4.After = []string{fmt.Sprintf("Separable convolutions cut MACs %.1f× and parameters %.1f× for 1.1 points of reported accuracy.",
		float64(full.Totals.MACs)/float64(sep.Totals.MACs), float64(full.Totals.Params)/float64(sep.Totals.Params))}
	if r1, ok1 := m.latency("mobilenet_v1_conv", 1); ok1 {
		if r2, ok2 := m.latency("mobilenet_v1_1.0_224", 1); ok2 {
			a, _ := r1.Float("median_ms")
			b, _ := r2.Float("median_ms")
			s4.After = append(s4.After, fmt.Sprintf("*Measured* on 1 thread: the separable net is %.1f× faster (%s vs %s ms), "+
				"against %.1f× fewer MACs.", a/b, fnum(a), fnum(b), float64(full.Totals.MACs)/float64(sep.Totals.MACs)))
		}
	}
	s6, err := sec("Table 6: width multiplier (224×224)", "Width multiplier α thins every layer to int(α·channels).",
		[][2]string{{"mobilenet_v1_1.0_224", "1.0 MobileNet-224"}, {"mobilenet_v1_0.75_224", "0.75 MobileNet-224"},
			{"mobilenet_v1_0.5_224", "0.5 MobileNet-224"}, {"mobilenet_v1_0.25_224", "0.25 MobileNet-224"}})
	if err != nil {
		return nil, err
	}
	s7, err := sec("Table 7: resolution multiplier (width 1.0)", "Resolution changes MACs (∝ pixels) but no parameter.",
		[][2]string{{"mobilenet_v1_1.0_224", "1.0 MobileNet-224"}, {"mobilenet_v1_1.0_192", "1.0 MobileNet-192"},
			{"mobilenet_v1_1.0_160", "1.0 MobileNet-160"}, {"mobilenet_v1_1.0_128", "1.0 MobileNet-128"}})
	if err != nil {
		return nil, err
	}
	t.Sections = []Section{s4, s6, s7}
	t.Notes = notes("mobilenet_v1_conv", "mobilenet_v1_1.0_224", "mobilenet_v1_0.75_224", "mobilenet_v1_0.5_224",
		"mobilenet_v1_0.25_224", "mobilenet_v1_1.0_192", "mobilenet_v1_1.0_160", "mobilenet_v1_1.0_128")
	return t, nil
}

func shufflenetTable(m *measure) (*Table, error) {
	t := &Table{File: "shufflenet_table2.md", Title: "ShuffleNet v1 (Zhang et al. 2017) Table 2: complexity vs groups"}
	one, many, n := m.latencyHeaders()
	t.Intro = []string{"Table 2 labels each row by a nominal complexity shared by all g (140, 38, 13 MFLOPs; the paper's " +
		"FLOPs are mult-adds, Table 1 caption) and gives the classification error for g = 1, 2, 3, 4, 8. For 1× the per-g " +
		"complexity of Table 1 is the reported value; for 0.5× and 0.25× the row label is. The paper reports no parameters. " +
		latencyRule}
	header := []string{"model", "scale", "g", "Table 2 row (MFLOPs)", "reported MFLOPs for this g", "ours M-MACs (exact)", "match",
		"reported error %", "params (exact)", one}
	align := "lrrrrrcrrr"
	if many != "" {
		header = append(header, many)
		align += "r"
	}
	header = append(header, "reason")
	align += "l"
	s := Section{Header: header, Align: align}
	var models []string
	for _, sc := range []struct {
		scale string
		label int
	}{{"1.0", 140}, {"0.5", 38}, {"0.25", 13}} {
		for _, g := range []int{1, 2, 3, 4, 8} {
			model := fmt.Sprintf("shufflenet_v1_g%d_%sx", g, sc.scale)
			a, err := acct(model)
			if err != nil {
				return nil, err
			}
			sp := a.Spec
			errPct := Missing
			if ra, ok := reportedTop1[model]; ok {
				errPct = fmt.Sprintf("%.1f", 100-ra.Top1)
			}
			mm := sp.PaperMACs.Matches(a.Totals.MACs)
			c := []string{"`" + model + "`", strings.TrimSuffix(sc.scale, ".0") + "×", fmt.Sprint(g), fmt.Sprint(sc.label),
				reportedIn(sp.PaperMACs, 1e6), scaled(float64(a.Totals.MACs), 1e6, 1), matchCell(a.Totals.MACs, sp.PaperMACs),
				errPct, Commas(a.Totals.Params), m.latencyCell(model, 1)}
			if many != "" {
				c = append(c, m.latencyCell(model, n))
			}
			c = append(c, reason(model, mm))
			s.Rows = append(s.Rows, c)
			models = append(models, model)
		}
	}
	t.Sections = []Section{s}
	t.Notes = notes(models...)
	return t, nil
}

func efficientnetTable(m *measure) (*Table, error) {
	t := &Table{File: "efficientnet_tables2_4.md", Title: "EfficientNet (Tan & Le 2019) Tables 2 and 4"}
	t.Intro = []string{"Table 2 prints #Params and #FLOPS; by value its FLOPS are mult-adds (B0 0.39B = 0.386 G MACs), " +
		"so they compare with our MACs. Each model at its paper resolution. Top-1/top-5 are *reported* (Table 2, final arXiv version)."}
	s := Section{Heading: "Table 2: params and FLOPs, B0–B7", Header: []string{"model", "input", "reported top-1 / top-5 %",
		"reported params", "ours (exact)", "match", "reported FLOPS", "ours G-MACs (exact)", "difference", "match", "reason"},
		Align: "lrrrrcrrrcl"}
	var models []string
	for i := 0; i <= 7; i++ {
		model := fmt.Sprintf("efficientnet_b%d", i)
		a, err := acct(model)
		if err != nil {
			return nil, err
		}
		sp := a.Spec
		ra := reportedTop1[model]
		pm, mm := sp.PaperParams.Matches(a.Totals.Params), sp.PaperMACs.Matches(a.Totals.MACs)
		s.Rows = append(s.Rows, []string{fmt.Sprintf("`%s`", model), fmt.Sprintf("%d", sp.Input[1]),
			fmt.Sprintf("%.1f / %.1f", ra.Top1, ra.Top5), reportedIn(sp.PaperParams, 1e6) + "M", Commas(a.Totals.Params),
			matchCell(a.Totals.Params, sp.PaperParams), reportedIn(sp.PaperMACs, 1e9) + "B", scaled(float64(a.Totals.MACs), 1e9, 3),
			diffIn(a.Totals.MACs, sp.PaperMACs, 1e9, 3, ""), matchCell(a.Totals.MACs, sp.PaperMACs), reason(model, pm, mm)})
		models = append(models, model)
	}
	t.Sections = append(t.Sections, s)

	// Table 4: batch-1 single-core latency.
	s4 := Section{Heading: "Table 4: inference latency, batch 1, one core",
		Text: []string{"The paper measures on one core of an Intel Xeon E5-2690 (mean of 20 runs); we take our *measured* " +
			"median at threads = 1, batch = 1 (algo `auto`, else the fastest measured). Its accuracies are the arXiv-v1 values " +
			"(B1 78.8, B7 84.4; final Table 2 says 79.1 and 84.3). Different CPUs, so compare the **speedups**, not the seconds."},
		Header: []string{"model", "reported top-1 %", "reported latency", "G-MACs (exact)", "measured latency, 1 thread", "note"},
		Align:  "lrrrrl"}
	r152 := "resnet152"
	if _, ok := m.latency(r152, 1); !ok {
		if _, ok := m.latency("resnet152_v1", 1); ok {
			r152 = "resnet152_v1"
		}
	}
	lat := func(model string) (float64, string) {
		r, ok := m.latency(model, 1)
		if !ok {
			if m.run == nil {
				return 0, "not measured (no results given)"
			}
			return 0, "not measured"
		}
		ms, _ := r.Float("median_ms")
		s := fmt.Sprintf("%.3f s", ms/1000)
		if a := r.Str("algo"); a != "auto" && a != "" {
			s += " (" + a + ")"
		}
		return ms / 1000, s
	}
	mac := func(model string) string {
		a, err := acct(model)
		if err != nil {
			return Missing
		}
		return scaled(float64(a.Totals.MACs), 1e9, 2)
	}
	tR, sR := lat(r152)
	tB1, sB1 := lat("efficientnet_b1")
	_, sB7 := lat("efficientnet_b7")
	speed := func(a, b float64) string {
		if a <= 0 || b <= 0 {
			return Missing
		}
		return fmt.Sprintf("%.1f×", a/b)
	}
	s4.Rows = [][]string{
		{"ResNet-152 (`" + r152 + "`)", "77.8", "0.554 s", mac(r152), sR, "v1.5 (torchvision) preferred; the paper does not say which"},
		{"EfficientNet-B1", "78.8", "0.098 s", mac("efficientnet_b1"), sB1, ""},
		{"**speedup** ResNet-152 / B1", "", "**5.7×**", fmt.Sprintf("%.1f× fewer MACs", mustRatio(r152, "efficientnet_b1")), "**" + speed(tR, tB1) + "**",
			"the speedup is far below the MAC ratio: depthwise, SE and 1×1 layers run at a lower FLOP rate than ResNet's dense 3×3 convs"},
		{"GPipe", "84.3", "19.0 s", Missing, "not in the zoo", "557M params, not reproduced"},
		{"EfficientNet-B7", "84.4", "3.1 s", mac("efficientnet_b7"), sB7, ""},
		{"**speedup** GPipe / B7", "", "**6.1×**", Missing, Missing, "GPipe is not in the zoo"},
	}
	t.Sections = append(t.Sections, s4)
	t.Notes = notes(models...)
	return t, nil
}

func mustRatio(a, b string) float64 {
	x, err1 := acct(a)
	y, err2 := acct(b)
	if err1 != nil || err2 != nil || y.Totals.MACs == 0 {
		return 0
	}
	return float64(x.Totals.MACs) / float64(y.Totals.MACs)
}
