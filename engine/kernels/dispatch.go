package kernels

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/klauspost/cpuid/v2"
)

// EnvVar names the environment variable that chooses the kernel set when
// nothing called Select: generic, avx2, avx512 or auto (the default).
const EnvVar = "CNNBENCH_KERNELS"

var (
	// ErrUnknownSet: the name is none of generic, avx2, avx512, auto.
	ErrUnknownSet = errors.New("unknown kernel set")
	// ErrUnsupportedSet: the set exists but cannot run here, because this
	// CPU lacks a feature or the binary was built without it (purego tag,
	// another GOARCH).
	ErrUnsupportedSet = errors.New("kernel set not available")
)

// setError is a Lookup failure: its text reads as one sentence, and it
// matches ErrUnknownSet or ErrUnsupportedSet with errors.Is.
type setError struct {
	kind error
	msg  string
}

func (e *setError) Error() string { return e.msg }
func (e *setError) Unwrap() error { return e.kind }

// cpu is the cpuid view of this machine. cpuid detects in its own init;
// this package only reads it when a set's support is first asked for.
func cpu() *cpuid.CPUInfo { return &cpuid.CPU }

// Compiled lists every kernel set built into this binary, usable here or
// not, generic first.
func Compiled() []string {
	out := make([]string, len(compiled))
	for i, s := range compiled {
		out[i] = s.Name
	}
	return out
}

// Available lists the kernel sets this binary can run on this CPU, generic
// first and the best last.
func Available() []string {
	var out []string
	for _, s := range compiled {
		if s.Supported() {
			out = append(out, s.Name)
		}
	}
	return out
}

// Names lists the kernel sets usable here (the same as Available), so that a
// loop over Names never runs a set the CPU lacks.
func Names() []string { return Available() }

// Lookup returns the kernel set registered under name if this binary and CPU
// can run it. The error wraps ErrUnknownSet for a name that is no kernel set
// and ErrUnsupportedSet for one that cannot run here, saying why.
func Lookup(name string) (*Set, error) {
	for _, s := range compiled {
		if s.Name == name {
			if !s.Supported() {
				return nil, s.missing()
			}
			return s, nil
		}
	}
	for _, n := range knownNames {
		if n == name {
			return nil, &setError{ErrUnsupportedSet, fmt.Sprintf("kernel set %s is not compiled into this build (purego tag or GOARCH; have %s)",
				name, strings.Join(Available(), ", "))}
		}
	}
	return nil, &setError{ErrUnknownSet, fmt.Sprintf("unknown kernel set %q (want %s or auto)", name, strings.Join(knownNames, ", "))}
}

// Best returns the preferred set this CPU can run: avx512 if it has
// AVX512F, else avx2 if it has AVX2 and FMA3, else generic.
func Best() *Set {
	for i := len(compiled) - 1; i > 0; i-- {
		if compiled[i].Supported() {
			return compiled[i]
		}
	}
	return Generic
}

var (
	active  atomic.Pointer[Set]
	envOnce sync.Once
	envErr  error
)

// Select makes the named set the active one for every later GEMM that does
// not name its own set. "" and "auto" choose Best. An unknown name or a set
// the CPU lacks is an error, and the active set is left unchanged.
func Select(name string) error {
	s, err := resolve(name)
	if err != nil {
		return err
	}
	active.Store(s)
	return nil
}

func resolve(name string) (*Set, error) {
	if name == "" || name == "auto" {
		return Best(), nil
	}
	return Lookup(name)
}

// Current returns the active set. Until Select is called it is chosen once,
// on first use, from $CNNBENCH_KERNELS (or Best when unset); if that names a
// set that cannot run here, Current returns the error.
func Current() (*Set, error) {
	if s := active.Load(); s != nil {
		return s, nil
	}
	envOnce.Do(func() {
		name := os.Getenv(EnvVar)
		s, err := resolve(name)
		if err != nil {
			envErr = fmt.Errorf("%s=%s: %w", EnvVar, name, err)
			return
		}
		active.CompareAndSwap(nil, s)
	})
	if s := active.Load(); s != nil {
		return s, nil
	}
	return nil, envErr
}

// Active returns the set in use (see Current). It is cheap (one atomic load
// after the first call) and read at every GEMM call, so a later Select takes
// effect at once. It panics if $CNNBENCH_KERNELS names a set this CPU or
// build cannot run: silently running another set would mislabel results.
func Active() *Set {
	if s := active.Load(); s != nil {
		return s
	}
	s, err := Current()
	if err != nil {
		panic("kernels: " + err.Error())
	}
	return s
}
