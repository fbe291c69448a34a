module psyche

go 1.26.8

require (
	github.com/edsrzf/mmap-go v1.2.0
	github.com/klauspost/compress v1.20.3
	github.com/peterh/liner v1.2.3
	golang.org/x/sys v0.49.0
)

require (
	github.com/clipperhouse/uax29/v2 v2.7.0 // indirect
	github.com/fxamacker/cbor/v2 v2.10.0 // indirect
	github.com/mattn/go-runewidth v0.0.31 // indirect
	github.com/x448/float16 v0.8.4 // indirect
)
