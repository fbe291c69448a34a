-- richards: Martin Richards' operating-system simulation, a port of
-- tests/bench/richards.self (itself shaped like the Smalltalk, Self and Octane
-- versions) step for step: the same objects, the same methods, the task state
-- as three booleans, v1 >> 1 as v1 / 2 and the xor with 0xD008 as four bit
-- flips. One run queues 23246 packets and holds a task 9297 times; it prints
-- 'queueCount 23246 holdCount 9297'. Lua's nil stands for Self's nil.
local COUNT = 10000
local EXPECTED_QUEUE_COUNT = 23246
local EXPECTED_HOLD_COUNT = 9297

local Packet = {}
Packet.__index = Packet
function Packet.new(l, i, k)
  return setmetatable({link = l, id = i, kind = k, a1 = 0, a2 = {}}, Packet)
end
-- append the receiver to the packet list queue; answer the list
function Packet:addTo(queue)
  local next, peek
  self.link = nil
  if queue == nil then return self end
  next = queue
  while true do
    peek = next.link
    if peek == nil then break end
    next = peek
  end
  next.link = self
  return queue
end

local Tcb = {}
Tcb.__index = Tcb
function Tcb.new(l, i, p, q, t)
  -- suspended, or suspended runnable if it has packets
  return setmetatable({link = l, id = i, priority = p, queue = q, task = t,
    packetPending = q ~= nil, taskWaiting = true, taskHolding = false}, Tcb)
end
function Tcb:setRunning()
  self.packetPending = false
  self.taskWaiting = false
  self.taskHolding = false
end
function Tcb:markAsNotHeld() self.taskHolding = false end
function Tcb:markAsHeld() self.taskHolding = true end
function Tcb:markAsSuspended() self.taskWaiting = true end
function Tcb:markAsRunnable() self.packetPending = true end
function Tcb:isHeldOrSuspended()
  return self.taskHolding or ((not self.packetPending) and self.taskWaiting)
end
-- run the task, with the first queued packet if it was suspended runnable;
-- answer the tcb to run next
function Tcb:run()
  local p = nil
  if self.packetPending and (self.taskWaiting and not self.taskHolding) then
    p = self.queue
    self.queue = p.link
    if self.queue == nil then
      self:setRunning()
    else
      self.packetPending = true
      self.taskWaiting = false
      self.taskHolding = false
    end
  end
  return self.task:run(p)
end
function Tcb:checkPriorityAdd(t, p)
  if self.queue == nil then
    self.queue = p
    self:markAsRunnable()
    if self.priority > t.priority then return self end
  else
    self.queue = p:addTo(self.queue)
  end
  return t
end

local IdleTask = {}
IdleTask.__index = IdleTask
function IdleTask.new(s, v1, count)
  return setmetatable({scheduler = s, v1 = v1, count = count}, IdleTask)
end
function IdleTask:run(p)
  self.count = self.count - 1
  if self.count == 0 then return self.scheduler:holdCurrent() end
  if self.v1 % 2 == 0 then
    self.v1 = math.floor(self.v1 / 2)
    return self.scheduler:release(4)
  else
    self.v1 = self:xorD008(math.floor(self.v1 / 2))
    return self.scheduler:release(5)
  end
end
-- v with bit set flipped (bit is a power of 2)
function IdleTask:flip(bit, v)
  if math.floor(v / bit) % 2 == 0 then return v + bit else return v - bit end
end
-- v xor 0xD008 (2r1101000000001000)
function IdleTask:xorD008(v)
  return self:flip(8, self:flip(4096, self:flip(16384, self:flip(32768, v))))
end

local DeviceTask = {}
DeviceTask.__index = DeviceTask
function DeviceTask.new(s)
  return setmetatable({scheduler = s, v1 = nil}, DeviceTask)
end
function DeviceTask:run(p)
  local v
  if p == nil then
    if self.v1 == nil then return self.scheduler:suspendCurrent() end
    v = self.v1
    self.v1 = nil
    return self.scheduler:queue(v)
  end
  self.v1 = p
  return self.scheduler:holdCurrent()
end

local WorkerTask = {}
WorkerTask.__index = WorkerTask
function WorkerTask.new(s, v1, v2)
  return setmetatable({scheduler = s, v1 = v1, v2 = v2}, WorkerTask)
end
function WorkerTask:run(p)
  if p == nil then return self.scheduler:suspendCurrent() end
  if self.v1 == 2 then self.v1 = 3 else self.v1 = 2 end
  p.id = self.v1
  p.a1 = 0
  for i = 0, 3 do
    self.v2 = self.v2 + 1
    if self.v2 > 26 then self.v2 = 1 end
    p.a2[i] = self.v2
  end
  return self.scheduler:queue(p)
end

local HandlerTask = {}
HandlerTask.__index = HandlerTask
function HandlerTask.new(s)
  return setmetatable({scheduler = s, v1 = nil, v2 = nil}, HandlerTask)
end
function HandlerTask:run(p)
  local c, v
  if p ~= nil then
    if p.kind == 1 then
      self.v1 = p:addTo(self.v1)
    else
      self.v2 = p:addTo(self.v2)
    end
  end
  if self.v1 ~= nil then
    c = self.v1.a1
    if c < 4 then
      if self.v2 ~= nil then
        v = self.v2
        self.v2 = self.v2.link
        v.a1 = self.v1.a2[c]
        self.v1.a1 = c + 1
        return self.scheduler:queue(v)
      end
    else
      v = self.v1
      self.v1 = self.v1.link
      return self.scheduler:queue(v)
    end
  end
  return self.scheduler:suspendCurrent()
end

local Scheduler = {}
Scheduler.__index = Scheduler
function Scheduler.new()
  return setmetatable({queueCount = 0, holdCount = 0, blocks = {},
    list = nil, currentTcb = nil, currentId = 0}, Scheduler)
end
function Scheduler:addIdleTask(i, pri, q, n)
  self:addTask(i, pri, q, IdleTask.new(self, 1, n))
  self.currentTcb:setRunning()
end
function Scheduler:addWorkerTask(i, pri, q)
  self:addTask(i, pri, q, WorkerTask.new(self, 2, 0))
end
function Scheduler:addHandlerTask(i, pri, q)
  self:addTask(i, pri, q, HandlerTask.new(self))
end
function Scheduler:addDeviceTask(i, pri, q)
  self:addTask(i, pri, q, DeviceTask.new(self))
end
function Scheduler:addTask(i, pri, q, t)
  self.currentTcb = Tcb.new(self.list, i, pri, q, t)
  self.list = self.currentTcb
  self.blocks[i] = self.currentTcb
end
function Scheduler:schedule()
  self.currentTcb = self.list
  while self.currentTcb ~= nil do
    if self.currentTcb:isHeldOrSuspended() then
      self.currentTcb = self.currentTcb.link
    else
      self.currentId = self.currentTcb.id
      self.currentTcb = self.currentTcb:run()
    end
  end
end
-- make task i runnable again; answer the tcb to run next
function Scheduler:release(i)
  local t = self.blocks[i]
  if t == nil then return t end
  t:markAsNotHeld()
  if t.priority > self.currentTcb.priority then return t else return self.currentTcb end
end
function Scheduler:holdCurrent()
  self.holdCount = self.holdCount + 1
  self.currentTcb:markAsHeld()
  return self.currentTcb.link
end
function Scheduler:suspendCurrent()
  self.currentTcb:markAsSuspended()
  return self.currentTcb
end
-- send packet p to the task it names, from the current task
function Scheduler:queue(p)
  local t = self.blocks[p.id]
  if t == nil then return t end
  self.queueCount = self.queueCount + 1
  p.link = nil
  p.id = self.currentId
  return t:checkPriorityAdd(self.currentTcb, p)
end

-- one full run; answers 'queueCount 23246 holdCount 9297'
local function runRichards()
  local s = Scheduler.new()
  local q
  s:addIdleTask(0, 0, nil, COUNT)

  q = Packet.new(nil, 1, 1)
  q = Packet.new(q, 1, 1)
  s:addWorkerTask(1, 1000, q)

  q = Packet.new(nil, 4, 0)
  q = Packet.new(q, 4, 0)
  q = Packet.new(q, 4, 0)
  s:addHandlerTask(2, 2000, q)

  q = Packet.new(nil, 5, 0)
  q = Packet.new(q, 5, 0)
  q = Packet.new(q, 5, 0)
  s:addHandlerTask(3, 3000, q)

  s:addDeviceTask(4, 4000, nil)
  s:addDeviceTask(5, 5000, nil)

  s:schedule()

  if s.queueCount ~= EXPECTED_QUEUE_COUNT then
    error('richards: queueCount is ' .. s.queueCount .. ', expected ' .. EXPECTED_QUEUE_COUNT)
  end
  if s.holdCount ~= EXPECTED_HOLD_COUNT then
    error('richards: holdCount is ' .. s.holdCount .. ', expected ' .. EXPECTED_HOLD_COUNT)
  end
  return 'queueCount ' .. s.queueCount .. ' holdCount ' .. s.holdCount
end
print(runRichards())
