package datasets

import (
	"errors"
	"fmt"
)

// Errors that loaders wrap; test for them with errors.Is. The message of the
// wrapping error names the file and says what is wrong with it.
var (
	ErrTruncated     = errors.New("truncated")
	ErrBadMagic      = errors.New("bad magic")
	ErrBadType       = errors.New("bad data type")
	ErrBadDims       = errors.New("bad dimensions")
	ErrCountMismatch = errors.New("count mismatch")
	ErrLabelRange    = errors.New("label out of range")
	ErrBadGzip       = errors.New("bad gzip")
	ErrTrailingBytes = errors.New("trailing bytes")
	ErrBadImage      = errors.New("unreadable image")
	ErrHashMismatch  = errors.New("hash mismatch")
	ErrNotFound      = errors.New("data not found")
	ErrUnreadable    = errors.New("unreadable")
	ErrBadOption     = errors.New("bad option")
)

// FileError is the error of every loader in this package: the file (or
// folder), the kind of problem (one of the Err values above) and a message.
type FileError struct {
	File string // path of the offending file, or the name given to a decoder
	Kind error  // ErrTruncated, ErrBadMagic, ...
	Msg  string // what was found and what was expected
	Err  error  // underlying error (I/O, gzip, image decoder), if any
}

func (e *FileError) Error() string {
	s := e.File + ": " + e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap lets errors.Is match both the kind and the underlying error.
func (e *FileError) Unwrap() []error {
	if e.Err != nil {
		return []error{e.Kind, e.Err}
	}
	return []error{e.Kind}
}

func fileErr(file string, kind error, err error, format string, args ...any) error {
	return &FileError{File: file, Kind: kind, Msg: fmt.Sprintf(format, args...), Err: err}
}
