-- trees: the binary-trees benchmark (the Computer Language Benchmarks Game):
-- a stretch tree of depth max + 1, a long-lived tree of depth max, then for
-- each depth d from 4 to max by 2, 2 ^ (max - d + 4) trees of depth d made
-- bottom up and walked. Prints the sum of every tree's node count; max is 12.
local function bottomUpTree(d)
  local n = {left = nil, right = nil}
  if d > 0 then
    n.left = bottomUpTree(d - 1)
    n.right = bottomUpTree(d - 1)
  end
  return n
end

local function check(n)
  if n.left == nil then return 1 end
  return 1 + check(n.left) + check(n.right)
end

local function binaryTrees(max)
  local total = check(bottomUpTree(max + 1))
  local longLived = bottomUpTree(max)
  for d = 4, max, 2 do
    for i = 1, 2 ^ (max - d + 4) do
      total = total + check(bottomUpTree(d))
    end
  end
  return total + check(longLived)
end
print(binaryTrees(12))
