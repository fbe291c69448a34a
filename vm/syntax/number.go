package syntax

import (
	"math"
	"math/big"
	"strconv"
)

// scanNumber scans a number literal at lx.off: an optional '-', then
// decimal digits, then either a radix part ("r" and digits of that base)
// or an optional fraction and exponent. Integers that do not fit in an
// int64 are kept exactly as big.Int.
func (lx *lexer) scanNumber(t *token) {
	src := lx.src
	n := len(src)
	start := lx.off
	i := start
	if src[i] == '-' {
		t.neg = true
		i++
	}
	d0 := i
	for i < n && is(src[i], cDigit) {
		i++
	}
	digits := src[d0:i]
	if len(digits) > 1 && digits[0] == '0' {
		lx.errorAt(t, d0, "expected a number without leading zeros (octal is written 8r17)")
		return
	}
	if i < n && (src[i] == 'r' || src[i] == 'R') {
		lx.scanRadix(t, digits, d0, i)
		return
	}
	if len(digits) == 1 && digits[0] == '0' && i < n && (src[i] == 'x' || src[i] == 'X') {
		lx.errorAt(t, d0, "expected 16r1F style for a hexadecimal number, not 0x")
		return
	}
	isFloat := false
	if i+1 < n && src[i] == '.' && is(src[i+1], cDigit) {
		isFloat = true
		i += 2
		for i < n && is(src[i], cDigit) {
			i++
		}
	}
	if i < n && (src[i] == 'e' || src[i] == 'E') {
		j := i + 1
		if j < n && (src[j] == '+' || src[j] == '-') {
			j++
		}
		if j < n && is(src[j], cDigit) {
			isFloat = true
			for i = j; i < n && is(src[i], cDigit); i++ {
			}
		}
	}
	if i < n && is(src[i], cIdChar) {
		lx.errorAt(t, i, "expected a space between the number and %q", src[i])
		return
	}
	lx.off = i
	if isFloat {
		f, err := strconv.ParseFloat(string(src[start:i]), 64)
		if err != nil || math.IsInf(f, 0) {
			lx.errorAt(t, start, "expected a float no larger than 1.8e308, found %s", src[start:i])
			return
		}
		t.kind = tFloat
		t.fval = f
		return
	}
	t.kind = tInt
	lx.setInt(t, digits, 10, d0)
}

// scanRadix scans the part of a radix integer (16r1F) after the base
// digits; r is the offset of the 'r'.
func (lx *lexer) scanRadix(t *token, baseDigits []byte, d0, r int) {
	src := lx.src
	n := len(src)
	base := 0
	if len(baseDigits) <= 2 {
		base, _ = strconv.Atoi(string(baseDigits))
	}
	if base < 2 || base > 36 {
		lx.errorAt(t, d0, "expected a radix from 2 to 36 before 'r', found %s", baseDigits)
		return
	}
	j := r + 1
	k := j
	for k < n && is(src[k], cDigit|cLower|cUpper) {
		if d := digitValue(src[k]); d >= base {
			lx.errorAt(t, k, "expected a base-%d digit, found %q", base, src[k])
			return
		}
		k++
	}
	if k == j {
		lx.errorAt(t, r, "expected base-%d digits after '%sr'", base, baseDigits)
		return
	}
	if k < n && src[k] == '_' {
		lx.errorAt(t, k, "expected a space between the number and '_'")
		return
	}
	lx.off = k
	t.kind = tInt
	lx.setInt(t, src[j:k], base, j)
}

// MaxNumberDigits is the most digits an integer literal may have: enough
// for the decimal form of the largest integer the VM makes (315,653
// digits), and few enough that converting them, which takes time
// quadratic in the digits, stays under a second.
const MaxNumberDigits = 320000

// setInt sets t's integer value from digits in base (all valid), negated
// when t.neg; off is the offset of the first digit.
func (lx *lexer) setInt(t *token, digits []byte, base, off int) {
	if len(digits) > MaxNumberDigits {
		lx.errorAt(t, off, "expected a number of at most %d digits, found %d", MaxNumberDigits, len(digits))
		return
	}
	var v uint64
	b := uint64(base)
	for _, c := range digits {
		d := uint64(digitValue(c))
		if v > (math.MaxUint64-d)/b {
			goto big
		}
		v = v*b + d
	}
	switch {
	case !t.neg && v <= math.MaxInt64:
		t.ival = int64(v)
		return
	case t.neg && v <= math.MaxInt64:
		t.ival = -int64(v)
		return
	case t.neg && v == 1<<63:
		t.ival = math.MinInt64
		return
	}
big:
	z, _ := new(big.Int).SetString(string(digits), base)
	if t.neg {
		z.Neg(z)
	}
	t.big = z
}
