// Package tensorio reads and writes the two file formats cnnbench exchanges
// tensors in: safetensors for weights (state dicts keyed like torchvision's
// state_dict()) and NumPy .npy for single tensors (inputs and logits).
//
// Both decoders are strict and never panic on bad input. Every problem comes
// back as a one-line *FormatError whose text starts with the file name given
// to the decoder (the path for the Read functions), for example
//
//	resnet50.safetensors: truncated: header promises 102228128 bytes of data, file has 4096
//	x.npy: dtype '<i8' not supported, want '<f4' (float32)
//
// Errors for files that end too early also match io.ErrUnexpectedEOF with
// errors.Is. Sizes are checked against the file length before anything large
// is allocated, so a hostile header cannot make a decoder allocate much more
// than the file holds.
//
// # safetensors
//
// DecodeSafetensors and ReadSafetensors return the F32 tensors in file order
// (sorted by data offset) together with the optional "__metadata__" map.
// I64 tensors whose name ends in "num_batches_tracked" (torchvision's
// BatchNorm counter) are validated and skipped; any other dtype is an error
// naming the tensor. The data buffer must be covered exactly: no overlaps, no
// gaps, no trailing bytes. Duplicate JSON keys and unknown entry fields are
// rejected. Shapes have at most MaxDims dimensions and the JSON header at
// most MaxSafetensorsHeader bytes.
//
// EncodeSafetensors and WriteSafetensors write F32 tensors in the order given,
// with the header keys in the same order ("__metadata__" first, its keys
// sorted), the header padded with spaces to a multiple of 8 bytes, as the
// reference implementation does. NaN and Inf are written as they are; use
// CheckFinite to reject them when loading.
//
// # NumPy .npy
//
// DecodeNPY and ReadNPY accept format versions 1.0, 2.0 and 3.0 with a C
// order little-endian '<f4' array; '<f8' arrays are accepted too and rounded
// to float32 (values beyond the float32 range become ±Inf). The header dict
// is parsed as the Python literal it is (Python 2 "3L" integers included);
// the header padding is not required to be aligned. Fortran order,
// big-endian and other dtypes are rejected.
//
// EncodeNPY and WriteNPY write version 1.0 '<f4' files byte for byte as
// numpy.save does, header padded with spaces so the data starts at a
// multiple of 64 bytes.
//
// Write functions replace the target atomically (temporary file in the same
// directory, then rename), so a reader never sees a half-written file.
package tensorio
