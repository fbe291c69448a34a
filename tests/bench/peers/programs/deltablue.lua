-- deltablue: the DeltaBlue incremental constraint solver (Freeman-Benson,
-- Maloney and Borning; the Smalltalk version as ported to JavaScript for
-- Octane), step for step as in deltablue.self: strengths, variables, unary
-- (stay, edit) and binary (equality, scale) constraints, the planner and
-- plans, and Octane's two tests, chainTest(100) and projectionTest(100), run
-- 20 times. OrderedCollection's removeFirst takes the last element, as
-- Octane's does. Lua's nil stands for Self's nil. Prints the sums of the
-- chain's last values and of the projection's destinations.
local currentPlanner = nil

local function class(parent)
  local c = {}
  c.__index = c
  if parent ~= nil then setmetatable(c, parent) end
  return c
end

local Strength = class(nil)
function Strength.new(v, name) return setmetatable({strengthValue = v, name = name}, Strength) end
function Strength:stronger(s) return self.strengthValue < s.strengthValue end
function Strength:weaker(s) return self.strengthValue > s.strengthValue end
function Strength:weakestOf(s) if self:weaker(s) then return self else return s end end
function Strength:strongest(s) if self:stronger(s) then return self else return s end end
local REQUIRED = Strength.new(0, 'required')
local STRONG_PREFERRED = Strength.new(1, 'strongPreferred')
local PREFERRED = Strength.new(2, 'preferred')
local STRONG_DEFAULT = Strength.new(3, 'strongDefault')
local NORMAL = Strength.new(4, 'normal')
local WEAK_DEFAULT = Strength.new(5, 'weakDefault')
local WEAKEST = Strength.new(6, 'weakest')
function Strength:nextWeaker()
  if self.strengthValue == 0 then return STRONG_PREFERRED end
  if self.strengthValue == 1 then return PREFERRED end
  if self.strengthValue == 2 then return STRONG_DEFAULT end
  if self.strengthValue == 3 then return NORMAL end
  if self.strengthValue == 4 then return WEAK_DEFAULT end
  if self.strengthValue == 5 then return WEAKEST end
  return nil
end

local FORWARD, BACKWARD, NONE = 1, -1, 0

-- elms[0 .. n-1] hold the elements, as in a 0-based list.
local OrderedCollection = class(nil)
function OrderedCollection.new() return setmetatable({elms = {}, n = 0}, OrderedCollection) end
function OrderedCollection:add(e) self.elms[self.n] = e; self.n = self.n + 1 end
function OrderedCollection:at(i) return self.elms[i] end
function OrderedCollection:size() return self.n end
function OrderedCollection:removeFirst()
  self.n = self.n - 1
  local e = self.elms[self.n]
  self.elms[self.n] = nil
  return e
end
function OrderedCollection:remove(e)
  local index, skipped = 0, 0
  for i = 0, self.n - 1 do
    local v = self.elms[i]
    if v ~= e then
      self.elms[index] = v
      index = index + 1
    else
      skipped = skipped + 1
    end
  end
  for i = 0, skipped - 1 do self:removeFirst() end
end

local Variable = class(nil)
function Variable.new(name, value)
  return setmetatable({value = value, constraints = OrderedCollection.new(), determinedBy = nil,
    mark = 0, walkStrength = WEAKEST, stay = true, name = name}, Variable)
end
function Variable:addConstraint(c) self.constraints:add(c) end
function Variable:removeConstraint(c)
  self.constraints:remove(c)
  if self.determinedBy == c then self.determinedBy = nil end
end

local Constraint = class(nil)
function Constraint:addConstraint()
  self:addToGraph()
  currentPlanner:incrementalAdd(self)
end
function Constraint:satisfy(mark)
  local out, overridden
  self:chooseMethod(mark)
  if not self:isSatisfied() then
    if self.strength == REQUIRED then error('Could not satisfy a required constraint!') end
    return nil
  end
  self:markInputs(mark)
  out = self:output()
  overridden = out.determinedBy
  if overridden ~= nil then overridden:markUnsatisfied() end
  out.determinedBy = self
  if not currentPlanner:addPropagate(self, mark) then error('Cycle encountered') end
  out.mark = mark
  return overridden
end
function Constraint:destroyConstraint()
  if self:isSatisfied() then currentPlanner:incrementalRemove(self) else self:removeFromGraph() end
end
function Constraint:isInput() return false end

local UnaryConstraint = class(Constraint)
function UnaryConstraint:on(v, s)
  self.strength = s
  self.myOutput = v
  self.satisfied = false
  self:addConstraint()
  return self
end
function UnaryConstraint:addToGraph()
  self.myOutput:addConstraint(self)
  self.satisfied = false
end
function UnaryConstraint:chooseMethod(mark)
  self.satisfied = (self.myOutput.mark ~= mark) and self.strength:stronger(self.myOutput.walkStrength)
end
function UnaryConstraint:isSatisfied() return self.satisfied end
function UnaryConstraint:markInputs(mark) end
function UnaryConstraint:output() return self.myOutput end
function UnaryConstraint:recalculate()
  self.myOutput.walkStrength = self.strength
  self.myOutput.stay = not self:isInput()
  if self.myOutput.stay then self:execute() end
end
function UnaryConstraint:markUnsatisfied() self.satisfied = false end
function UnaryConstraint:inputsKnown(mark) return true end
function UnaryConstraint:removeFromGraph()
  if self.myOutput ~= nil then self.myOutput:removeConstraint(self) end
  self.satisfied = false
end

local StayConstraint = class(UnaryConstraint)
function StayConstraint.new() return setmetatable({satisfied = false}, StayConstraint) end
function StayConstraint:execute() end

local EditConstraint = class(UnaryConstraint)
function EditConstraint.new() return setmetatable({satisfied = false}, EditConstraint) end
function EditConstraint:isInput() return true end
function EditConstraint:execute() end

local BinaryConstraint = class(Constraint)
function BinaryConstraint:from(a, b, s)
  self.strength = s
  self.v1 = a
  self.v2 = b
  self.direction = NONE
  self:addConstraint()
  return self
end
function BinaryConstraint:chooseMethod(mark)
  if self.v1.mark == mark then
    if (self.v2.mark ~= mark) and self.strength:stronger(self.v2.walkStrength) then
      self.direction = FORWARD else self.direction = NONE end
  end
  if self.v2.mark == mark then
    if (self.v1.mark ~= mark) and self.strength:stronger(self.v1.walkStrength) then
      self.direction = BACKWARD else self.direction = NONE end
  end
  if self.v1.walkStrength:weaker(self.v2.walkStrength) then
    if self.strength:stronger(self.v1.walkStrength) then self.direction = BACKWARD else self.direction = NONE end
  else
    if self.strength:stronger(self.v2.walkStrength) then self.direction = FORWARD else self.direction = BACKWARD end
  end
end
function BinaryConstraint:addToGraph()
  self.v1:addConstraint(self)
  self.v2:addConstraint(self)
  self.direction = NONE
end
function BinaryConstraint:isSatisfied() return self.direction ~= NONE end
function BinaryConstraint:markInputs(mark) self:input().mark = mark end
function BinaryConstraint:input() if self.direction == FORWARD then return self.v1 else return self.v2 end end
function BinaryConstraint:output() if self.direction == FORWARD then return self.v2 else return self.v1 end end
function BinaryConstraint:recalculate()
  local ihn, out = self:input(), self:output()
  out.walkStrength = self.strength:weakestOf(ihn.walkStrength)
  out.stay = ihn.stay
  if out.stay then self:execute() end
end
function BinaryConstraint:markUnsatisfied() self.direction = NONE end
function BinaryConstraint:inputsKnown(mark)
  local i = self:input()
  return (i.mark == mark) or (i.stay or (i.determinedBy == nil))
end
function BinaryConstraint:removeFromGraph()
  if self.v1 ~= nil then self.v1:removeConstraint(self) end
  if self.v2 ~= nil then self.v2:removeConstraint(self) end
  self.direction = NONE
end

local EqualityConstraint = class(BinaryConstraint)
function EqualityConstraint.new() return setmetatable({direction = NONE}, EqualityConstraint) end
function EqualityConstraint:execute() self:output().value = self:input().value end

local ScaleConstraint = class(BinaryConstraint)
function ScaleConstraint.new() return setmetatable({direction = NONE}, ScaleConstraint) end
function ScaleConstraint:src(s, sc, o, d, str)
  self.direction = NONE
  self.scale = sc
  self.offset = o
  return self:from(s, d, str)
end
function ScaleConstraint:addToGraph()
  BinaryConstraint.addToGraph(self)
  self.scale:addConstraint(self)
  self.offset:addConstraint(self)
end
function ScaleConstraint:removeFromGraph()
  BinaryConstraint.removeFromGraph(self)
  if self.scale ~= nil then self.scale:removeConstraint(self) end
  if self.offset ~= nil then self.offset:removeConstraint(self) end
end
function ScaleConstraint:markInputs(mark)
  BinaryConstraint.markInputs(self, mark)
  self.scale.mark = mark
  self.offset.mark = mark
end
function ScaleConstraint:execute()
  if self.direction == FORWARD then
    self.v2.value = (self.v1.value * self.scale.value) + self.offset.value
  else
    local q = (self.v2.value - self.offset.value) / self.scale.value
    if q < 0 then self.v1.value = math.ceil(q) else self.v1.value = math.floor(q) end
  end
end
function ScaleConstraint:recalculate()
  local ihn, out = self:input(), self:output()
  out.walkStrength = self.strength:weakestOf(ihn.walkStrength)
  out.stay = ihn.stay and (self.scale.stay and self.offset.stay)
  if out.stay then self:execute() end
end

local Plan = class(nil)
function Plan.new() return setmetatable({v = OrderedCollection.new()}, Plan) end
function Plan:addConstraint(c) self.v:add(c) end
function Plan:size() return self.v:size() end
function Plan:constraintAt(i) return self.v:at(i) end
function Plan:execute()
  for i = 0, self:size() - 1 do self:constraintAt(i):execute() end
end

local Planner = class(nil)
function Planner.new() return setmetatable({currentMark = 0}, Planner) end
function Planner:incrementalAdd(c)
  local mark = self:newMark()
  local overridden = c:satisfy(mark)
  while overridden ~= nil do overridden = overridden:satisfy(mark) end
end
function Planner:incrementalRemove(c)
  local out = c:output()
  c:markUnsatisfied()
  c:removeFromGraph()
  local unsatisfied = self:removePropagateFrom(out)
  local strength = REQUIRED
  repeat
    for i = 0, unsatisfied:size() - 1 do
      local u = unsatisfied:at(i)
      if u.strength == strength then self:incrementalAdd(u) end
    end
    strength = strength:nextWeaker()
  until strength == WEAKEST
end
function Planner:newMark()
  self.currentMark = self.currentMark + 1
  return self.currentMark
end
function Planner:makePlan(sources)
  local mark = self:newMark()
  local plan = Plan.new()
  local todo = sources
  while todo:size() > 0 do
    local c = todo:removeFirst()
    if (c:output().mark ~= mark) and c:inputsKnown(mark) then
      plan:addConstraint(c)
      c:output().mark = mark
      self:addConstraintsConsumingTo(c:output(), todo)
    end
  end
  return plan
end
function Planner:extractPlanFromConstraints(constraints)
  local sources = OrderedCollection.new()
  for i = 0, constraints:size() - 1 do
    local c = constraints:at(i)
    if c:isInput() and c:isSatisfied() then sources:add(c) end
  end
  return self:makePlan(sources)
end
function Planner:addPropagate(c, mark)
  local todo = OrderedCollection.new()
  todo:add(c)
  while todo:size() > 0 do
    local d = todo:removeFirst()
    if d:output().mark == mark then
      self:incrementalRemove(c)
      return false
    end
    d:recalculate()
    self:addConstraintsConsumingTo(d:output(), todo)
  end
  return true
end
function Planner:removePropagateFrom(out)
  out.determinedBy = nil
  out.walkStrength = WEAKEST
  out.stay = true
  local unsatisfied = OrderedCollection.new()
  local todo = OrderedCollection.new()
  todo:add(out)
  while todo:size() > 0 do
    local v = todo:removeFirst()
    for i = 0, v.constraints:size() - 1 do
      local c = v.constraints:at(i)
      if not c:isSatisfied() then unsatisfied:add(c) end
    end
    local determining = v.determinedBy
    for i = 0, v.constraints:size() - 1 do
      local nxt = v.constraints:at(i)
      if (nxt ~= determining) and nxt:isSatisfied() then
        nxt:recalculate()
        todo:add(nxt:output())
      end
    end
  end
  return unsatisfied
end
function Planner:addConstraintsConsumingTo(v, coll)
  local determining = v.determinedBy
  local cc = v.constraints
  for i = 0, cc:size() - 1 do
    local c = cc:at(i)
    if (c ~= determining) and c:isSatisfied() then coll:add(c) end
  end
end

-- Octane's chainTest: a chain of n equality constraints from first to last;
-- answers the sum of last's values over the 100 edits.
local function chainTest(n)
  local prev, first, last, v, edit, edits, plan = nil, nil, nil, nil, nil, nil, nil
  local sum = 0
  currentPlanner = Planner.new()
  for i = 0, n do
    v = Variable.new('v' .. tostring(i), 0)
    if prev ~= nil then EqualityConstraint.new():from(prev, v, REQUIRED) end
    if i == 0 then first = v end
    if i == n then last = v end
    prev = v
  end
  StayConstraint.new():on(last, STRONG_DEFAULT)
  edit = EditConstraint.new():on(first, PREFERRED)
  edits = OrderedCollection.new()
  edits:add(edit)
  plan = currentPlanner:extractPlanFromConstraints(edits)
  for i = 0, 99 do
    first.value = i
    plan:execute()
    if last.value ~= i then error('Chain test failed.') end
    sum = sum + last.value
  end
  return sum
end

local function change(v, newValue)
  local edit = EditConstraint.new():on(v, PREFERRED)
  local edits = OrderedCollection.new()
  edits:add(edit)
  local plan = currentPlanner:extractPlanFromConstraints(edits)
  for i = 0, 9 do
    v.value = newValue
    plan:execute()
  end
  edit:destroyConstraint()
end

-- Octane's projectionTest: n scale constraints dst = src * scale + offset;
-- answers the sum of the destinations' values at the end.
local function projectionTest(n)
  local scale, offset, src, dst, dests = nil, nil, nil, nil, nil
  local sum = 0
  currentPlanner = Planner.new()
  scale = Variable.new('scale', 10)
  offset = Variable.new('offset', 1000)
  dests = OrderedCollection.new()
  for i = 0, n - 1 do
    src = Variable.new('src' .. tostring(i), i)
    dst = Variable.new('dst' .. tostring(i), i)
    dests:add(dst)
    StayConstraint.new():on(src, NORMAL)
    ScaleConstraint.new():src(src, scale, offset, dst, REQUIRED)
  end
  change(src, 17)
  if dst.value ~= 1170 then error('Projection 1 failed') end
  change(dst, 1050)
  if src.value ~= 5 then error('Projection 2 failed') end
  change(scale, 5)
  for i = 0, n - 2 do
    if dests:at(i).value ~= (i * 5) + 1000 then error('Projection 3 failed') end
  end
  change(offset, 2000)
  for i = 0, n - 2 do
    if dests:at(i).value ~= (i * 5) + 2000 then error('Projection 4 failed') end
  end
  for i = 0, n - 1 do sum = sum + dests:at(i).value end
  return sum
end

local function run(r)
  local chain, projection = 0, 0
  for k = 1, r do
    chain = chain + chainTest(100)
    projection = projection + projectionTest(100)
  end
  return 'chain ' .. chain .. ' projection ' .. projection
end
print(run(20))
