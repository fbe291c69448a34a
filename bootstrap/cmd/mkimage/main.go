// Command mkimage builds the base image from the core world's Self sources:
// it builds a world in a temporary directory and exports it. `make images`
// runs it; a test in package images checks that the stored image is what the
// sources build.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"psyche/bootstrap"
	"psyche/world"
)

func main() {
	out := flag.String("o", "images/base.img", "the image file to write")
	flag.Parse()
	if err := build(*out); err != nil {
		fmt.Fprintln(os.Stderr, "mkimage:", err)
		os.Exit(1)
	}
}

func build(out string) error {
	dir, err := os.MkdirTemp("", "psyche-mkimage-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	w, err := world.Create(dir+"/w", bootstrap.Build, io.Discard)
	if err != nil {
		return err
	}
	defer w.Close()
	_, err = w.Export(out, nil)
	return err
}
