-- sieve: the sieve of Eratosthenes over a table of flags for 2 to 8190,
-- run 60 times. Prints the total count of primes found (60 * 1027).
local function sieve(n)
  local flags = {}
  local count = 0
  for i = 0, n do flags[i] = 0 end
  for i = 2, n do flags[i] = 1 end
  for i = 2, n do
    if flags[i] == 1 then
      count = count + 1
      for k = i + i, n, i do flags[k] = 0 end
    end
  end
  return count
end

local function sieveRepeat(r)
  local total = 0
  for j = 1, r do total = total + sieve(8190) end
  return total
end
print(sieveRepeat(60))
