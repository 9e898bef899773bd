package main

import (
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnnbench/cnnbench/architectures"
	"github.com/cnnbench/cnnbench/datasets"
	"github.com/cnnbench/cnnbench/engine/ops"
	"github.com/cnnbench/cnnbench/engine/tensor"
	"github.com/cnnbench/cnnbench/engine/tensorio"
)

// writeImageFolder writes an ImageNet-style val folder: root/val/<synset>/
// with JPEG and PNG images of several sizes (both orientations, one smaller
// than the crop), as docs/imagenet-eval.md tells users to lay out ImageNet.
func writeImageFolder(t *testing.T, root string, classes []string) {
	t.Helper()
	sizes := [][2]int{{320, 260}, {250, 400}, {200, 180}}
	for ci, class := range classes {
		dir := filepath.Join(root, "val", class)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for k, sz := range sizes {
			img := image.NewRGBA(image.Rect(0, 0, sz[0], sz[1]))
			for y := 0; y < sz[1]; y++ {
				for x := 0; x < sz[0]; x++ {
					img.Set(x, y, color.RGBA{uint8(x*(ci+1) + 7*k), uint8(y * (3 - ci)), uint8((x ^ y) + 40*ci), 255})
				}
			}
			name := filepath.Join(dir, "ILSVRC2012_val_0000000"+string(rune('1'+k)))
			f, err := os.Create(name + map[bool]string{true: ".JPEG", false: ".png"}[k != 1])
			if err != nil {
				t.Fatal(err)
			}
			if k != 1 {
				err = jpeg.Encode(f, img, &jpeg.Options{Quality: 90})
			} else {
				err = png.Encode(f, img)
			}
			if err != nil {
				t.Fatal(err)
			}
			f.Close()
		}
	}
}

// TestEvalTorchvisionStyleCheckpointOnImageFolder walks the real-checkpoint
// path of docs/imagenet-eval.md on generated data: weights with
// torchvision's keys and no cnnbench metadata (as the converter writes
// them), an ImageNet-style val folder of JPEG and PNG files, `cnnbench eval
// -dataset folder`; the top-1/top-5 it reports must be those of the same
// weights run image by image through the torchvision preprocessing
// (datasets.Preprocess 256 → 224, ImageNet mean/std) and the unfused graph.
func TestEvalTorchvisionStyleCheckpointOnImageFolder(t *testing.T) {
	if testing.Short() {
		t.Skip("eval of 9 images at 224×224: skipped in -short")
	}
	dir := t.TempDir()
	classes := []string{"n01440764", "n01443537", "n01484850"}
	writeImageFolder(t, dir, classes)

	const model = "mobilenet_v1"
	g, err := architectures.Build(model, architectures.Options{Classes: len(classes)})
	if err != nil {
		t.Fatal(err)
	}
	g.Init(11)
	var named []tensorio.Named
	for _, e := range g.State() {
		named = append(named, tensorio.Named{Name: e.Key, T: e.T})
	}
	weights := filepath.Join(dir, model+".safetensors")
	if err := tensorio.WriteSafetensors(weights, named, nil); err != nil {
		t.Fatal(err)
	}

	code, stdout, stderr := cli(t, "eval", "-model", model, "-weights", weights, "-dataset", "folder",
		"-data", dir, "-split", "val", "-norm", "imagenet", "-batch", "4", "-threads", "2", "-format", "json")
	if code != 0 {
		t.Fatalf("eval exit %d: %s", code, stderr)
	}
	var res evalResult
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("eval -format json: %v\n%s", err, stdout)
	}
	if res.Images != 9 || res.Split != "val" {
		t.Fatalf("eval saw %d images of split %q, want 9 of val", res.Images, res.Split)
	}

	// The same computation by hand.
	f, err := datasets.OpenImageFolder(filepath.Join(dir, "val"),
		datasets.Preprocess{Resize: 256, Crop: 224, Norm: datasets.ImageNetNorm})
	if err != nil {
		t.Fatal(err)
	}
	top1, top5 := 0, 0
	x := tensor.New(1, 3, 224, 224)
	for i := 0; i < f.Len(); i++ {
		label, err := f.Get(i, x.Data)
		if err != nil {
			t.Fatal(err)
		}
		y, err := g.Forward(&ops.Context{Threads: 1}, x)
		if err != nil {
			t.Fatal(err)
		}
		rank := 0
		for _, v := range y.Data {
			if v > y.Data[label] {
				rank++
			}
		}
		if rank == 0 {
			top1++
		}
		if rank < 5 {
			top5++
		}
	}
	want1, want5 := 100*float64(top1)/9, 100*float64(top5)/9
	if math.Abs(res.Top1-want1) > 1e-3 || math.Abs(res.Top5-want5) > 1e-3 { // eval prints 4 decimals
		t.Fatalf("eval top-1 %.4f%% top-5 %.4f%%, by hand %.4f%% %.4f%%", res.Top1, res.Top5, want1, want5)
	}

	// A checkpoint of another model is refused with the file named.
	code, _, stderr = cli(t, "eval", "-model", "resnet18", "-weights", weights, "-dataset", "folder",
		"-data", dir, "-split", "val")
	if code == 0 || !strings.Contains(stderr, weights) {
		t.Fatalf("resnet18 with mobilenet_v1 weights: exit %d, stderr %q", code, stderr)
	}
}
