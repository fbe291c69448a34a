package world

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// Why a directory cannot be opened as a world, in words that say what to
// do next: a missing world can be made, a file or a directory of other
// things cannot become one, and a world that another process holds names
// that process.

// notAWorld answers the error for a dir that holds no world.
func notAWorld(dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case err != nil:
		return fmt.Errorf("%s: no world here (create one with: psyche new %s)", dir, dir)
	case !fi.IsDir():
		return fmt.Errorf("%s is a file, not a world: a world is a directory (create one with: psyche new DIR)", dir)
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("%s is a directory that holds no world but other files (%s): choose a new or empty directory for psyche new", dir, entries[0].Name())
	}
	return fmt.Errorf("%s: no world here (create one with: psyche new %s)", dir, dir)
}

// inUse answers the error for the world in dir, whose heap file another
// process holds locked; it names the process where Linux's /proc says it.
func inUse(dir string) error {
	if pid, cmd := lockHolder(HeapPath(dir)); pid != 0 {
		return fmt.Errorf("world %s is open in another process: %d (%s)", dir, pid, cmd)
	}
	return fmt.Errorf("world %s is open in another process", dir)
}

// lockHolder answers the process holding a lock on the file at path, and
// its command line, from /proc/locks; 0 when it cannot be told.
func lockHolder(path string) (int, string) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, ""
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, ""
	}
	f, err := os.Open("/proc/locks")
	if err != nil {
		return 0, ""
	}
	defer f.Close()
	// A line reads: "1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF"; a
	// waiting lock has "->" after the number.
	suffix := ":" + strconv.FormatUint(st.Ino, 10)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || fields[1] == "->" {
			continue
		}
		dev := fields[5]
		if !strings.HasSuffix(dev, suffix) || !sameDevice(dev, st.Dev) {
			continue
		}
		pid, err := strconv.Atoi(fields[4])
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		return pid, strings.TrimSpace(strings.ReplaceAll(string(cmd), "\x00", " "))
	}
	return 0, ""
}

// sameDevice reports whether /proc/locks's "MAJ:MIN:INODE" (hexadecimal
// device numbers) names device dev.
func sameDevice(field string, dev uint64) bool {
	parts := strings.Split(field, ":")
	if len(parts) != 3 {
		return false
	}
	major, err1 := strconv.ParseUint(parts[0], 16, 32)
	minor, err2 := strconv.ParseUint(parts[1], 16, 32)
	if err1 != nil || err2 != nil {
		return false
	}
	// Linux's encoding of a dev_t (glibc's gnu_dev_major and gnu_dev_minor).
	devMajor := (dev>>8)&0xfff | (dev>>32)&^0xfff
	devMinor := dev&0xff | (dev>>12)&^0xff
	return major == devMajor && minor == devMinor
}
