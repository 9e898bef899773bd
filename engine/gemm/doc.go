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
// Multiplication", ACM TOMS 2008; BLIS), with the Blocking sizes:
//
//	pack all of A into MR-tall panels over all of k  (once per call, split
//	                                                   over threads; none when prepacked;
//	                                                   kernels.Set.PackA when the set has it)
//	split C into one region per thread (row tiles × column panels)
//	per thread, on its region:
//	  for jc over its columns in NC:    B block KC×NC: L2/L3
//	    for pc over k in KC:            (KC blocks balanced: kcStep)
//	      for ic over its rows in MC:   A block MC×KC: L2 (MC blocks balanced)
//	        for jr over the block in NR:  B panel KC×NR: L1, packed just before
//	                                      its first use (kernels.Set.PackB) into
//	                                      the thread's own buffer
//	          for ir in MR: micro-kernel MR×NR (registers), a strip of tiles
//	                        per call (kernels.Set.SgemmStrip)
//
// Packed layouts (see engine/kernels): an A panel is k×MR with the MR values of
// one k step contiguous, a B panel is k×NR likewise; the last partial panel is
// zero-padded. Because a panel is stored step by step, the KC slice of a panel
// is contiguous, so an A packed once over all of k (PackA) serves any KC.
// Edge tiles of C go through kernels.Set.SgemmEdge (a code path per row count
// and masked columns) or, for sets without it, the same micro-kernel on an
// MR×NR scratch tile.
//
// Block sizes come from cpuid's cache sizes and the set's tile
// (CacheBlocking): KC so that a KC×NR B panel fills half of L1D, MC so that
// an MC×KC A block fills a quarter of L2, NC so that a KC×NC B block fills
// an eighth of L3. Config.Blocking overrides them for experiments.
//
// Narrow C. The register tile is MR rows × NR columns, NR a multiple of the
// vector width, so a C with few columns (ResNet-50's 7×7 layers: n = 49,
// 49 of 64 columns used) wastes much of it. SgemmPacked then computes
// Cᵀ = op(B)ᵀ·Aᵀ instead (sets with kernels.Set.SgemmStripT), with Aᵀ's
// NR-wide panels built once per PackedA. Every element is the same FMA chain
// in both orientations, so the choice never changes a result.
//
// Prepacked A. Convolution weights are constant, so PackA packs them once at
// plan time and SgemmPacked multiplies by them without repacking.
//
// Workspace. The caller passes the scratch buffer (WorkspaceSize, or
// PackedA.WorkspaceSize for SgemmPacked) so that conv plans can report it; nil
// makes the call allocate. The size does not depend on the thread count: the
// packed-B part is shared out between the threads (at least minBPanels
// panels, so up to that many threads always get one).
//
// Threads and determinism. Work is split over blocks of C (ranges of MR-row
// tiles × NR-column panels) and the packing of A over its panels; the k loop
// is never split, every element of C is one FMA chain per KC block in
// ascending k whatever its tile position, orientation or thread, and C is
// accumulated once per KC block. Results are therefore bitwise identical for
// any thread count with the same kernel set and KC.
//
// Errors. Every argument of these functions comes from code, not from users,
// so bad dimensions, leading dimensions or short buffers panic with a message
// naming the function ("gemm.Sgemm: ...").
package gemm
