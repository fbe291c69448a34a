-- poly: one send site, shape:area(), meeting three kinds of receiver in turn
-- (square, rectangle, triangle), 1,000,000 times. Prints the sum of the areas.
local Square = {}
Square.__index = Square
function Square.new() return setmetatable({side = 3}, Square) end
function Square:area() return self.side * self.side end

local Rectangle = {}
Rectangle.__index = Rectangle
function Rectangle.new() return setmetatable({width = 2, height = 5}, Rectangle) end
function Rectangle:area() return self.width * self.height end

local Triangle = {}
Triangle.__index = Triangle
function Triangle.new() return setmetatable({base = 4, height = 7}, Triangle) end
function Triangle:area() return math.floor((self.base * self.height) / 2) end

local function polyLoop(n)
  local shapes = {}
  local total = 0
  shapes[0] = Square.new()
  shapes[1] = Rectangle.new()
  shapes[2] = Triangle.new()
  for i = 0, n - 1 do total = total + shapes[i % 3]:area() end
  return total
end
print(polyLoop(1000000))
