// Package images holds the stored images new worlds boot from. base.img is
// built from the core world's sources (bootstrap/) by `make images`, and is
// embedded in the binary so that psyche works from any directory.
package images

import (
	"bytes"
	_ "embed"

	"psyche/world"
)

//go:embed base.img
var base []byte

// Base answers the base image's bytes.
func Base() []byte { return base }

// BaseBuilder builds a new world from the base image.
func BaseBuilder() world.Builder {
	return world.FromImage(bytes.NewReader(base), int64(len(base)))
}
