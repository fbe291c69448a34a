package heap

import (
	"crypto/sha256"
	"os"
	"testing"
)

// snapshotFile hashes the heap file as it is on disk.
func snapshotFile(t testing.TB, h *Heap) [32]byte {
	t.Helper()
	b, err := os.ReadFile(h.Path())
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}
