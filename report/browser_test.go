package report

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

const chromium = "/usr/bin/chromium"

// chartIDs are the charts the golden report must show.
var chartIDs = []string{"reliability", "gains", "lift", "dist", "trend"}

// runChromium runs headless chromium on page with extra flags and returns
// its stdout and stderr (the browser log, console messages included).
func runChromium(t *testing.T, page string, extra ...string) (stdout, stderr []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir(), "--enable-logging=stderr", "--v=0", "--window-size=1280,4000"}
	args = append(append(args, extra...), "file://"+page)
	cmd := exec.CommandContext(ctx, chromium, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %s: %v\nstderr:\n%s", strings.Join(extra, " "), err, errb.String())
	}
	return out.Bytes(), errb.Bytes()
}

// consoleErrors returns the log lines that report a page problem: console
// messages (the page has no scripts, so any is unexpected), uncaught errors
// and failed loads.
func consoleErrors(log []byte) []string {
	var bad []string
	for _, l := range strings.Split(string(log), "\n") {
		if strings.Contains(l, "CONSOLE") || strings.Contains(l, "Uncaught") || strings.Contains(l, "net::ERR_") {
			bad = append(bad, l)
		}
	}
	return bad
}

// TestBrowserRendersReport opens index.html in headless chromium and checks
// that it renders: no console errors, every chart's <svg> in the DOM with
// drawn paths, and a screenshot that is not blank.
func TestBrowserRendersReport(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("%s is missing (%v): `make test` installs it (apt-get install -y chromium)", chromium, err)
	}
	dir := t.TempDir()
	if err := goldenReport(t).WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(dir, "index.html")
	src, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	// Self-contained: no scripts, no external resources.
	for _, bad := range []string{"<script", "src=", "<link", "@import", "url("} {
		if bytes.Contains(src, []byte(bad)) {
			t.Errorf("index.html contains %q; it must be self-contained", bad)
		}
	}
	if m := regexp.MustCompile(`https?://[^"\s]*`).FindAll(src, -1); len(m) > 0 {
		for _, u := range m {
			if !bytes.HasPrefix(u, []byte("http://www.w3.org/")) {
				t.Errorf("index.html refers to %s", u)
			}
		}
	}

	dom, log := runChromium(t, page, "--dump-dom")
	if bad := consoleErrors(log); len(bad) > 0 {
		t.Errorf("browser log has page errors:\n%s", strings.Join(bad, "\n"))
	}
	if !bytes.Contains(dom, []byte(`id="verdict"`)) {
		t.Errorf("dumped DOM has no verdict box")
	}
	pathRe := regexp.MustCompile(`<path[^>]* d="M[^"]+"`)
	for _, id := range chartIDs {
		start := bytes.Index(dom, []byte(`<svg id="chart-`+id+`"`))
		if start < 0 {
			t.Errorf("chart %s: no <svg> in the dumped DOM", id)
			continue
		}
		end := bytes.Index(dom[start:], []byte("</svg>"))
		if end < 0 {
			t.Errorf("chart %s: <svg> is not closed", id)
			continue
		}
		svg := dom[start : start+end]
		if n := len(pathRe.FindAll(svg, -1)); n < 5 {
			t.Errorf("chart %s: %d drawn paths, want at least 5 (axes, ticks and data)", id, n)
		}
		if !bytes.Contains(svg, []byte("<text")) {
			t.Errorf("chart %s: no text (title and axis labels)", id)
		}
	}

	shot := filepath.Join(t.TempDir(), "report.png")
	_, log = runChromium(t, page, "--screenshot="+shot)
	if bad := consoleErrors(log); len(bad) > 0 {
		t.Errorf("browser log has page errors:\n%s", strings.Join(bad, "\n"))
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 1280 || b.Dy() != 4000 {
		t.Errorf("screenshot is %v, want 1280×4000", b)
	}
	colours, inked := inkStats(img)
	if colours < 100 || inked < 0.05 {
		t.Errorf("screenshot looks blank: %d distinct colours, %.1f %% of pixels not background", colours, inked*100)
	}
}

// inkStats returns the number of distinct colours in img and the share of
// pixels that differ from the page background (#f8fafc) and white.
func inkStats(img image.Image) (colours int, inked float64) {
	seen := make(map[uint32]bool)
	b := img.Bounds()
	n, ink := 0, 0
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			r, g, bl = r>>8, g>>8, bl>>8
			seen[r<<16|g<<8|bl] = true
			n++
			if !(r == 0xf8 && g == 0xfa && bl == 0xfc) && !(r == 0xff && g == 0xff && bl == 0xff) {
				ink++
			}
		}
	}
	return len(seen), float64(ink) / float64(n)
}
