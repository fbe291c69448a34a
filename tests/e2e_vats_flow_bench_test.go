package tests

// Benchmarks of messages between two worlds on one machine, each in its own
// psyche process, against the same workload through a bare Unix socket:
// a Go server that reads each request (of the size of a one-message vat
// batch) and writes a reply (of the size of a vat reply). Each benchmark
// reports vat messages per second, the bare socket's, and their ratio,
// measured side by side in the same run. Figures: tests/bench/README.md.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"psyche/vat"
	"psyche/vat/values"
)

// vatFlowPayload is the argument of every benchmark message.
var vatFlowPayload = strings.Repeat("x", 64)

// vatFlowBench is two worlds for a benchmark: recv, served, whose gateway
// counts add: messages, and send, whose bank reaches it.
type vatFlowBench struct {
	b          *testing.B
	bin        string
	dir        string
	env        []string
	recv, send string
	serve      *exec.Cmd
}

func newVatFlowBench(b *testing.B) *vatFlowBench {
	dir := b.TempDir()
	v := &vatFlowBench{b: b, bin: e2eBin(b), dir: dir,
		env:  e2eEnviron(map[string]string{"HOME": dir, "XDG_DATA_HOME": dir, "PSYCHE_WORLD": filepath.Join(dir, "default")}),
		recv: filepath.Join(dir, "recv"), send: filepath.Join(dir, "send")}
	v.run("new", v.recv)
	v.run("new", v.send)
	v.run("eval", "-w", v.recv, "lobby _AddSlots: (| gateway = (| n <- 0. add: s = ( n: n + 1. n ) |) |). 0")
	v.run("eval", "-w", v.send, fmt.Sprintf(`lobby _AddSlots: (| bank <- nil. payload = '%s'.
		chain: k Then: path = ( k > 0
			ifTrue: [(bank add: payload) whenResolved: [|:v| chain: k - 1 Then: path]]
			False: [(file named: path) write: 'done' asByteVector]. self ) |). bank: (vats at: '%s'). 0`, vatFlowPayload, v.recv))
	v.serve = v.command("serve", "-w", v.recv)
	if err := v.serve.Start(); err != nil {
		b.Fatal(err)
	}
	vatFlowAwaitSocket(b, v.recv)
	b.Cleanup(func() {
		v.serve.Process.Kill()
		v.serve.Wait()
	})
	return v
}

func (v *vatFlowBench) command(args ...string) *exec.Cmd {
	cmd := exec.Command(v.bin, args...)
	cmd.Dir, cmd.Env = v.dir, v.env
	return cmd
}

func (v *vatFlowBench) run(args ...string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, v.bin, args...)
	cmd.Dir, cmd.Env = v.dir, v.env
	if out, err := cmd.CombinedOutput(); err != nil {
		v.b.Fatalf("psyche %s: %v\n%s", e2eQuote(args), err, out)
	}
}

// vatFlowWireSizes answers the sizes of a vat batch of one add: message
// and of its reply, as they travel (HTTP headers aside).
func vatFlowWireSizes(tb testing.TB) (request, reply int) {
	args, err := values.Encode(values.Value{Kind: values.Vector, Elems: []values.Value{{Kind: values.String, Bytes: []byte(vatFlowPayload)}}})
	if err != nil {
		tb.Fatal(err)
	}
	batch, err := vat.EncodeBatch(vat.Batch{From: strings.Repeat("f", 32), Ack: 1 << 20,
		Messages: []vat.Message{{Seq: 1<<20 + 1, Target: "gateway", Selector: "add:", Args: args}}})
	if err != nil {
		tb.Fatal(err)
	}
	val, err := values.Encode(values.Value{Kind: values.Int, Int: 1 << 20})
	if err != nil {
		tb.Fatal(err)
	}
	rep, err := vat.EncodeReplies([]vat.Reply{{Seq: 1<<20 + 1, OK: true, Value: val}})
	if err != nil {
		tb.Fatal(err)
	}
	return len(batch), len(rep)
}

// vatFlowBare times n requests through a bare Unix socket to a Go server
// that answers each with a reply: pipelined (all written while replies
// are read) or one at a time.
func vatFlowBare(tb testing.TB, n int, pipelined bool) time.Duration {
	reqSize, repSize := vatFlowWireSizes(tb)
	sock := filepath.Join(tb.TempDir(), "bare.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		req, rep := make([]byte, reqSize), bytes.Repeat([]byte{1}, repSize)
		for {
			if _, err := io.ReadFull(c, req); err != nil {
				return
			}
			if _, err := c.Write(rep); err != nil {
				return
			}
		}
	}()
	c, err := net.Dial("unix", sock)
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close()
	req, rep := bytes.Repeat([]byte{2}, reqSize), make([]byte, repSize)
	start := time.Now()
	if pipelined {
		werr := make(chan error, 1)
		go func() {
			for i := 0; i < n; i++ {
				if _, err := c.Write(req); err != nil {
					werr <- err
					return
				}
			}
			werr <- nil
		}()
		for i := 0; i < n; i++ {
			if _, err := io.ReadFull(c, rep); err != nil {
				tb.Fatal(err)
			}
		}
		if err := <-werr; err != nil {
			tb.Fatal(err)
		}
	} else {
		for i := 0; i < n; i++ {
			if _, err := c.Write(req); err != nil {
				tb.Fatal(err)
			}
			if _, err := io.ReadFull(c, rep); err != nil {
				tb.Fatal(err)
			}
		}
	}
	return time.Since(start)
}

// vatFlowReport reports messages per second through the vats and through
// the bare socket, and how many times slower the vats are.
func vatFlowReport(b *testing.B, vats, bare time.Duration) {
	b.ReportMetric(float64(b.N)/vats.Seconds(), "msgs/s")
	b.ReportMetric(float64(b.N)/bare.Seconds(), "bare-msgs/s")
	b.ReportMetric(vats.Seconds()/bare.Seconds(), "x-bare")
}

// BenchmarkVatFlowOneWay: one evaluation sends b.N messages (pipelined:
// they leave in batches) and waits for every reply.
func BenchmarkVatFlowOneWay(b *testing.B) {
	v := newVatFlowBench(b)
	b.ResetTimer()
	start := time.Now()
	v.run("eval", "--timeout", "10m", "-w", v.send, fmt.Sprintf("%d timesRepeat: [bank add: payload]. 0", b.N))
	vats := time.Since(start)
	b.StopTimer()
	vatFlowReport(b, vats, vatFlowBare(b, b.N, true))
}

// BenchmarkVatFlowRoundTrip: a REPL sends a message, and each reply's
// callback sends the next, b.N times; the last writes a file.
func BenchmarkVatFlowRoundTrip(b *testing.B) {
	v := newVatFlowBench(b)
	repl := v.command("repl", "-w", v.send)
	in, err := repl.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	var out e2eSyncBuffer
	repl.Stdout, repl.Stderr = &out, &out
	if err := repl.Start(); err != nil {
		b.Fatal(err)
	}
	vatFlowAwaitSocket(b, v.send)
	done := filepath.Join(v.dir, "done")
	b.ResetTimer()
	start := time.Now()
	fmt.Fprintf(in, "chain: %d Then: '%s'\n", b.N, done)
	deadline := start.Add(10 * time.Minute)
	for {
		if _, err := os.Stat(done); err == nil {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("the chain of %d round trips did not end:\n%s", b.N, out.String())
		}
		time.Sleep(200 * time.Microsecond)
	}
	vats := time.Since(start)
	b.StopTimer()
	in.Close()
	repl.Wait()
	vatFlowReport(b, vats, vatFlowBare(b, b.N, false))
}
