// Command cnnbench is the one CLI of the suite: it lists and summarises the
// model zoo, runs inference, exports deterministic weights for reference
// goldens and reports what the kernel dispatch sees. See DESIGN.md §5.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

type command struct {
	name, summary string
	run           func(args []string, stdout io.Writer) error
}

var commands = []command{
	{"models", "list every registered model with exact params and MACs", runModels},
	{"summary", "per-layer table of one model (name, type, output shape, params, MACs, algorithm)", runSummary},
	{"infer", "run one forward pass and write the logits as .npy", runInfer},
	{"train", "train a model on a data set (default recipe per model/data set), with checkpoints and resume", runTrain},
	{"eval", "top-1/top-5 accuracy of weights on a data set, optionally as a result row", runEval},
	{"export", "write a model's deterministic weights (safetensors) and input (.npy)", runExport},
	{"layers", "compare every convolution algorithm on every conv shape of chosen models (and auto's loss vs the best)", runLayers},
	{"cpuinfo", "what the kernel dispatch sees: CPU, features, kernel sets", runCPUInfo},
	{"report", "Markdown tables (paper vs ours) and PNG/SVG figures from results", runReport},
	{"bench", "the benchmark matrix: latency of models × algorithms × kernels × threads × batch, resumable", runBench},
	{"compare", "the same cases across runs, machines or frameworks: ratios with spread", runCompare},
}

// usageError marks errors caused by how the command was called (exit 2).
type usageError struct{ error }

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: cnnbench <command> [flags]   (cnnbench <command> -h for a command's flags)")
	fmt.Fprintln(w, "\ncommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command and returns the exit status: 0 success, 1 error,
// 2 bad usage, 3 an internal error (a bug), always as one line on stderr.
func run(args []string, stdout, stderr io.Writer) (status int) {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	name := args[0]
	var cmd *command
	for k := range commands {
		if commands[k].name == name {
			cmd = &commands[k]
		}
	}
	if cmd == nil {
		fmt.Fprintf(stderr, "cnnbench: unknown command %q (have %s)\n", name, commandNames())
		return 2
	}
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "cnnbench %s: internal error: %v\n", name, r)
			status = 3
		}
	}()
	err := cmd.run(args[1:], stdout)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	}
	fmt.Fprintf(stderr, "cnnbench %s: %v\n", name, oneLine(err))
	var ue usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

func commandNames() string {
	names := make([]string, len(commands))
	for i, c := range commands {
		names[i] = c.name
	}
	return strings.Join(names, ", ")
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

// newFlags returns a flag set that reports errors instead of exiting and
// prints its usage to stdout on -h.
func newFlags(name, synopsis string, stdout io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintf(stdout, "usage: cnnbench %s %s\n\nflags:\n", name, synopsis)
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// parse parses flags, turning flag errors into usage errors and refusing
// stray positional arguments.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) { // the flag package has printed the usage
			return err
		}
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}
