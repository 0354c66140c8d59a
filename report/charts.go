package report

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"strings"

	xfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

var (
	colBlue   = color.RGBA{R: 0x25, G: 0x63, B: 0xeb, A: 0xff}
	colOrange = color.RGBA{R: 0xea, G: 0x58, B: 0x0c, A: 0xff}
	colGreen  = color.RGBA{R: 0x16, G: 0xa3, B: 0x4a, A: 0xff}
	colGrey   = color.RGBA{R: 0x9c, G: 0xa3, B: 0xaf, A: 0xff}
)

// newPlot returns a plot with sans-serif text, a title and axis labels.
func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	sans := func(f *font.Font, size vg.Length) {
		f.Typeface = "Liberation"
		f.Variant = "Sans"
		f.Size = size
	}
	p.Title.Text = title
	sans(&p.Title.TextStyle.Font, 13)
	p.Title.TextStyle.Font.Weight = xfont.WeightBold
	p.Title.Padding = vg.Points(6)
	p.X.Label.Text = x
	p.Y.Label.Text = y
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		sans(&a.Label.TextStyle.Font, 11)
		sans(&a.Tick.Label.Font, 9)
	}
	sans(&p.Legend.TextStyle.Font, 10)
	p.Legend.Top = true
	p.Legend.Left = true
	p.Legend.XOffs = vg.Points(8)
	p.Legend.YOffs = vg.Points(-4)
	grid := plotter.NewGrid()
	grid.Vertical.Color = color.Gray{Y: 0xe5}
	grid.Horizontal.Color = color.Gray{Y: 0xe5}
	p.Add(grid)
	return p
}

// percentTicks labels a [0, 1] axis in percent.
type percentTicks struct{ step float64 }

func (t percentTicks) Ticks(lo, hi float64) []plot.Tick {
	var ts []plot.Tick
	start := math.Ceil(lo/t.step-1e-9) * t.step
	for v := start; v <= hi+1e-9; v += t.step {
		ts = append(ts, plot.Tick{Value: v, Label: fmt.Sprintf("%.0f %%", math.Abs(math.Round(v*100)))})
	}
	return ts
}

// niceStep returns a tick step of about 5 ticks over [0, hi].
func niceStep(hi float64) float64 {
	for _, s := range []float64{0.01, 0.02, 0.05, 0.1, 0.2, 0.25} {
		if hi/s <= 6 {
			return s
		}
	}
	return 0.25
}

// svgOf renders p as an SVG fragment for inline use in HTML: the XML prolog
// is dropped and the fixed size becomes a viewBox that scales.
func svgOf(p *plot.Plot, id string, w, h vg.Length) (svg string, err error) {
	defer func() {
		// gonum/plot panics on some degenerate inputs; a chart must never
		// crash the report.
		if e := recover(); e != nil {
			svg, err = "", fmt.Errorf("render chart %s: %v", id, e)
		}
	}()
	c := vgsvg.New(w, h)
	p.Draw(draw.New(c))
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return "", fmt.Errorf("render chart %s: %w", id, err)
	}
	s := b.String()
	i := strings.Index(s, "<svg")
	if i < 0 {
		return "", fmt.Errorf("render chart %s: no <svg> element in output", id)
	}
	s = s[i:]
	// Replace the fixed size by a responsive one; keep the viewBox.
	if j := strings.Index(s, "viewBox="); j > 0 {
		s = `<svg id="chart-` + id + `" class="chart" role="img" aria-label="` + id + ` chart" preserveAspectRatio="xMidYMid meet" ` + s[j:]
	}
	return s, nil
}

// charts renders every chart the report has data for, by id.
func (r *Report) charts() (map[string]string, error) {
	out := make(map[string]string)
	add := func(id string, p *plot.Plot, err error) error {
		if err != nil {
			return fmt.Errorf("chart %s: %w", id, err)
		}
		if p == nil {
			return nil
		}
		s, err := svgOf(p, id, 460, 320)
		if err != nil {
			return err
		}
		out[id] = s
		return nil
	}
	for _, c := range []struct {
		id string
		f  func() (*plot.Plot, error)
	}{
		{"reliability", r.reliabilityPlot},
		{"gains", r.gainsPlot},
		{"lift", r.liftPlot},
		{"dist", r.distPlot},
		{"trend", r.trendPlot},
	} {
		p, err := c.f()
		if err := add(c.id, p, err); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (r *Report) reliabilityPlot() (*plot.Plot, error) {
	if len(r.Reliability) == 0 || r.Won == 0 || r.Lost == 0 {
		return nil, nil
	}
	hi := 0.0
	pts := make(plotter.XYs, len(r.Reliability))
	labels := make([]string, len(r.Reliability))
	for i, b := range r.Reliability {
		pts[i] = plotter.XY{X: b.MeanP, Y: b.Rate}
		labels[i] = "n=" + count(b.N)
		hi = max(hi, b.MeanP, b.Rate)
	}
	hi = math.Min(1, math.Ceil((hi+0.05)*10)/10)
	p := newPlot("Reliability: predicted vs actual win rate", "mean predicted probability", "actual win rate")
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, hi, 0, hi
	step := niceStep(hi)
	p.X.Tick.Marker = percentTicks{step}
	p.Y.Tick.Marker = percentTicks{step}
	diag, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: hi, Y: hi}})
	if err != nil {
		return nil, err
	}
	diag.Color = colGrey
	diag.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	line, sc, err := plotter.NewLinePoints(pts)
	if err != nil {
		return nil, err
	}
	line.Color = colBlue
	sc.Color = colBlue
	sc.Shape = draw.CircleGlyph{}
	sc.Radius = vg.Points(3.5)
	lab, err := plotter.NewLabels(plotter.XYLabels{XYs: pts, Labels: labels})
	if err != nil {
		return nil, err
	}
	for i := range lab.TextStyle {
		lab.TextStyle[i].Font.Typeface = "Liberation"
		lab.TextStyle[i].Font.Variant = "Sans"
		lab.TextStyle[i].Font.Size = 8
		lab.TextStyle[i].Color = color.Gray{Y: 0x55}
	}
	lab.Offset = vg.Point{X: vg.Points(5), Y: vg.Points(-9)}
	p.Add(diag, line, sc, lab)
	p.Legend.Add("model", line, sc)
	p.Legend.Add("perfect calibration", diag)
	return p, nil
}

func (r *Report) gainsPlot() (*plot.Plot, error) {
	if len(r.Gains) == 0 || r.Won == 0 {
		return nil, nil
	}
	pts := make(plotter.XYs, len(r.Gains))
	for i, g := range r.Gains {
		pts[i] = plotter.XY{X: g.Contacted, Y: g.Captured}
	}
	p := newPlot("Cumulative gains", "share of leads contacted (highest scores first)", "share of won deals captured")
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
	p.X.Tick.Marker = percentTicks{0.2}
	p.Y.Tick.Marker = percentTicks{0.2}
	line, err := plotter.NewLine(pts)
	if err != nil {
		return nil, err
	}
	line.Color = colBlue
	line.Width = vg.Points(2)
	random, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}})
	if err != nil {
		return nil, err
	}
	random.Color = colGrey
	random.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	p.Add(random, line)
	p.Legend.Add("model", line)
	p.Legend.Add("random order", random)
	return p, nil
}

func (r *Report) liftPlot() (*plot.Plot, error) {
	if len(r.Deciles) == 0 || r.Won == 0 {
		return nil, nil
	}
	vals := make(plotter.Values, len(r.Deciles))
	names := make([]string, len(r.Deciles))
	for i, d := range r.Deciles {
		vals[i] = d.Lift
		names[i] = fmt.Sprint(d.Decile)
	}
	p := newPlot("Lift by decile", "decile (1 = highest scores)", "lift (win rate ÷ base rate)")
	bars, err := plotter.NewBarChart(vals, vg.Points(22))
	if err != nil {
		return nil, err
	}
	bars.Color = colBlue
	bars.LineStyle.Width = 0
	p.Add(bars)
	p.NominalX(names...)
	one, err := plotter.NewLine(plotter.XYs{{X: -0.5, Y: 1}, {X: float64(len(vals)) - 0.5, Y: 1}})
	if err != nil {
		return nil, err
	}
	one.Color = colOrange
	one.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	p.Add(one)
	p.Legend.Top, p.Legend.Left = true, false
	p.Legend.XOffs = vg.Points(-8)
	p.Legend.Add("lift", bars)
	p.Legend.Add("no lift (1.0)", one)
	hi := 1.0
	for _, v := range vals {
		if !math.IsNaN(v) {
			hi = max(hi, v)
		}
	}
	step := 0.5
	if hi > 4 {
		step = 1
	}
	p.Y.Min, p.Y.Max = 0, math.Ceil(hi/step+0.3)*step
	var ticks []plot.Tick
	for v := 0.0; v <= p.Y.Max+1e-9; v += step {
		ticks = append(ticks, plot.Tick{Value: v, Label: fmt.Sprintf("%.1f", v)})
	}
	p.Y.Tick.Marker = plot.ConstantTicks(ticks)
	return p, nil
}

func (r *Report) distPlot() (*plot.Plot, error) {
	d := r.dist
	if d.bins == 0 || r.Won == 0 || r.Lost == 0 {
		return nil, nil
	}
	step := func(share []float64) plotter.XYs {
		var pts plotter.XYs
		for b, v := range share {
			lo, hi := float64(b)/float64(d.bins), float64(b+1)/float64(d.bins)
			pts = append(pts, plotter.XY{X: lo, Y: v}, plotter.XY{X: hi, Y: v})
		}
		return pts
	}
	p := newPlot("Score distribution: won vs lost", "predicted probability", "share of deals")
	p.X.Min, p.X.Max, p.Y.Min = 0, 1, 0
	p.X.Tick.Marker = percentTicks{0.2}
	hi := 0.0
	for b := range d.bins {
		hi = max(hi, d.won[b], d.lost[b])
	}
	p.Y.Max = math.Ceil(hi*20+0.5) / 20
	p.Y.Tick.Marker = percentTicks{niceStep(p.Y.Max)}
	won, err := plotter.NewLine(step(d.won))
	if err != nil {
		return nil, err
	}
	won.Color = colGreen
	won.Width = vg.Points(2)
	won.FillColor = color.RGBA{R: 0x16, G: 0xa3, B: 0x4a, A: 0x30}
	lost, err := plotter.NewLine(step(d.lost))
	if err != nil {
		return nil, err
	}
	lost.Color = colOrange
	lost.Width = vg.Points(2)
	lost.FillColor = color.RGBA{R: 0xea, G: 0x58, B: 0x0c, A: 0x30}
	p.Add(lost, won)
	p.Legend.Top, p.Legend.Left = true, false
	p.Legend.XOffs = vg.Points(-8)
	p.Legend.Add(fmt.Sprintf("won (%s)", count(r.Won)), won)
	p.Legend.Add(fmt.Sprintf("lost (%s)", count(r.Lost)), lost)
	return p, nil
}

func (r *Report) trendPlot() (*plot.Plot, error) {
	rows := r.Quarters.Rows
	if len(rows) == 0 {
		return nil, nil
	}
	p := newPlot("Quarter over quarter", "quarter", "value")
	names := make([]string, len(rows))
	series := []struct {
		name string
		c    color.Color
		v    func(QuarterRow) float64
	}{
		{"ROC AUC", colBlue, func(q QuarterRow) float64 { return q.Metrics.AUC }},
		{"base rate", colGreen, func(q QuarterRow) float64 { return q.Metrics.BaseRate }},
		{"mean predicted", colOrange, func(q QuarterRow) float64 { return q.Metrics.MeanPred }},
		{"ECE", colGrey, func(q QuarterRow) float64 { return q.Metrics.ECE }},
	}
	for i, q := range rows {
		names[i] = q.Quarter
	}
	any := false
	for _, s := range series {
		var pts plotter.XYs
		for i, q := range rows {
			if v := s.v(q); !math.IsNaN(v) {
				pts = append(pts, plotter.XY{X: float64(i), Y: v})
			}
		}
		if len(pts) == 0 {
			continue
		}
		any = true
		line, sc, err := plotter.NewLinePoints(pts)
		if err != nil {
			return nil, err
		}
		line.Color, sc.Color = s.c, s.c
		line.Width = vg.Points(2)
		sc.Shape = draw.CircleGlyph{}
		p.Add(line, sc)
		p.Legend.Add(s.name, line, sc)
	}
	if !any {
		return nil, nil
	}
	p.NominalX(names...)
	p.X.Min, p.X.Max = -0.3, float64(len(rows))-0.7
	p.Y.Min, p.Y.Max = 0, 1
	p.Y.Tick.Marker = plot.ConstantTicks([]plot.Tick{{Value: 0, Label: "0"}, {Value: 0.2, Label: "0.2"}, {Value: 0.4, Label: "0.4"}, {Value: 0.6, Label: "0.6"}, {Value: 0.8, Label: "0.8"}, {Value: 1, Label: "1"}})
	p.Legend.Top, p.Legend.Left = true, false
	p.Legend.XOffs = vg.Points(-8)
	p.Legend.YOffs = vg.Points(-75)
	return p, nil
}
