package cnnbench_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// hole stands for a value only known at run time (a %s verb, a variable).
const hole = "\x00"

var (
	keyRe        = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	verbRe       = regexp.MustCompile(`%[-+# 0]*(\d+|\*)?(\.(\d+|\*))?[a-zA-Z]`)
	trailingNum  = regexp.MustCompile(`-\d+$`)
	valueCharsRe = regexp.MustCompile(`^[A-Za-z0-9_.+:=x-]+$`)
)

// checkSegments checks a sub-benchmark name template: slash-separated
// key=value segments, keys lower-case literals, values non-empty without
// spaces and not ending in -<digits> (which `go test` appends for
// GOMAXPROCS, so benchstat would misread it). Holes are run-time values.
func checkSegments(name string) error {
	for _, seg := range strings.Split(name, "/") {
		key, val, ok := strings.Cut(seg, "=")
		switch {
		case !ok:
			return fmt.Errorf("segment %q is not key=value", show(seg))
		case !keyRe.MatchString(key):
			return fmt.Errorf("segment %q: key %q is not a lower-case literal", show(seg), show(key))
		case val == "":
			return fmt.Errorf("segment %q has an empty value", show(seg))
		case strings.ContainsAny(val, " \t\n"):
			return fmt.Errorf("segment %q: value contains white space", show(seg))
		case trailingNum.MatchString(val):
			return fmt.Errorf("segment %q: value ends in -<digits>, which go test appends for GOMAXPROCS", show(seg))
		}
	}
	return nil
}

func show(s string) string { return strings.ReplaceAll(s, hole, "…") }

// nameEvaluator turns the name argument of a b.Run call into a template
// with holes, resolving literals, string concatenation, fmt.Sprintf formats
// and identifiers assigned in the enclosing function or declared at
// package level.
type nameEvaluator struct {
	pkgValues map[string]ast.Expr // package-level const/var of the directory
}

func (ev *nameEvaluator) eval(e ast.Expr, body *ast.BlockStmt, before token.Pos, depth int) string {
	if depth > 8 {
		return hole
	}
	switch x := e.(type) {
	case *ast.BasicLit:
		if x.Kind == token.STRING {
			if s, err := strconv.Unquote(x.Value); err == nil {
				return s
			}
		}
		return hole
	case *ast.ParenExpr:
		return ev.eval(x.X, body, before, depth+1)
	case *ast.BinaryExpr:
		if x.Op == token.ADD {
			return ev.eval(x.X, body, before, depth+1) + ev.eval(x.Y, body, before, depth+1)
		}
	case *ast.CallExpr:
		if sel, ok := x.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Sprintf" && len(x.Args) > 0 {
			if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "fmt" {
				f := ev.eval(x.Args[0], body, before, depth+1)
				f = verbRe.ReplaceAllString(strings.ReplaceAll(f, "%%", "\x01"), hole)
				return strings.ReplaceAll(f, "\x01", "%")
			}
		}
	case *ast.Ident:
		if rhs := lastAssignment(body, x.Name, before); rhs != nil {
			return ev.eval(rhs, body, rhs.Pos(), depth+1)
		}
		if rhs, ok := ev.pkgValues[x.Name]; ok {
			return ev.eval(rhs, nil, token.NoPos, depth+1)
		}
	}
	return hole
}

// lastAssignment finds the last `name := expr`, `name = expr` or
// `var name = expr` in body before pos.
func lastAssignment(body *ast.BlockStmt, name string, before token.Pos) ast.Expr {
	if body == nil {
		return nil
	}
	var found ast.Expr
	ast.Inspect(body, func(n ast.Node) bool {
		if n == nil || n.Pos() >= before {
			return n != nil && n.Pos() < before
		}
		switch s := n.(type) {
		case *ast.AssignStmt:
			if len(s.Lhs) == len(s.Rhs) {
				for i, l := range s.Lhs {
					if id, ok := l.(*ast.Ident); ok && id.Name == name {
						found = s.Rhs[i]
					}
				}
			}
		case *ast.ValueSpec:
			for i, id := range s.Names {
				if id.Name == name && i < len(s.Values) {
					found = s.Values[i]
				}
			}
		}
		return true
	})
	return found
}

// isTestingB reports whether a field type is *testing.B.
func isTestingB(t ast.Expr) bool {
	st, ok := t.(*ast.StarExpr)
	if !ok {
		return false
	}
	sel, ok := st.X.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	pkg, ok := sel.X.(*ast.Ident)
	return ok && pkg.Name == "testing" && sel.Sel.Name == "B"
}

// benchRun is one b.Run call found in the source.
type benchRun struct {
	pos      string
	template string
}

// findBenchRuns parses every *_test.go of the module (skipping testdata,
// vendor and _/. folders, as the go tool does) and evaluates the name of
// every Run call on a *testing.B.
func findBenchRuns(t *testing.T, root string) []benchRun {
	t.Helper()
	fset := token.NewFileSet()
	byDir := map[string][]*ast.File{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			n := d.Name()
			if path != root && (strings.HasPrefix(n, ".") || strings.HasPrefix(n, "_") || n == "testdata" || n == "vendor") {
				return filepath.SkipDir
			}
			if path != root {
				if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
					return filepath.SkipDir // another module
				}
			}
			return nil
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		byDir[filepath.Dir(path)] = append(byDir[filepath.Dir(path)], f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var runs []benchRun
	for _, files := range byDir {
		ev := &nameEvaluator{pkgValues: map[string]ast.Expr{}}
		for _, f := range files {
			for _, decl := range f.Decls {
				if g, ok := decl.(*ast.GenDecl); ok && (g.Tok == token.CONST || g.Tok == token.VAR) {
					for _, spec := range g.Specs {
						vs := spec.(*ast.ValueSpec)
						for i, id := range vs.Names {
							if i < len(vs.Values) {
								ev.pkgValues[id.Name] = vs.Values[i]
							}
						}
					}
				}
			}
		}
		for _, f := range files {
			for _, decl := range f.Decls {
				fd, ok := decl.(*ast.FuncDecl)
				if !ok || fd.Body == nil {
					continue
				}
				// Names of *testing.B parameters anywhere in the function.
				bNames := map[string]bool{}
				ast.Inspect(fd, func(n ast.Node) bool {
					var ft *ast.FuncType
					switch x := n.(type) {
					case *ast.FuncDecl:
						ft = x.Type
					case *ast.FuncLit:
						ft = x.Type
					}
					if ft != nil && ft.Params != nil {
						for _, p := range ft.Params.List {
							if isTestingB(p.Type) {
								for _, id := range p.Names {
									bNames[id.Name] = true
								}
							}
						}
					}
					return true
				})
				ast.Inspect(fd.Body, func(n ast.Node) bool {
					call, ok := n.(*ast.CallExpr)
					if !ok || len(call.Args) != 2 {
						return true
					}
					sel, ok := call.Fun.(*ast.SelectorExpr)
					if !ok || sel.Sel.Name != "Run" {
						return true
					}
					recv, ok := sel.X.(*ast.Ident)
					if !ok || !bNames[recv.Name] {
						return true
					}
					rel, _ := filepath.Rel(root, fset.Position(call.Pos()).Filename)
					runs = append(runs, benchRun{
						pos:      fmt.Sprintf("%s:%d", rel, fset.Position(call.Pos()).Line),
						template: ev.eval(call.Args[0], fd.Body, call.Pos(), 0),
					})
					return true
				})
			}
		}
	}
	return runs
}

// TestBenchmarkNamesFollowKeyValueScheme reads every *_test.go in the
// repository and checks that each sub-benchmark name (b.Run) is built from
// key=value segments (DESIGN.md §7), so that benchstat can pivot on them
// (`benchstat -col /kernels`). Values only known at run time are checked
// for this package's own names by TestModelBenchmarkNamesAreKeyValue.
func TestBenchmarkNamesFollowKeyValueScheme(t *testing.T) {
	runs := findBenchRuns(t, ".")
	if len(runs) == 0 {
		t.Fatal("found no b.Run calls at all: the scan is broken")
	}
	own := false
	for _, r := range runs {
		if strings.HasPrefix(r.pos, "bench_test.go:") {
			own = true
		}
		if err := checkSegments(r.template); err != nil {
			t.Errorf("%s: sub-benchmark name %q: %v (build names as \"key=value/...\" literals or fmt.Sprintf formats)",
				r.pos, show(r.template), err)
		}
	}
	if !own {
		t.Error("the scan did not find BenchmarkModel's b.Run")
	}
}

// TestCheckSegmentsRejectsBadNames keeps the checker honest.
func TestCheckSegmentsRejectsBadNames(t *testing.T) {
	for _, bad := range []string{"resnet50", "net=resnet50/im2col", "Net=x", "net=", "net=a b",
		"net=resnet50/threads-4", "batch=b-32", hole, "net=" + hole + "/" + hole} {
		if checkSegments(bad) == nil {
			t.Errorf("%q accepted", show(bad))
		}
	}
	for _, good := range []string{"net=resnet50/algo=winograd-f4x3/kernels=avx2/batch=1/threads=2",
		"m=" + hole + "/n=" + hole, "kernels=" + hole, "layer=layer1.0.conv2"} {
		if err := checkSegments(good); err != nil {
			t.Errorf("%q rejected: %v", show(good), err)
		}
	}
	ev := &nameEvaluator{pkgValues: map[string]ast.Expr{}}
	e, _ := parser.ParseExpr(`fmt.Sprintf("k=%d/n=%-4.1f/p=100%%", 1, 2) + "/x=" + y`)
	if got := ev.eval(e, nil, token.NoPos, 0); got != "k=\x00/n=\x00/p=100%/x=\x00" {
		t.Errorf("template %q", show(got))
	}
}

// TestModelBenchmarkNamesAreKeyValue checks the actual names of this
// package's benchmarks, values included, for the default and full sets.
func TestModelBenchmarkNamesAreKeyValue(t *testing.T) {
	for _, mode := range []string{"", "full"} {
		t.Setenv(EnvBench, mode)
		cases, err := modelCases()
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			name := fmt.Sprintf("net=%s/input=%s/algo=%s/kernels=%s/batch=%d/threads=%d",
				c.Model, c.Input, c.Algo, c.Kernels, c.Batch, c.Threads)
			if err := checkSegments(name); err != nil {
				t.Errorf("%s: %v", name, err)
			}
			for _, seg := range strings.Split(name, "/") {
				if _, v, _ := strings.Cut(seg, "="); !valueCharsRe.MatchString(v) {
					t.Errorf("%s: value %q has characters outside [A-Za-z0-9_.+:=x-]", name, v)
				}
			}
			// `go test -bench ./...` at the root means -bench='./...': the
			// pattern's elements "." and "..." must match the first two
			// name elements (later elements are unconstrained).
			full := "BenchmarkModel/" + name
			if !benchMatches("./...", full) || !benchMatches(".", full) {
				t.Errorf("%s does not match -bench ./... and -bench .", full)
			}
		}
	}
}

// benchMatches mimics testing's -bench matching: the pattern is split at
// slashes and element i must match name element i (a regexp search).
func benchMatches(pattern, name string) bool {
	pe, ne := strings.Split(pattern, "/"), strings.Split(name, "/")
	for i, p := range pe {
		if i >= len(ne) {
			break
		}
		if !regexp.MustCompile(p).MatchString(ne[i]) {
			return false
		}
	}
	return true
}

// TestGoTestBenchDotSlashDotDotDotRunsModels runs, for real, what a user
// types at the repository root: `go test -bench ./...` (narrowed to LeNet-5
// and one pass per benchmark), and checks that the model benchmarks run
// and report img/s and GFLOP/s.
func TestGoTestBenchDotSlashDotDotDotRunsModels(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the benchmarks in a child go test")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	cmd := exec.Command(goBin, "test", "-run", "^$", "-bench", "./...", "-benchtime", "1x")
	cmd.Env = append(os.Environ(), EnvBench+"=lenet5")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go test -bench ./...: %v\n%s", err, out)
	}
	s := string(out)
	for _, want := range []string{"BenchmarkModel/net=lenet5/input=1x32x32/algo=im2col/kernels=", "img/s", "GFLOP/s"} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
}
