//go:build race

package roster

// slowdown is how much slower code runs under the race detector, for the
// few tests that bound a time.
const slowdown = 10
