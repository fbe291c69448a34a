package tests

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
)

// Measuring a child's peak memory. Linux keeps a process's peak resident
// size across exec (ru_maxrss is carried in the process, not its memory),
// and the psyche a test starts is, until its exec, this test process: its
// ru_maxrss would be at least this process's peak, which the tests running
// beside it in parallel raise (a 48 MB buffer here, a large output there).
// So a measured run goes through a fresh copy of this binary (measureEnv
// set), small when it starts psyche, which writes the child's ru_maxrss to
// the file measureEnv names and exits as the child did.

// measureEnv names the file a measuring copy of the test binary writes the
// child's peak resident size (in bytes) to.
const measureEnv = "PSYCHE_TEST_MEASURE_RSS_TO"

func TestMain(m *testing.M) {
	if out := os.Getenv(measureEnv); out != "" {
		os.Exit(measureChild(out, os.Args[1:]))
	}
	os.Exit(m.Run())
}

// measureChild runs args, writes its peak resident size to out, and
// answers the exit status to leave with: the child's, or 128 + the signal
// that ended it, as a shell reports it.
func measureChild(out string, args []string) int {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = os.Environ()
	// The child dies with this process (a test's timeout kills it).
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		fmt.Fprintln(os.Stderr, "measuring:", err)
		return 125
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		fmt.Fprintln(os.Stderr, "measuring: no resource usage")
		return 125
	}
	if err := os.WriteFile(out, []byte(strconv.FormatInt(ru.Maxrss<<10, 10)), 0o644); err != nil { // Linux reports kilobytes
		fmt.Fprintln(os.Stderr, "measuring:", err)
		return 125
	}
	ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}
