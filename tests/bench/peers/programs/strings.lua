-- strings: builds a string by concatenation, the numbers 1 to 1000 each
-- followed by a blank, 100 times over (each time from the empty string).
-- Prints the total length of the strings built.
local function buildString(n)
  local s = ''
  for i = 1, n do s = s .. tostring(i) .. ' ' end
  return s
end

local function stringLoop(r)
  local total = 0
  for j = 1, r do total = total + #buildString(1000) end
  return total
end
print(stringLoop(100))
