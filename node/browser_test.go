package node

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

const chromiumPath = "/usr/bin/chromium"

// browser starts headless Chromium for one test. Outside CI a machine
// without Chromium skips the test; in CI that is a failure (.ci/run installs
// it).
func browser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("browser tests need %s (apt-get install chromium): %v", chromiumPath, err)
		}
		t.Skipf("browser test skipped: %s not found (apt-get install chromium)", chromiumPath)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	return ctx
}

// TestBrowserLoginAndFilteredList logs in through the form and narrows the
// student list by township, as an office worker would.
func TestBrowserLoginAndFilteredList(t *testing.T) {
	ctx := browser(t)
	n := mustStart(t, testConfig(t, t.TempDir(), true))
	admin := login(t, n, "admin", adminPassword)
	orgTree(admin)
	for i := 0; i < 5; i++ {
		admin.must("POST", "/api/v1/students", newChild(t, 2*i+1, "S100", 3), 201, nil)
	}
	for i := 5; i < 8; i++ {
		admin.must("POST", "/api/v1/students", newChild(t, 2*i+1, "S101", 8), 201, nil)
	}

	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	rowCount := `document.querySelectorAll('#students tbody tr').length`
	err := chromedp.Do(ctx,
		chromedp.Navigate(n.URL()+"/students"), // not logged in: sent to the login form
		chromedp.WaitVisible(css(`#username`)),
		chromedp.SendKeys(css(`#username`), "admin"),
		chromedp.SendKeys(css(`#password`), adminPassword),
		chromedp.Submit(css(`#password`)),
		chromedp.WaitVisible(css(`#students`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	total, err := chromedp.Run(ctx, chromedp.Text(css(`#total`)))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[int](rowCount))
	if err != nil {
		t.Fatal(err)
	}
	if rows != 8 || !strings.Contains(total, "8") {
		t.Errorf("unfiltered list: %d rows, total %q; want 8", rows, total)
	}

	err = chromedp.Do(ctx,
		chromedp.SetValue(css(`#filters select[name=township]`), "450206101"),
		chromedp.Submit(css(`#filters`)),
		chromedp.WaitVisible(css(`#students`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(loc, "township=450206101") {
		t.Errorf("filter not in the URL: %s", loc)
	}
	total, _ = chromedp.Run(ctx, chromedp.Text(css(`#total`)))
	rows, _ = chromedp.Run(ctx, chromedp.Evaluate[int](rowCount))
	if rows != 3 || !strings.Contains(total, "3") {
		t.Errorf("filtered by 进德镇: %d rows, total %q; want 3", rows, total)
	}
	nodeID, _ := chromedp.Run(ctx, chromedp.Text(css(`#node-id`)))
	state, _ := chromedp.Run(ctx, chromedp.Text(css(`#node-state`)))
	if nodeID != "bureau" || state != "主节点" {
		t.Errorf("page shows node %q in state %q, want bureau, 主节点", nodeID, state)
	}
}
