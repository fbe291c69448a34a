"Richards: Martin Richards' operating-system simulation benchmark, in
 the shape of the Smalltalk, Self and JavaScript (Octane) versions.

 A scheduler runs six tasks, each with a task control block (tcb) in a
 list ordered by priority: an idle task, a worker, two handlers (A and
 B) and two devices (A and B). Tasks pass packets to one another; the
 idle task runs count (10000) times. One run queues 23246 packets and
 holds a task 9297 times; richards run checks both and answers them.

 Ids: idle 0, worker 1, handler A 2, handler B 3, device A 4, device B 5.
 Packet kinds: device 0, work 1. A packet carries 4 data words.

 The task states, a bit set in the C and JavaScript versions, are the
 three booleans of the Smalltalk version (packetPending, taskWaiting,
 taskHolding): running = none, runnable = packetPending,
 suspended = taskWaiting, suspended runnable = packetPending and
 taskWaiting, held = taskHolding.

 Psyche has no bit operations: the idle task's v1 >> 1 is v1 / 2 (v1 is
 never negative) and its xor with 16rD008 flips bits 3, 12, 14 and 15.

 Every prototype that is cloned (packet, tcb, the tasks, scheduler) has
 its own data slots, so clones never share state with it."

lobby _AddSlots: ( |
    richards = ( |
        parent* = traits clonable.

        count = 10000.
        expectedQueueCount = 23246.
        expectedHoldCount = 9297.

        packet = ( |
            parent* = traits clonable.
            link.
            id <- 0.
            kind <- 0.
            a1 <- 0.
            a2.
            link: l Id: i Kind: k = (
                link: l.
                id: i.
                kind: k.
                a1: 0.
                a2: (vector copySize: 4).
                self ).
            "append the receiver to the packet list queue; answer the list"
            addTo: queue = ( | next. peek |
                link: nil.
                queue isNil ifTrue: [^ self].
                next: queue.
                [peek: next link. peek isNil] whileFalse: [next: peek].
                next link: self.
                queue ).
        | ).

        tcb = ( |
            parent* = traits clonable.
            link.
            id <- 0.
            priority <- 0.
            queue.
            task.
            packetPending <- false.
            taskWaiting <- false.
            taskHolding <- false.
            link: l Id: i Priority: p Queue: q Task: t = (
                link: l.
                id: i.
                priority: p.
                queue: q.
                task: t.
                "suspended, or suspended runnable if it has packets"
                packetPending: q notNil.
                taskWaiting: true.
                taskHolding: false.
                self ).
            setRunning = (
                packetPending: false.
                taskWaiting: false.
                taskHolding: false ).
            markAsNotHeld = ( taskHolding: false ).
            markAsHeld = ( taskHolding: true ).
            markAsSuspended = ( taskWaiting: true ).
            markAsRunnable = ( packetPending: true ).
            isHeldOrSuspended = (
                taskHolding || [packetPending not && [taskWaiting]] ).
            "run the task, with the first queued packet if it was suspended
             runnable; answer the tcb to run next"
            run = ( | p |
                (packetPending && [taskWaiting && [taskHolding not]]) ifTrue: [
                    p: queue.
                    queue: p link.
                    queue isNil
                        ifTrue: [setRunning]
                        False: [
                            packetPending: true.
                            taskWaiting: false.
                            taskHolding: false]].
                task run: p ).
            checkPriorityAdd: t Packet: p = (
                queue isNil
                    ifTrue: [
                        queue: p.
                        markAsRunnable.
                        (priority > t priority) ifTrue: [^ self]]
                    False: [queue: (p addTo: queue)].
                t ).
        | ).

        idleTask = ( |
            parent* = traits clonable.
            scheduler.
            v1 <- 0.
            count <- 0.
            run: p = (
                count: count - 1.
                (count = 0) ifTrue: [^ scheduler holdCurrent].
                ((v1 % 2) = 0)
                    ifTrue: [
                        v1: v1 / 2.
                        scheduler release: 4]
                    False: [
                        v1: (xorD008: v1 / 2).
                        scheduler release: 5] ).
            "v with bit set flipped (bit is a power of 2)"
            flip: bit In: v = (
                (((v / bit) % 2) = 0) ifTrue: [v + bit] False: [v - bit] ).
            "v xor 16rD008 (2r1101000000001000)"
            xorD008: v = (
                flip: 8 In: (flip: 4096 In: (flip: 16384 In: (flip: 32768 In: v))) ).
        | ).

        deviceTask = ( |
            parent* = traits clonable.
            scheduler.
            v1.
            run: p = ( | v |
                p isNil ifTrue: [
                    v1 isNil ifTrue: [^ scheduler suspendCurrent].
                    v: v1.
                    v1: nil.
                    ^ scheduler queue: v].
                v1: p.
                scheduler holdCurrent ).
        | ).

        workerTask = ( |
            parent* = traits clonable.
            scheduler.
            v1 <- 0.
            v2 <- 0.
            run: p = (
                p isNil ifTrue: [^ scheduler suspendCurrent].
                v1: ((v1 = 2) ifTrue: [3] False: [2]).
                p id: v1.
                p a1: 0.
                0 upTo: 4 Do: [|:i|
                    v2: v2 + 1.
                    (v2 > 26) ifTrue: [v2: 1].
                    p a2 at: i Put: v2].
                scheduler queue: p ).
        | ).

        handlerTask = ( |
            parent* = traits clonable.
            scheduler.
            v1.
            v2.
            run: p = ( | c. v |
                p isNil ifFalse: [
                    (p kind = 1)
                        ifTrue: [v1: (p addTo: v1)]
                        False: [v2: (p addTo: v2)]].
                v1 isNil ifFalse: [
                    c: v1 a1.
                    (c < 4)
                        ifTrue: [
                            v2 isNil ifFalse: [
                                v: v2.
                                v2: v2 link.
                                v a1: (v1 a2 at: c).
                                v1 a1: c + 1.
                                ^ scheduler queue: v]]
                        False: [
                            v: v1.
                            v1: v1 link.
                            ^ scheduler queue: v]].
                scheduler suspendCurrent ).
        | ).

        scheduler = ( |
            parent* = traits clonable.
            queueCount <- 0.
            holdCount <- 0.
            blocks.
            list.
            currentTcb.
            currentId <- 0.
            init = (
                queueCount: 0.
                holdCount: 0.
                blocks: (vector copySize: 6).
                list: nil.
                currentTcb: nil.
                currentId: 0.
                self ).

            addIdleTask: i Priority: pri Queue: q Count: n = ( | t |
                t: richards idleTask clone.
                t scheduler: self.
                t v1: 1.
                t count: n.
                addTask: i Priority: pri Queue: q Task: t.
                currentTcb setRunning ).
            addWorkerTask: i Priority: pri Queue: q = ( | t |
                t: richards workerTask clone.
                t scheduler: self.
                t v1: 2.
                t v2: 0.
                addTask: i Priority: pri Queue: q Task: t ).
            addHandlerTask: i Priority: pri Queue: q = ( | t |
                t: richards handlerTask clone.
                t scheduler: self.
                t v1: nil.
                t v2: nil.
                addTask: i Priority: pri Queue: q Task: t ).
            addDeviceTask: i Priority: pri Queue: q = ( | t |
                t: richards deviceTask clone.
                t scheduler: self.
                t v1: nil.
                addTask: i Priority: pri Queue: q Task: t ).
            addTask: i Priority: pri Queue: q Task: t = (
                currentTcb: (richards tcb clone link: list Id: i Priority: pri Queue: q Task: t).
                list: currentTcb.
                blocks at: i Put: currentTcb ).

            schedule = (
                currentTcb: list.
                [currentTcb isNil] whileFalse: [
                    currentTcb isHeldOrSuspended
                        ifTrue: [currentTcb: currentTcb link]
                        False: [
                            currentId: currentTcb id.
                            currentTcb: currentTcb run]].
                self ).

            "make task i runnable again; answer the tcb to run next"
            release: i = ( | t |
                t: blocks at: i.
                t isNil ifTrue: [^ t].
                t markAsNotHeld.
                (t priority > currentTcb priority) ifTrue: [t] False: [currentTcb] ).
            holdCurrent = (
                holdCount: holdCount + 1.
                currentTcb markAsHeld.
                currentTcb link ).
            suspendCurrent = (
                currentTcb markAsSuspended.
                currentTcb ).
            "send packet p to the task it names, from the current task"
            queue: p = ( | t |
                t: blocks at: p id.
                t isNil ifTrue: [^ t].
                queueCount: queueCount + 1.
                p link: nil.
                p id: currentId.
                t checkPriorityAdd: currentTcb Packet: p ).
        | ).

        newPacket: l Id: i Kind: k = ( packet clone link: l Id: i Kind: k ).

        "one full run; answers 'queueCount 23246 holdCount 9297'"
        run = ( | s. q |
            s: scheduler clone init.
            s addIdleTask: 0 Priority: 0 Queue: nil Count: count.

            q: (newPacket: nil Id: 1 Kind: 1).
            q: (newPacket: q Id: 1 Kind: 1).
            s addWorkerTask: 1 Priority: 1000 Queue: q.

            q: (newPacket: nil Id: 4 Kind: 0).
            q: (newPacket: q Id: 4 Kind: 0).
            q: (newPacket: q Id: 4 Kind: 0).
            s addHandlerTask: 2 Priority: 2000 Queue: q.

            q: (newPacket: nil Id: 5 Kind: 0).
            q: (newPacket: q Id: 5 Kind: 0).
            q: (newPacket: q Id: 5 Kind: 0).
            s addHandlerTask: 3 Priority: 3000 Queue: q.

            s addDeviceTask: 4 Priority: 4000 Queue: nil.
            s addDeviceTask: 5 Priority: 5000 Queue: nil.

            s schedule.

            (s queueCount = expectedQueueCount) ifFalse: [
                ^ error: 'richards: queueCount is ', s queueCount printString,
                    ', expected ', expectedQueueCount printString].
            (s holdCount = expectedHoldCount) ifFalse: [
                ^ error: 'richards: holdCount is ', s holdCount printString,
                    ', expected ', expectedHoldCount printString].
            'queueCount ', s queueCount printString, ' holdCount ', s holdCount printString ).
    | ).
| ).

richards run printLine.
