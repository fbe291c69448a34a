package tests

// A world on a read-only file system can be looked at: check, info,
// export, checkpoints and eval --at work; a command that would change it
// fails with an error that names the read-only file system. The file
// system is a read-only bind mount of the test's directory (root may write
// through a chmod-ed directory, not through a read-only mount); where
// mounting is not permitted the tests are skipped.

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// e2eReadOnlyMount mounts dir read-only at a new directory and answers it;
// the mount goes when the test ends. It skips the test when mounting is not
// permitted here.
func e2eReadOnlyMount(t *testing.T, e *e2eEnv, dir string) string {
	t.Helper()
	mnt := e.path("readonly")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "--bind", dir, mnt).CombinedOutput(); err != nil {
		t.Skipf("a read-only file system is simulated with a bind mount, which is not permitted here: mount --bind: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", mnt).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", mnt, err, out)
		}
	})
	if out, err := exec.Command("mount", "-o", "remount,ro,bind", mnt).CombinedOutput(); err != nil {
		t.Skipf("a read-only file system is simulated with a read-only bind mount, which is not permitted here: %v: %s", err, out)
	}
	if err := os.WriteFile(filepath.Join(mnt, "probe"), nil, 0o644); !errors.Is(err, syscall.EROFS) {
		t.Skipf("the bind mount %s is not read-only (writing a file: %v)", mnt, err)
	}
	return mnt
}

// TestE2EReadOnlyWorld: every command that only looks at a world works on
// a read-only file system, and one that would change it says why it cannot.
func TestE2EReadOnlyWorld(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	src := e.path("src")
	if err := os.Mkdir(src, 0o755); err != nil {
		t.Fatal(err)
	}
	w := filepath.Join(src, "w")
	e.ok("new", w)
	e.expectEval(w, "lobby _AddSlots: (| counter <- 1 |). world checkpoint: 'one'. counter", "1")
	e.expectEval(w, "counter: 2. counter", "2")
	ro := filepath.Join(e2eReadOnlyMount(t, e, src), "w")

	if r := e.ok("check", "-w", ro); !strings.Contains(r.stdout, "ok") {
		t.Errorf("check of a read-only world:\n%s", r)
	}
	if r := e.ok("info", "-w", ro); !strings.Contains(r.stdout, "one") {
		t.Errorf("info of a read-only world does not list its checkpoint:\n%s", r)
	}
	if r := e.ok("checkpoints", "-w", ro); r.out() != "one" {
		t.Errorf("checkpoints of a read-only world:\n%s", r)
	}
	if r := e.ok("eval", "-w", ro, "--at", "one", "counter"); r.out() != "1" {
		t.Errorf("eval --at of a read-only world:\n%s", r)
	}
	img := e.path("w.img")
	e.ok("export", "-w", ro, img)
	copyWorld := e.path("copy")
	e.ok("new", copyWorld, "--image", img)
	e.expectEval(copyWorld, "counter", "2")

	for _, args := range [][]string{
		{"eval", "-w", ro, "counter: 3"},
		{"checkpoint", "-w", ro, "two"},
		{"rollback", "-w", ro, "one"},
		{"gc", "-w", ro},
	} {
		e.fails("read-only file system", args...)
	}
	e.expectEval(w, "counter", "2")
}

// TestE2EReadOnlyNeedsRecovery: a world killed with committed transactions
// in its log cannot be recovered without writing. On a read-only file
// system the commands that look at it say so; on a writable one they
// recover it as before.
func TestE2EReadOnlyNeedsRecovery(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	w := e2eLogKilledWorld(t, e, 2)
	ro := e2eReadOnlyMount(t, e, w)
	for _, args := range [][]string{{"check", "-w", ro}, {"info", "-w", ro}, {"export", "-w", ro, e.path("w.img")}} {
		r := e.fails("needs recovery", args...)
		if !strings.Contains(r.stderr, "read-only file system") {
			t.Errorf("the error does not say the file system is read-only:\n%s", r)
		}
	}
	e.checkWorld(w)
	e.expectEval(w, "counter", "2")
}
