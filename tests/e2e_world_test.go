package tests

// End-to-end tests of a world through the real binary: durability across
// processes, failed, interrupted and overflowing evaluations leaving no
// trace, checkpoints, images, damaged worlds and images, the lock, the
// default world and the help texts. LANGUAGE.md section 5 and DESIGN.md
// ("Transactions, checkpoints, images" and the promises) are the contract.

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Values set by eval or run in one process are there in the next one.
func TestE2EDurability(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	w := e.newWorld("w")

	e.expectEval(w, "lobby _AddSlots: (| x <- 1. s <- nil. o <- nil |)", "lobby")
	e.expectEval(w, "x: 42. s: 'kept'. o: (| parent* = traits clonable. n <- 7. twice = ( n * 2 ) |). x", "42")
	e.expectEval(w, "x", "42")
	e.expectEval(w, "s", "'kept'")
	e.expectEval(w, "o twice", "14")
	e.expectEval(w, "o n: 8. o twice", "16")
	e.expectEval(w, "o twice", "16")

	// run FILE: the statements of the file, separated by '.', are one
	// evaluation; its printLines and its result are printed.
	if err := os.WriteFile(e.path("setup.self"), []byte("lobby _AddSlots: (| r <- 0 |).\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(e.path("work.self"), []byte("r: 41.\n'from run' printLine.\nr: r + 1.\nr printLine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e.ok("run", "-w", w, e.path("setup.self"))
	if r := e.ok("run", "-w", w, "work.self"); r.out() != "from run\n42" { // relative to the working directory
		t.Errorf("run work.self: expected output %q:\n%s", "from run\n42", r)
	}
	e.expectEval(w, "r", "42")

	// A failing file leaves nothing of itself, not even its first statements.
	if err := os.WriteFile(e.path("bad.self"), []byte("r: 99.\nx: 0.\nr zork\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	heap := e2eRead(t, filepath.Join(w, "heap"))
	r := e.fails("zork", "run", "-w", w, "bad.self")
	e2eCheckStack(t, r)
	e2eSameBytes(t, filepath.Join(w, "heap"), heap, "run of a failing file")
	e.expectEval(w, "r printString, ' ', x printString", "'42 42'")
	e.checkWorld(w)
}

// e2eCheckStack fails the test unless standard error is "error: MESSAGE"
// followed by at least one line of the Self stack.
func e2eCheckStack(t *testing.T, r e2eResult) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "error: ") || strings.TrimSpace(lines[1]) == "" {
		t.Errorf("expected %q followed by the Self stack on standard error:\n%s", "error: MESSAGE", r)
	}
}

// A failed evaluation leaves no trace: the heap file is byte for byte what
// it was.
func TestE2EFailedEvalLeavesNoTrace(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	w := e.newWorld("w")
	e.expectEval(w, "lobby _AddSlots: (| x <- 1 |)", "lobby")
	heap := e2eRead(t, filepath.Join(w, "heap"))

	r := e.fails("error: undefinedSelector: zork sent to 1", "eval", "-w", w, "x: 2. 1 zork")
	e2eCheckStack(t, r)
	e2eSameBytes(t, filepath.Join(w, "heap"), heap, "failed eval")

	// An evaluation that allocates and stores a lot before failing.
	r = e.fails("error:", "eval", "-w", w,
		"lobby _AddSlots: (| junk <- nil |). x: (vector copySize: 5000 FillingWith: 'junk'). 'abc' + 1")
	e2eSameBytes(t, filepath.Join(w, "heap"), heap, "failed eval that allocated")
	e.expectEval(w, "x", "1")
	e.fails("junk", "eval", "-w", w, "junk")
	e.checkWorld(w)
}

// SIGINT to psyche eval running an endless loop that has already changed
// the world: an error that says interrupted, exit status 1, and nothing of
// the evaluation remains.
func TestE2EInterruptedEvalLeavesNoTrace(t *testing.T) {
	t.Parallel()
	e2eUnignoreSigint()
	e := newE2E(t)
	w := e.newWorld("w")
	e.expectEval(w, "lobby _AddSlots: (| x <- 1 |)", "lobby")
	heap := e2eRead(t, filepath.Join(w, "heap"))

	cmd := e.command("eval", "-w", w, "x: 2. lobby _AddSlots: (| y <- 3 |). [true] whileTrue")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(700 * time.Millisecond) // well into the loop
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	code, sig := e2eWait(t, cmd, 15*time.Second, "psyche eval after SIGINT")
	r := e2eResult{args: cmd.Args[1:], stdout: stdout.String(), stderr: stderr.String(), code: code, signal: sig}
	e.checkFailure(r, "interrupted")

	e2eSameBytes(t, filepath.Join(w, "heap"), heap, "interrupted eval")
	e.expectEval(w, "x", "1")
	e.fails("undefinedSelector: y", "eval", "-w", w, "y")
	e.checkWorld(w)
}

// An infinite recursion is the error "stack overflow", exit status 1; the
// world is intact and the next evaluation works.
func TestE2EStackOverflow(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	w := e.newWorld("w")
	e.expectEval(w, "lobby _AddSlots: (| x <- 1 |)", "lobby")
	e.expectEval(w, "lobby _AddSlots: (| f: n = ( f: n + 1 ) |)", "lobby")
	heap := e2eRead(t, filepath.Join(w, "heap"))

	r := e.fails("stack overflow", "eval", "-w", w, "f: 0")
	e2eCheckStack(t, r)
	r = e.fails("stack overflow", "eval", "-w", w, "x: 2. f: 0")
	e2eSameBytes(t, filepath.Join(w, "heap"), heap, "stack overflow")
	e.expectEval(w, "x", "1")
	e.expectEval(w, "x: x + 1. x", "2")
	e.expectEval(w, "x", "2")
	e.checkWorld(w)
}

// Checkpoints: make, list, look at the past, roll back, delete.
func TestE2ECheckpoints(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	w := e.newWorld("w")
	heapFile := filepath.Join(w, "heap")
	// x lives in the lobby; v is a vector of 4096 slots (32 KB), so its first
	// and last elements are on different pages, and a page can be first
	// written after a later checkpoint than another one.
	const state = "x printString, '/', (v at: 0) printString, '/', (v at: 4095) printString"
	e.expectEval(w, "lobby _AddSlots: (| x <- 1. v <- nil |)", "lobby")
	e.eval(w, "v: vector copySize: 4096. x")
	expectState := func(want string) {
		t.Helper()
		e.expectEval(w, state, "'"+want+"'")
	}
	expectList := func(want ...string) {
		t.Helper()
		r := e.ok("checkpoints", "-w", w)
		if got := strings.Fields(r.stdout); strings.Join(got, " ") != strings.Join(want, " ") ||
			(len(want) > 0 && r.stdout != strings.Join(want, "\n")+"\n") {
			t.Errorf("expected the checkpoints %q, one per line, oldest first:\n%s", want, r)
		}
	}
	at := func(name, expr, want string) {
		t.Helper()
		r := e.run("eval", "-w", w, "--at", name, expr)
		if r.code != 0 || r.err != nil || r.out() != want {
			t.Errorf("expected output %q:\n%s", want, r)
		}
	}

	expectList()
	e.ok("checkpoint", "-w", w, "a") // A: 1/nil/nil
	e.eval(w, "x: 2. v at: 0 Put: 10")
	e.ok("checkpoint", "-w", w, "b") // B: 2/10/nil
	e.eval(w, "x: 3. v at: 4095 Put: 30")
	e.ok("checkpoint", "-w", w, "c") // C: 3/10/30
	e.eval(w, "x: 4. v at: 4095 Put: 40")
	e.ok("checkpoint", "-w", w, "d") // D: 4/10/40
	e.eval(w, "x: 5. v at: 0 Put: 50")
	expectState("5/50/40")
	expectList("a", "b", "c", "d")

	// eval --at shows the past and changes nothing, not even what it assigns.
	heap := e2eRead(t, heapFile)
	at("a", state, "'1/nil/nil'")
	at("b", state, "'2/10/nil'")
	at("c", state, "'3/10/30'")
	at("d", state, "'4/10/40'")
	at("c", "x: 100. v at: 4095 Put: 100. x", "100")
	at("c", state, "'3/10/30'")
	expectState("5/50/40")
	e2eSameBytes(t, heapFile, heap, "eval --at")
	expectList("a", "b", "c", "d")

	// Unknown names: exit 1 and a message that names the checkpoint.
	for _, args := range [][]string{
		{"eval", "-w", w, "--at", "nosuch", "x"},
		{"rollback", "-w", w, "nosuch"},
		{"checkpoint", "-w", w, "--delete", "nosuch"},
	} {
		r := e.fails("nosuch", args...)
		if !strings.Contains(r.stderr, "checkpoint") {
			t.Errorf("the error should say that there is no such checkpoint:\n%s", r)
		}
	}
	e2eSameBytes(t, heapFile, heap, "commands on unknown checkpoints")

	// Rolling back to a middle checkpoint: the world is what it was then,
	// and nothing is lost: the present is kept as a new checkpoint, and the
	// checkpoints made after c (d) stay.
	if r := e.ok("rollback", "-w", w, "c"); !strings.Contains(r.stdout, "kept as checkpoint before-rollback-to-c") {
		t.Errorf("rollback should say where the present state is kept:\n%s", r)
	}
	expectState("3/10/30")
	expectList("a", "b", "c", "d", "before-rollback-to-c")
	at("d", state, "'4/10/40'")
	at("before-rollback-to-c", state, "'5/50/40'")
	e.checkWorld(w)

	// Deleting a middle checkpoint does not change the world, and rolling
	// back past it is still right: the last element was first overwritten
	// after b, so its old contents were saved with b, and must survive b's
	// deletion for a rollback to a.
	e.eval(w, "x: 6. v at: 4095 Put: 60")
	expectState("6/10/60")
	e.ok("checkpoint", "-w", w, "--delete", "b")
	expectState("6/10/60")
	expectList("a", "c", "d", "before-rollback-to-c")
	at("a", state, "'1/nil/nil'")
	at("c", state, "'3/10/30'")
	at("d", state, "'4/10/40'")
	e.fails("b", "eval", "-w", w, "--at", "b", "x")
	e.checkWorld(w)

	// Rolling back to an older one.
	e.ok("rollback", "-w", w, "a")
	expectState("1/nil/nil")
	expectList("a", "c", "d", "before-rollback-to-c", "before-rollback-to-a")
	// The checkpoint stays; one can roll back to it again, and the state
	// kept the first time keeps its name.
	e.eval(w, "x: 7")
	e.ok("rollback", "-w", w, "a")
	expectState("1/nil/nil")
	at("before-rollback-to-a", state, "'6/10/60'")
	at("before-rollback-to-a-2", state, "'7/nil/nil'")
	e.checkWorld(w)
	const all = "'a', 'c', 'd', 'before-rollback-to-c', 'before-rollback-to-a', 'before-rollback-to-a-2'"

	// From Self: world checkpoint: takes effect when its evaluation commits;
	// world checkpoints is a vector of names, oldest first.
	e.eval(w, "x: 8. world checkpoint: 'fromSelf'")
	e.expectEval(w, "world checkpoints", "("+all+", 'fromSelf')")
	expectList("a", "c", "d", "before-rollback-to-c", "before-rollback-to-a", "before-rollback-to-a-2", "fromSelf")
	e.eval(w, "x: 9")
	// A failed evaluation makes no checkpoint.
	e.fails("zork", "eval", "-w", w, "world checkpoint: 'failed'. 1 zork")
	e.expectEval(w, "world checkpoints", "("+all+", 'fromSelf')")
	expectList("a", "c", "d", "before-rollback-to-c", "before-rollback-to-a", "before-rollback-to-a-2", "fromSelf")
	at("fromSelf", "x", "8")
	e.ok("rollback", "-w", w, "fromSelf")
	e.expectEval(w, "x", "8")
	e.checkWorld(w)
}

// Images: export and new --image give the same values; damaged images are
// refused and leave no world behind.
func TestE2EImages(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	w := e.newWorld("w")
	e.expectEval(w, "lobby _AddSlots: (| s <- nil. big <- nil. vec <- nil. obj <- nil |)", "lobby")
	e.eval(w, "s: 'a string, with \\'quotes\\''. big: 100 factorial. "+
		"vec: (vector copySize: 3). vec at: 0 Put: 1. vec at: 1 Put: 'two'. vec at: 2 Put: big. "+
		"obj: (| parent* = traits clonable. a <- 3. double = ( a * 2 ). plus: n = ( a + n ) |). 0")
	const state = "s printString, ' ', big printString, ' ', vec printString, ' ', obj double printString, ' ', (obj plus: 4) printString"
	want := e.eval(w, state)
	if !strings.Contains(want, "93326215443944152681699238856266700490715968264381621468592963895217599993229915608941463976156518286253697920827223758251185210916864000000000000000000000000") {
		t.Fatalf("100 factorial is not what it should be: %s", want)
	}

	w2 := e.copyByImage(w, "saved.img", "copy")
	img := e.path("saved.img")
	e.expectEval(w2, state, want)
	e.expectEval(w2, "s", "'a string, with \\'quotes\\''")
	e.expectEval(w2, "(big / 99 factorial) printString", "'100'")
	e.expectEval(w2, "(vec at: 2) = big", "true")
	// The methods work and the copy is independent of the original.
	e.expectEval(w2, "obj a: 10. obj double", "20")
	e.expectEval(w, "obj double", "6")
	e.checkWorld(w2)

	// An image of the copy round-trips too.
	w3 := e.copyByImage(w2, "again.img", "copy2")
	e.expectEval(w3, "obj double", "20")

	good := e2eRead(t, img)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	flipped := bytes.Clone(good)
	flipped[len(flipped)/2] ^= 0xff
	magic := bytes.Clone(good)
	magic[0] ^= 0xff
	random := make([]byte, len(good))
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	bad := []struct {
		name string
		data []byte
	}{
		{"flipped-byte", flipped},
		{"truncated", good[:len(good)/2]},
		{"truncated-header", good[:10]},
		{"wrong-magic", magic},
		{"random-bytes", random},
		{"empty", nil},
		{"extra-bytes", append(bytes.Clone(good), 1, 2, 3, 4)},
	}
	for _, b := range bad {
		file := e.path(b.name + ".img")
		if err := os.WriteFile(file, b.data, 0o644); err != nil {
			t.Fatal(err)
		}
		dir := e.path("from-" + b.name)
		r := e.fails("bad image", "new", dir, "--image", file)
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("%s: a refused image left %s behind (stat: %v):\n%s", b.name, dir, err, r)
		}
	}
}

// e2eInfoPages reads the page size and the number of pages in use from
// psyche info ("heap file: N bytes (P pages)", "heap in use: U bytes").
func e2eInfoPages(t *testing.T, e *e2eEnv, w string) (pageSize, usedPages int) {
	t.Helper()
	r := e.ok("info", "-w", w)
	file := regexp.MustCompile(`heap file:\s*(\d+) bytes \((\d+) pages\)`).FindStringSubmatch(r.stdout)
	used := regexp.MustCompile(`heap in use:\s*(\d+) bytes`).FindStringSubmatch(r.stdout)
	if file == nil || used == nil {
		t.Logf("cannot read the heap's sizes from psyche info; assuming 4096-byte pages, all in use:\n%s", r)
		fi, err := os.Stat(filepath.Join(w, "heap"))
		if err != nil {
			t.Fatal(err)
		}
		return 4096, int(fi.Size() / 4096)
	}
	bytesN, _ := strconv.Atoi(file[1])
	pages, _ := strconv.Atoi(file[2])
	inUse, _ := strconv.Atoi(used[1])
	if pages == 0 || bytesN%pages != 0 {
		t.Fatalf("psyche info: odd heap size:\n%s", r)
	}
	pageSize = bytesN / pages
	return pageSize, (inUse + pageSize - 1) / pageSize
}

// A damaged world is detected and named: a flipped byte in an object page,
// a truncated heap file; a torn log tail is ignored.
func TestE2EDamagedWorld(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	w := e.newWorld("w")
	e.expectEval(w, "lobby _AddSlots: (| x <- 1. v <- nil |)", "lobby")
	e.eval(w, "v: vector copySize: 2000 FillingWith: 'filler'. x: 2")
	e.checkWorld(w)
	pageSize, used := e2eInfoPages(t, e, w)
	if used < 4 {
		t.Fatalf("only %d pages in use", used)
	}
	good := e.path("good")
	e2eCopyDir(t, w, good)

	t.Run("flipped-byte", func(t *testing.T) {
		e := *e
		e.t = t
		d := e.path("flipped")
		e2eCopyDir(t, good, d)
		page := used/2 + (used-used/2)/2 // in the second half of the used pages
		off := int64(page*pageSize + pageSize/2 + 5)
		e2eFlipByte(t, filepath.Join(d, "heap"), off)
		r := e.run("check", "-w", d)
		all := r.stdout + r.stderr
		if r.code != 1 || r.err != nil {
			t.Errorf("psyche check of a heap with a flipped byte at offset %d (page %d) should exit 1:\n%s", off, page, r)
		} else if !regexp.MustCompile(`\bpage ` + strconv.Itoa(page) + `\b`).MatchString(all) {
			t.Errorf("psyche check should name page %d (flipped byte at offset %d):\n%s", page, off, r)
		}
	})

	t.Run("truncated-heap", func(t *testing.T) {
		e := *e
		e.t = t
		d := e.path("truncated")
		e2eCopyDir(t, good, d)
		fi, err := os.Stat(filepath.Join(d, "heap"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(filepath.Join(d, "heap"), fi.Size()/2); err != nil {
			t.Fatal(err)
		}
		e.fails("truncated", "eval", "-w", d, "x")
		r := e.run("check", "-w", d)
		if r.code != 1 || !strings.Contains(r.stdout+r.stderr, "truncated") {
			t.Errorf("psyche check of a truncated heap should exit 1 and say truncated:\n%s", r)
		}
	})

	t.Run("truncated-odd-size", func(t *testing.T) {
		e := *e
		e.t = t
		d := e.path("truncated-odd")
		e2eCopyDir(t, good, d)
		if err := os.Truncate(filepath.Join(d, "heap"), int64(used*pageSize)-1000); err != nil {
			t.Fatal(err)
		}
		e.fails("truncated", "eval", "-w", d, "x")
	})

	t.Run("torn-log-garbage", func(t *testing.T) {
		e := *e
		e.t = t
		d := e.path("torn")
		e2eCopyDir(t, good, d)
		f, err := os.OpenFile(filepath.Join(d, "heap.log"), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		garbage := make([]byte, 3*pageSize+123)
		rng := rand.New(rand.NewPCG(7, 11))
		for i := range garbage {
			garbage[i] = byte(rng.Uint32())
		}
		if _, err := f.Write(garbage); err != nil {
			t.Fatal(err)
		}
		f.Close()
		e.expectEval(d, "x", "2")
		e.checkWorld(d)
		e.expectEval(d, "x: 3. x", "3")
		e.expectEval(d, "x", "3")
		e.checkWorld(d)
	})
}

// e2eCopyDir copies the files of a world directory (recursively).
func e2eCopyDir(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		if d.Type()&os.ModeSocket != 0 {
			return nil // a vat's socket (a killed process leaves it): not data
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// e2eFlipByte inverts the byte at off in file name.
func e2eFlipByte(t *testing.T, name string, off int64) {
	t.Helper()
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0xff
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

// A world is opened by one process at a time: while a REPL has it open, a
// second process is refused with a clear error; afterwards it works.
func TestE2EWorldInUse(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	w := e.newWorld("w")

	repl := e2eStartPipedRepl(t, e, w)
	repl.send("3 + 4")
	repl.expectLine("7")

	for _, args := range [][]string{
		{"eval", "-w", w, "1"},
		{"eval", "-w", w, "lobby _AddSlots: (| intruder <- 1 |)"},
	} {
		r := e.run(args...)
		lower := strings.ToLower(r.stderr)
		if r.code != 1 || !strings.HasPrefix(r.stderr, "error: ") ||
			!(strings.Contains(lower, "in use") || strings.Contains(lower, "another process") || strings.Contains(lower, "locked")) {
			t.Errorf("a second process on an open world should fail with exit status 1 and say the world is in use:\n%s", r)
		}
		if holder := fmt.Sprintf("another process: %d (", repl.cmd.Process.Pid); !strings.Contains(r.stderr, holder) {
			t.Errorf("expected the error to name the REPL's process (%q):\n%s", holder, r)
		}
	}
	// The REPL is unharmed.
	repl.send("lobby _AddSlots: (| mine <- 5 |). mine")
	repl.expectLine("5")
	code := repl.close()
	if code != 0 {
		t.Errorf("the REPL should exit 0 at the end of its input, not %d; stderr:\n%s", code, repl.stderr.String())
	}
	if repl.stderr.String() != "" {
		t.Errorf("the REPL wrote errors:\n%s", repl.stderr.String())
	}
	e.expectEval(w, "mine", "5")
	e.fails("intruder", "eval", "-w", w, "intruder")
	e.checkWorld(w)
}

// e2ePipedRepl is psyche repl with pipes for its standard input and output.
type e2ePipedRepl struct {
	t      *testing.T
	cmd    *exec.Cmd
	stdin  *os.File
	lines  chan string
	stderr *e2eSyncBuffer
	seen   []string
}

func e2eStartPipedRepl(t *testing.T, e *e2eEnv, w string) *e2ePipedRepl {
	t.Helper()
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r := &e2ePipedRepl{t: t, stdin: inW, lines: make(chan string, 1000), stderr: &e2eSyncBuffer{}}
	r.cmd = e.command("repl", "-w", w)
	r.cmd.Stdin, r.cmd.Stdout, r.cmd.Stderr = inR, outW, r.stderr
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	inR.Close()
	outW.Close()
	go func() {
		defer close(r.lines)
		defer outR.Close()
		buf := make([]byte, 0, 4096)
		chunk := make([]byte, 4096)
		for {
			n, err := outR.Read(chunk)
			buf = append(buf, chunk[:n]...)
			for {
				i := bytes.IndexByte(buf, '\n')
				if i < 0 {
					break
				}
				r.lines <- string(buf[:i])
				buf = buf[i+1:]
			}
			if err != nil {
				if len(buf) > 0 {
					r.lines <- string(buf)
				}
				return
			}
		}
	}()
	t.Cleanup(func() {
		if r.cmd.ProcessState == nil {
			r.cmd.Process.Kill()
			r.cmd.Wait()
		}
	})
	return r
}

func (r *e2ePipedRepl) send(line string) {
	r.t.Helper()
	if _, err := r.stdin.WriteString(line + "\n"); err != nil {
		r.t.Fatalf("writing to the REPL: %v", err)
	}
}

// expectLine waits (at most 20 s) for a line of output equal to want.
func (r *e2ePipedRepl) expectLine(want string) {
	r.t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case l, ok := <-r.lines:
			if !ok {
				r.t.Fatalf("the REPL ended before printing %q; it printed %q; stderr:\n%s", want, r.seen, r.stderr.String())
			}
			r.seen = append(r.seen, l)
			if l == want {
				return
			}
		case <-timeout:
			r.t.Fatalf("the REPL did not print %q in 20 s; it printed %q; stderr:\n%s", want, r.seen, r.stderr.String())
		}
	}
}

// close ends the REPL's input and answers its exit status.
func (r *e2ePipedRepl) close() int {
	r.t.Helper()
	r.stdin.Close()
	code, sig := e2eWait(r.t, r.cmd, 20*time.Second, "psyche repl after the end of its input")
	if sig != 0 {
		r.t.Errorf("the REPL was killed by %v", sig)
	}
	return code
}

// The default world: $PSYCHE_WORLD, else $XDG_DATA_HOME/psyche/default.world
// (else ~/.local/share/psyche/default.world), created on first use; plain
// psyche with piped input is the REPL on it, without prompts.
func TestE2EDefaultWorld(t *testing.T) {
	t.Parallel()
	base := newE2E(t)
	xdg := base.path("xdg")
	e := base.withEnv(map[string]string{"PSYCHE_WORLD": ""})
	def := filepath.Join(xdg, "psyche", "default.world")

	if r := e.ok("eval", "3 + 4"); r.out() != "7" {
		t.Errorf("expected 7:\n%s", r)
	}
	if _, err := os.Stat(filepath.Join(def, "heap")); err != nil {
		t.Fatalf("psyche eval with PSYCHE_WORLD unset should create %s: %v", def, err)
	}
	e.expectEval(def, "lobby _AddSlots: (| where <- 'default' |). where", "'default'")
	if r := e.ok("eval", "where"); r.out() != "'default'" {
		t.Errorf("psyche eval without -w should use %s:\n%s", def, r)
	}

	// PSYCHE_WORLD overrides it.
	pw := base.path("elsewhere.world")
	p := base.withEnv(map[string]string{"PSYCHE_WORLD": pw})
	p.fails("undefinedSelector: where", "eval", "where")
	if _, err := os.Stat(filepath.Join(pw, "heap")); err != nil {
		t.Errorf("psyche eval with PSYCHE_WORLD=%s should create it: %v", pw, err)
	}
	if r := p.ok("eval", "lobby _AddSlots: (| where <- 'elsewhere' |). where"); r.out() != "'elsewhere'" {
		t.Errorf("expected 'elsewhere':\n%s", r)
	}
	if r := e.ok("eval", "where"); r.out() != "'default'" {
		t.Errorf("PSYCHE_WORLD should not have touched the default world:\n%s", r)
	}
	// -w overrides both; it must name a world.
	wd := base.path("w")
	p.ok("new", wd)
	if r := p.ok("eval", "-w", wd, "3 * 3"); r.out() != "9" {
		t.Errorf("expected 9:\n%s", r)
	}
	p.fails("where", "eval", "-w", wd, "where")

	// Plain psyche with piped input: the REPL on the default world, results
	// printed, no prompts, no banner.
	in := "3 + 4\n(| a = 1 |\n) a\nlobby _AddSlots: (| piped <- 9 |).\npiped\n'it' printLine. 5\n"
	r := e.runInput(in)
	if r.code != 0 || r.err != nil || r.stdout != "7\n1\nlobby\n9\nit\n5\n" {
		t.Errorf("piped plain psyche: expected output %q and exit 0:\n%s", "7\n1\nlobby\n9\nit\n5\n", r)
	}
	if r := e.ok("eval", "piped"); r.out() != "9" {
		t.Errorf("the piped REPL should have run on the default world:\n%s", r)
	}
	// An error in piped input is reported and the REPL goes on.
	r = e.runInput("1 zork\n2 + 2\n")
	if !strings.Contains(r.stdout, "4") || !strings.Contains(r.stderr, "error: ") || strings.Contains(r.stdout, "psyche>") {
		t.Errorf("piped plain psyche with an error: expected the error on stderr and 4 on stdout:\n%s", r)
	}

	// With XDG_DATA_HOME unset too: ~/.local/share/psyche/default.world.
	h := base.withEnv(map[string]string{"PSYCHE_WORLD": "", "XDG_DATA_HOME": ""})
	if r := h.ok("eval", "6 * 7"); r.out() != "42" {
		t.Errorf("expected 42:\n%s", r)
	}
	home := filepath.Join(base.path("home"), ".local", "share", "psyche", "default.world")
	if _, err := os.Stat(filepath.Join(home, "heap")); err != nil {
		t.Errorf("with PSYCHE_WORLD and XDG_DATA_HOME unset the default world should be %s: %v", home, err)
	}
}

// e2eCommands are the commands of LANGUAGE.md section 5 (and the binary's
// usage).
var e2eCommands = []string{"new", "export", "eval", "run", "repl", "checkpoint", "checkpoints",
	"rollback", "check", "gc", "info", "parse"}

// psyche help lists every command; psyche CMD -h prints the command's usage
// with an example.
func TestE2EHelp(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	r := e.run("help")
	if r.code != 0 {
		t.Errorf("psyche help should exit 0:\n%s", r)
	}
	for _, c := range e2eCommands {
		if !regexp.MustCompile(`(?m)psyche ` + c + `\b`).MatchString(r.stdout) {
			t.Errorf("psyche help does not list %q:\n%s", c, r)
		}
	}
	for _, c := range e2eCommands {
		r := e.run(c, "-h")
		all := r.stdout + r.stderr
		if r.code != 0 && r.code != 2 {
			t.Errorf("psyche %s -h should exit 0 or 2:\n%s", c, r)
		}
		if !strings.Contains(all, "usage: psyche "+c) {
			t.Errorf("psyche %s -h should print %q:\n%s", c, "usage: psyche "+c, r)
		}
		_, example, ok := strings.Cut(all, "Example")
		if !ok || !regexp.MustCompile(`(?m)^\s+psyche `+c+`\b`).MatchString(example) {
			t.Errorf("psyche %s -h should show an example of psyche %s:\n%s", c, c, r)
		}
		if c == "repl" || c == "eval" || c == "new" {
			// -h must not have done anything: no default world was made.
			if _, err := os.Stat(e.path("default-world")); err == nil {
				t.Errorf("psyche %s -h created the default world", c)
			}
		}
	}
	// Nothing needs a world to print help.
	if _, err := os.Stat(e.path("default-world")); err == nil {
		t.Errorf("printing help created the default world")
	}
}
