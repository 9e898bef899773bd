// Package gemm is the blocked single-precision matrix multiply (SGEMM) under
// the im2col convolution and the dense layers: a GotoBLAS-style driver that
// packs A and B into panels and runs the micro-kernels of an engine/kernels
// Set over them.
//
// All matrices are row-major. Sgemm computes
//
//	C = alpha·op(A)·op(B) + beta·C,   op(A) m×k, op(B) k×n, C m×n
//
// with op(X) = X or Xᵀ as in BLAS (cblas_sgemm with CblasRowMajor). When beta
// is 0, C is not read, so NaN or garbage in C never leaks into the result.
//
// Loop nest (Goto & van de Geijn, "Anatomy of High-Performance Matrix
// Multiplication", ACM TOMS 2008), with the Blocking sizes:
//
//	for jc over n in NC:                 B block KC×NC: L3
//	  for pc over k in KC:
//	    pack B[pc:pc+KC, jc:jc+NC] into NR-wide panels   (shared by all threads)
//	    pack A[:, pc:pc+KC] into MR-tall panels          (unless prepacked)
//	    for ic over m in MC:             A block MC×KC: L2
//	      for jr over the block in NR:   B panel KC×NR: L1
//	        for ir over the block in MR: micro-kernel MR×NR (registers)
//
// Packed layouts (see engine/kernels): an A panel is k×MR with the MR values of
// one k step contiguous, a B panel is k×NR likewise; the last partial panel is
// zero-padded. Because a panel is stored step by step, the KC slice of a panel
// is contiguous, so an A packed once over all of k (PackA) serves any KC.
// Edge tiles of C go through the same micro-kernel into an MR×NR scratch tile.
//
// Prepacked A. Convolution weights are constant, so PackA packs them once at
// plan time and SgemmPacked multiplies by them without repacking.
//
// Workspace. The caller passes the scratch buffer (WorkspaceSize, or
// PackedA.WorkspaceSize for SgemmPacked) so that conv plans can report it; nil
// makes the call allocate. The size does not depend on the thread count.
//
// Threads and determinism. Packing is split over panels, the multiply over
// blocks of C (rows of MR-tiles × columns of NR-panels); the k loop is never
// split, and every element of C is summed in the same order whatever its tile
// position. Results are therefore bitwise identical for any thread count.
//
// Errors. Every argument of these functions comes from code, not from users,
// so bad dimensions, leading dimensions or short buffers panic with a message
// naming the function ("gemm.Sgemm: ...").
package gemm
