//go:build !unix

package tree_test

import "time"

// cpuTime returns 0: the CPU-time benchmark metric is only measured on
// Unix.
func cpuTime() time.Duration { return 0 }
