-- sends: 3,000,000 sends of bump to an object, from a loop; each adds its
-- argument to the object's counter. Prints the sum of 1 to 3,000,000.
local Counter = {}
Counter.__index = Counter
function Counter.new() return setmetatable({count = 0}, Counter) end
function Counter:bump(i) self.count = self.count + i end

local function sendLoop(n)
  local c = Counter.new()
  for i = 1, n do c:bump(i) end
  return c.count
end
print(string.format("%d", sendLoop(3000000)))
