// Package architectures is the model zoo: one file per family, each
// registering its variants with a builder that takes Options (input
// resolution, number of classes). Layer names are torchvision's
// state_dict() prefixes wherever torchvision has the model, so a converted
// torchvision checkpoint loads without renaming.
//
// Every registered variant carries the numbers the paper (or torchvision)
// reports for it, so the accounting can be checked against them.
package architectures
