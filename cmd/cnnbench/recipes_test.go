package main

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/cnnbench/cnnbench/architectures"
)

// Tests of the default recipes (recipes.go) that train_test.go does not cover.

// TestFashionMNISTComparisonSharesOneBudget proves every model of the family
// comparison gets the same, valid recipe on fashion-mnist (the one fixed
// budget), that -print-recipe shows it, and that the paper's LeNet-5 keeps
// the RBF/MAP recipe its output layer needs.
func TestFashionMNISTComparisonSharesOneBudget(t *testing.T) {
	for _, m := range architectures.FashionMNISTComparison() {
		r := defaultRecipe(m.Name, "fashion-mnist")
		if !reflect.DeepEqual(r, fashionMNISTBudget) {
			t.Errorf("%s: recipe %+v, want the comparison's budget %+v", m.Name, r, fashionMNISTBudget)
		}
		if err := r.validate(); err != nil {
			t.Errorf("%s: %v", m.Name, err)
		}
	}
	code, stdout, stderr := trainCLI(t, "train", "-model", "resnet56_fmnist", "-dataset", "fashion-mnist", "-print-recipe")
	if code != 0 {
		t.Fatal(stderr)
	}
	var printed recipe
	if err := json.Unmarshal([]byte(stdout), &printed); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(printed, fashionMNISTBudget) {
		t.Errorf("-print-recipe %+v, want %+v", printed, fashionMNISTBudget)
	}
	if r := defaultRecipe("lenet5_paper", "fashion-mnist"); r.Loss != "rbf-map" || r.validate() != nil {
		t.Errorf("lenet5_paper on fashion-mnist: %+v", r)
	}
}
