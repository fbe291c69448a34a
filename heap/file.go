package heap

import (
	"io"
	"os"
)

// File is what the heap needs of an open file. It is an interface so that
// tests can put a failing file under the heap (Options.WrapFile) and show
// that a failed write or fsync is fatal, never silently retried.
type File interface {
	io.ReaderAt
	io.WriterAt
	Sync() error
	Truncate(size int64) error
	Stat() (os.FileInfo, error)
	Fd() uintptr
	Close() error
}

// Which file of a heap a File is, for Options.WrapFile.
const (
	FileHeap = "heap"
	FileLog  = "log"
	FileSums = "sums"
)

func openFile(path string, flag int) (*os.File, error) {
	return os.OpenFile(path, flag, 0o644)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
