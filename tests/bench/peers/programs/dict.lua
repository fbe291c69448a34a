-- dict: a dictionary with string keys: 20,000 keys ('k' followed by i * 7919,
-- for i from 1) inserted, then every key looked up 3 times in a scattered
-- order, then as many absent keys looked up. Prints the sum of the values
-- found, the number of misses and the dictionary's size.
local function dictKey(i) return 'k' .. string.format("%d", i * 7919) end

local function dictLoop(n)
  local d = {}
  local size = 0
  local sum, misses = 0, 0
  for i = 1, n do
    local k = dictKey(i)
    if d[k] == nil then size = size + 1 end
    d[k] = i
  end
  for r = 1, 3 do
    for i = 0, n - 1 do
      sum = sum + d[dictKey(((((i * 31) + r) % n) + 1))]
    end
  end
  for i = 1, n do
    if (d[dictKey(i + n)] or 0) == 0 then misses = misses + 1 end
  end
  return sum .. ' ' .. misses .. ' ' .. size
end
print(dictLoop(20000))
