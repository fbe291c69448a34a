// richards: Martin Richards' operating-system simulation, a port of
// tests/bench/richards.self (itself shaped like the Smalltalk, Self and Octane
// versions) step for step: the same objects, the same methods, the task state
// as three booleans, v1 >> 1 as v1 / 2 and the xor with 0xD008 as four bit
// flips. One run queues 23246 packets and holds a task 9297 times; it prints
// 'queueCount 23246 holdCount 9297'.
var COUNT = 10000;
var EXPECTED_QUEUE_COUNT = 23246;
var EXPECTED_HOLD_COUNT = 9297;

function Packet(l, i, k) {
  this.link = l;
  this.id = i;
  this.kind = k;
  this.a1 = 0;
  this.a2 = [null, null, null, null];
}
// append the receiver to the packet list queue; answer the list
Packet.prototype.addTo = function (queue) {
  var next, peek;
  this.link = null;
  if (queue === null) return this;
  next = queue;
  while (true) {
    peek = next.link;
    if (peek === null) break;
    next = peek;
  }
  next.link = this;
  return queue;
};

function Tcb(l, i, p, q, t) {
  this.link = l;
  this.id = i;
  this.priority = p;
  this.queue = q;
  this.task = t;
  // suspended, or suspended runnable if it has packets
  this.packetPending = q !== null;
  this.taskWaiting = true;
  this.taskHolding = false;
}
Tcb.prototype.setRunning = function () {
  this.packetPending = false;
  this.taskWaiting = false;
  this.taskHolding = false;
};
Tcb.prototype.markAsNotHeld = function () { this.taskHolding = false; };
Tcb.prototype.markAsHeld = function () { this.taskHolding = true; };
Tcb.prototype.markAsSuspended = function () { this.taskWaiting = true; };
Tcb.prototype.markAsRunnable = function () { this.packetPending = true; };
Tcb.prototype.isHeldOrSuspended = function () {
  return this.taskHolding || (!this.packetPending && this.taskWaiting);
};
// run the task, with the first queued packet if it was suspended runnable;
// answer the tcb to run next
Tcb.prototype.run = function () {
  var p = null;
  if (this.packetPending && (this.taskWaiting && !this.taskHolding)) {
    p = this.queue;
    this.queue = p.link;
    if (this.queue === null) {
      this.setRunning();
    } else {
      this.packetPending = true;
      this.taskWaiting = false;
      this.taskHolding = false;
    }
  }
  return this.task.run(p);
};
Tcb.prototype.checkPriorityAdd = function (t, p) {
  if (this.queue === null) {
    this.queue = p;
    this.markAsRunnable();
    if (this.priority > t.priority) return this;
  } else {
    this.queue = p.addTo(this.queue);
  }
  return t;
};

function IdleTask(s, v1, count) {
  this.scheduler = s;
  this.v1 = v1;
  this.count = count;
}
IdleTask.prototype.run = function (p) {
  this.count = this.count - 1;
  if (this.count === 0) return this.scheduler.holdCurrent();
  if (this.v1 % 2 === 0) {
    this.v1 = Math.trunc(this.v1 / 2);
    return this.scheduler.release(4);
  } else {
    this.v1 = this.xorD008(Math.trunc(this.v1 / 2));
    return this.scheduler.release(5);
  }
};
// v with bit set flipped (bit is a power of 2)
IdleTask.prototype.flip = function (bit, v) {
  return (Math.trunc(v / bit) % 2 === 0) ? v + bit : v - bit;
};
// v xor 0xD008 (2r1101000000001000)
IdleTask.prototype.xorD008 = function (v) {
  return this.flip(8, this.flip(4096, this.flip(16384, this.flip(32768, v))));
};

function DeviceTask(s) {
  this.scheduler = s;
  this.v1 = null;
}
DeviceTask.prototype.run = function (p) {
  var v;
  if (p === null) {
    if (this.v1 === null) return this.scheduler.suspendCurrent();
    v = this.v1;
    this.v1 = null;
    return this.scheduler.queue(v);
  }
  this.v1 = p;
  return this.scheduler.holdCurrent();
};

function WorkerTask(s, v1, v2) {
  this.scheduler = s;
  this.v1 = v1;
  this.v2 = v2;
}
WorkerTask.prototype.run = function (p) {
  if (p === null) return this.scheduler.suspendCurrent();
  this.v1 = (this.v1 === 2) ? 3 : 2;
  p.id = this.v1;
  p.a1 = 0;
  for (var i = 0; i < 4; i++) {
    this.v2 = this.v2 + 1;
    if (this.v2 > 26) this.v2 = 1;
    p.a2[i] = this.v2;
  }
  return this.scheduler.queue(p);
};

function HandlerTask(s) {
  this.scheduler = s;
  this.v1 = null;
  this.v2 = null;
}
HandlerTask.prototype.run = function (p) {
  var c, v;
  if (p !== null) {
    if (p.kind === 1) {
      this.v1 = p.addTo(this.v1);
    } else {
      this.v2 = p.addTo(this.v2);
    }
  }
  if (this.v1 !== null) {
    c = this.v1.a1;
    if (c < 4) {
      if (this.v2 !== null) {
        v = this.v2;
        this.v2 = this.v2.link;
        v.a1 = this.v1.a2[c];
        this.v1.a1 = c + 1;
        return this.scheduler.queue(v);
      }
    } else {
      v = this.v1;
      this.v1 = this.v1.link;
      return this.scheduler.queue(v);
    }
  }
  return this.scheduler.suspendCurrent();
};

function Scheduler() {
  this.queueCount = 0;
  this.holdCount = 0;
  this.blocks = [null, null, null, null, null, null];
  this.list = null;
  this.currentTcb = null;
  this.currentId = 0;
}
Scheduler.prototype.addIdleTask = function (i, pri, q, n) {
  this.addTask(i, pri, q, new IdleTask(this, 1, n));
  this.currentTcb.setRunning();
};
Scheduler.prototype.addWorkerTask = function (i, pri, q) {
  this.addTask(i, pri, q, new WorkerTask(this, 2, 0));
};
Scheduler.prototype.addHandlerTask = function (i, pri, q) {
  this.addTask(i, pri, q, new HandlerTask(this));
};
Scheduler.prototype.addDeviceTask = function (i, pri, q) {
  this.addTask(i, pri, q, new DeviceTask(this));
};
Scheduler.prototype.addTask = function (i, pri, q, t) {
  this.currentTcb = new Tcb(this.list, i, pri, q, t);
  this.list = this.currentTcb;
  this.blocks[i] = this.currentTcb;
};
Scheduler.prototype.schedule = function () {
  this.currentTcb = this.list;
  while (this.currentTcb !== null) {
    if (this.currentTcb.isHeldOrSuspended()) {
      this.currentTcb = this.currentTcb.link;
    } else {
      this.currentId = this.currentTcb.id;
      this.currentTcb = this.currentTcb.run();
    }
  }
};
// make task i runnable again; answer the tcb to run next
Scheduler.prototype.release = function (i) {
  var t = this.blocks[i];
  if (t === null) return t;
  t.markAsNotHeld();
  return (t.priority > this.currentTcb.priority) ? t : this.currentTcb;
};
Scheduler.prototype.holdCurrent = function () {
  this.holdCount = this.holdCount + 1;
  this.currentTcb.markAsHeld();
  return this.currentTcb.link;
};
Scheduler.prototype.suspendCurrent = function () {
  this.currentTcb.markAsSuspended();
  return this.currentTcb;
};
// send packet p to the task it names, from the current task
Scheduler.prototype.queue = function (p) {
  var t = this.blocks[p.id];
  if (t === null) return t;
  this.queueCount = this.queueCount + 1;
  p.link = null;
  p.id = this.currentId;
  return t.checkPriorityAdd(this.currentTcb, p);
};

// one full run; answers 'queueCount 23246 holdCount 9297'
function runRichards() {
  var s = new Scheduler();
  var q;
  s.addIdleTask(0, 0, null, COUNT);

  q = new Packet(null, 1, 1);
  q = new Packet(q, 1, 1);
  s.addWorkerTask(1, 1000, q);

  q = new Packet(null, 4, 0);
  q = new Packet(q, 4, 0);
  q = new Packet(q, 4, 0);
  s.addHandlerTask(2, 2000, q);

  q = new Packet(null, 5, 0);
  q = new Packet(q, 5, 0);
  q = new Packet(q, 5, 0);
  s.addHandlerTask(3, 3000, q);

  s.addDeviceTask(4, 4000, null);
  s.addDeviceTask(5, 5000, null);

  s.schedule();

  if (s.queueCount !== EXPECTED_QUEUE_COUNT) {
    throw new Error('richards: queueCount is ' + s.queueCount + ', expected ' + EXPECTED_QUEUE_COUNT);
  }
  if (s.holdCount !== EXPECTED_HOLD_COUNT) {
    throw new Error('richards: holdCount is ' + s.holdCount + ', expected ' + EXPECTED_HOLD_COUNT);
  }
  return 'queueCount ' + s.queueCount + ' holdCount ' + s.holdCount;
}
print(runRichards());
