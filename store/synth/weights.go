package synth

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
)

// Weighted choices and small helpers of the generator.

// wtable picks an index with a chance proportional to its weight.
type wtable struct{ cum []float64 }

func newWTable(w []float64) wtable {
	cum := make([]float64, len(w))
	sum := 0.0
	for i, x := range w {
		sum += x
		cum[i] = sum
	}
	return wtable{cum: cum}
}

func choiceTable(cs []choice) wtable {
	w := make([]float64, len(cs))
	for i, c := range cs {
		w[i] = c.W
	}
	return newWTable(w)
}

func (t wtable) pick(r *rand.Rand) int {
	x := r.Float64() * t.cum[len(t.cum)-1]
	lo, hi := 0, len(t.cum)-1
	for lo < hi {
		m := (lo + hi) / 2
		if t.cum[m] > x {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}

func (s split) of(rural bool) float64 {
	if rural {
		return s.Rural
	}
	return s.Urban
}

// apportion divides total by weights with the largest-remainder method
// (ties to the lower index), so that the parts add up to total exactly.
func apportion(total int, w []float64) []int {
	sum := 0.0
	for _, x := range w {
		sum += x
	}
	out := make([]int, len(w))
	rem := make([]float64, len(w))
	left := total
	for i, x := range w {
		q := float64(total) * x / sum
		out[i] = int(q)
		rem[i] = q - float64(out[i])
		left -= out[i]
	}
	idx := make([]int, len(w))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(rem[b], rem[a]) })
	for k := 0; left > 0; k++ {
		out[idx[k%len(idx)]]++
		left--
	}
	return out
}

// count is the number of n children a rate gives.
func count(rate float64, n int) int { return int(math.Round(rate * float64(n))) }

func allDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func appendPad(b []byte, n, width int) []byte {
	var tmp [20]byte
	s := strconv.AppendInt(tmp[:0], int64(n), 10)
	for range width - len(s) {
		b = append(b, '0')
	}
	return append(b, s...)
}

func pad(n, width int) string { return string(appendPad(nil, n, width)) }
func pad2(n int) string       { return pad(n, 2) }
func pad3(n int) string       { return pad(n, 3) }
