module github.com/cnnbench/cnnbench

go 1.26
