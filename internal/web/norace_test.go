//go:build !race

package web_test

// raceEnabled is true when the tests run with the race detector, which
// makes each password hash many times slower.
const raceEnabled = false
