package calib_test

import (
	"fmt"

	"leadscore/model/calib"
)

func ExampleFitIsotonic() {
	margins := []float64{-2, -1, 0, 1, 2, 3}
	won := []bool{false, true, false, true, true, false}
	c, err := calib.FitIsotonic(margins, won, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("knots:", c.X, "probabilities:", c.Y)
	for _, m := range []float64{-5, -0.75, 1.5, 9} {
		fmt.Printf("Apply(%v) = %.4g\n", m, c.Apply(m))
	}
	// Output:
	// knots: [-2 -0.5 2] probabilities: [0 0.5 0.6666666666666666]
	// Apply(-5) = 1e-06
	// Apply(-0.75) = 0.4167
	// Apply(1.5) = 0.6333
	// Apply(9) = 0.9995
}
