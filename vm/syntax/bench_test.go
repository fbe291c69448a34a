package syntax

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkParseFile parses a transporter-style file of about 1 MB.
func BenchmarkParseFile(b *testing.B) {
	src := []byte(strings.Repeat(transporterSample, 1<<20/len(transporterSample)))
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseFile("bench", src); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseCorpus parses the Self files under $PSYCHE_SELF_SRC.
func BenchmarkParseCorpus(b *testing.B) {
	root := os.Getenv("PSYCHE_SELF_SRC")
	if root == "" {
		b.Skip("PSYCHE_SELF_SRC is not set")
	}
	var srcs [][]byte
	var n int64
	filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".self") {
			src, _ := os.ReadFile(path)
			srcs = append(srcs, src)
			n += int64(len(src))
		}
		return nil
	})
	b.SetBytes(n)
	b.ReportAllocs()
	for b.Loop() {
		for _, src := range srcs {
			ParseFile("", src)
		}
	}
}
