package tests

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"psyche/internal/memcg"
	"psyche/world"
)

// Transactions, rollbacks and looks at the past larger than memory: each
// command runs in a memory cgroup of its own whose limit is a quarter of
// what the commands change, and must complete with the right answer.

// budgetE2ESizes answers the cgroup limit and the size of the change.
func budgetE2ESizes() (limit, change int64) {
	if os.Getenv("PSYCHE_SOAK") != "" {
		return 256 << 20, 1 << 30
	}
	return 40 << 20, 160 << 20
}

// budgetRun runs psyche with args inside a memory cgroup of limit bytes and
// answers its output; it skips the test where cgroups are not available and
// fails it unless the command succeeds.
func (e *e2eEnv) budgetRun(limit int64, args ...string) string {
	e.t.Helper()
	cmd := e.command(args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	r, err := memcg.Run(cmd, uint64(limit))
	if errors.Is(err, memcg.ErrUnavailable) {
		e.t.Skipf("cannot run under a memory limit here: %v", err)
	}
	if err != nil || r.OOMKills > 0 {
		e.t.Fatalf("psyche %s under a %d MiB limit: %v, %d out-of-memory kills, peak %d MiB\nstdout: %s\nstderr: %s",
			e2eQuote(args), limit>>20, err, r.OOMKills, r.Peak>>20, out.String(), errOut.String())
	}
	e.t.Logf("psyche %.60s: peak %d MiB under a %d MiB limit", e2eQuote(args), r.Peak>>20, limit>>20)
	return strings.TrimSuffix(out.String(), "\n")
}

func TestE2EBudgetTransactionRollbackAndLook(t *testing.T) {
	limit, change := budgetE2ESizes()
	e := newE2E(t).withEnv(map[string]string{world.DirtyBudgetEnv: fmt.Sprint(limit >> 22)}) // a quarter of the limit
	w := e.newWorld("w")
	pages := change / 4096
	// Built outside the limit: making a large object in bounded memory is not this test's subject.
	e.expectEval(w, fmt.Sprintf("lobby _AddSlots: (| blob <- nil |). blob: byteVector copySize: %d. blob size", change), fmt.Sprint(change))
	e.ok("checkpoint", "-w", w, "before")
	set := fmt.Sprintf("0 to: %d Do: [|:i| blob at: i * 4096 Put: 7]. (blob at: 0) + (blob at: %d)", pages-1, change-4096)
	if got := e.budgetRun(limit, "eval", "-w", w, set); got != "14" {
		t.Fatalf("the change read back %q, want 14", got)
	}
	e.budgetRun(limit, "rollback", "-w", w, "before")
	if got := e.budgetRun(limit, "eval", "-w", w, fmt.Sprintf("(blob at: 0) + (blob at: %d)", change-4096)); got != "0" {
		t.Fatalf("after the rollback the pages read %q, want 0", got)
	}
	look := fmt.Sprintf("(blob at: 0) + (blob at: %d)", change-4096)
	if got := e.budgetRun(limit, "eval", "-w", w, "--at", "before-rollback-to-before", look); got != "14" {
		t.Fatalf("looking at the state before the rollback read %q, want 14", got)
	}
	e.budgetRun(limit, "check", "-w", w)
}
