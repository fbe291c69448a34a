// Package bootstrap holds the core world in Self source (the *.self files
// beside this one, loaded in name order) and builds a new world from it: the
// VM makes the skeleton of well-known objects, then each file runs as a
// top-level evaluation in the lobby (its statements one after another, as
// psyche run runs a program), committed one by one.
package bootstrap

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"

	"psyche/vm"
)

//go:embed *.self
var sources embed.FS

// sourceDir is where the sources are in the repository: the core world's
// methods name their places in it (bootstrap/40-string.self:12:5).
const sourceDir = "bootstrap"

// Files answers the core world's source files, in load order.
func Files() []string {
	names, _ := fs.Glob(sources, "*.self")
	sort.Strings(names)
	return names
}

// Build fills an empty heap with the core world.
func Build(v *vm.VM) error {
	v.BuildSkeleton()
	if err := v.Heap().Commit(); err != nil {
		return err
	}
	for _, name := range Files() {
		src, err := sources.ReadFile(name)
		if err != nil {
			return err
		}
		if _, err := v.Eval(path.Join(sourceDir, name), src, vm.Lines); err != nil {
			v.Heap().Abort()
			if se, ok := err.(*vm.Error); ok {
				return fmt.Errorf("%s: %v\n%s", name, err, se.StackTrace())
			}
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := v.Heap().Commit(); err != nil {
			return err
		}
	}
	return nil
}
