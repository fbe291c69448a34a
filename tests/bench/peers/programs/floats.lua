-- floats: the Leibniz series for pi / 4, 1 - 1/3 + 1/5 - ..., summed over
-- 600,000 terms in floating point. Prints the sum times 10^9, truncated.
local function leibniz(n)
  local sum, sign = 0.0, 1.0
  for i = 0, n - 1 do
    sum = sum + (sign / ((2 * i) + 1))
    sign = 0.0 - sign
  end
  return sum
end
print(string.format("%d", math.floor(leibniz(600000) * 1000000000.0)))
