package node

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"
)

// rosterCSV is a students import of children 0..n-1 at school S100, grade 5,
// living in township 450206100 (orgTreeOn).
func rosterCSV(t testing.TB, n int) []byte {
	var b strings.Builder
	b.WriteString("姓名,身份证号,性别,民族,学校代码,年级,班级,行政村代码,监护人,联系电话\n")
	for i := range n {
		c := clusterChild(t, i, "S100", 5)
		fmt.Fprintf(&b, "%s,%s,%s,壮族,S100,5,1,450206100001,覃大,13900000000\n", c["name"], c["id_number"],
			map[string]string{"M": "男", "F": "女"}[c["gender"].(string)])
	}
	return []byte(b.String())
}

// importAs talks to p's import API as one user (the job is theirs alone).
type importAs struct {
	p   *proc
	tok string
}

func (a importAs) do(t testing.TB, method, path, ctype string, body []byte, out any) int {
	t.Helper()
	req, _ := http.NewRequest(method, "http://"+a.p.httpAddr+path, bytes.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("Authorization", "Bearer "+a.tok)
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && json.Unmarshal(raw, out) != nil {
		t.Fatalf("%s %s: HTTP %d %s", method, path, resp.StatusCode, raw)
	}
	return resp.StatusCode
}

type importState struct {
	ID       string         `json:"id"`
	State    string         `json:"state"`
	Reason   string         `json:"reason"`
	Counts   map[string]int `json:"counts"`
	Progress *struct {
		Done, Total int
	} `json:"progress"`
	Result *struct {
		Applied  int               `json:"applied"`
		Rejected []json.RawMessage `json:"rejected"`
	} `json:"result"`
}

func (a importAs) state(t testing.TB, id string) importState {
	var s importState
	if code := a.do(t, "GET", "/api/v1/imports/"+id+"?class=error", "", nil, &s); code != 200 {
		t.Fatalf("GET import: HTTP %d", code)
	}
	return s
}

func (a importAs) upload(t testing.TB, name string, data []byte) string {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	f, _ := w.CreateFormFile("file", name)
	f.Write(data)
	w.WriteField("kind", "students")
	w.Close()
	var out importState
	if code := a.do(t, "POST", "/api/v1/imports", w.FormDataContentType(), b.Bytes(), &out); code != 202 {
		t.Fatalf("upload: HTTP %d %+v", code, out)
	}
	return out.ID
}

// TestImportFinishesAfterTheLinkHeals: a township node imports a roster
// and loses its link halfway through applying it; its batches wait in the
// outbox, and after the heal the import finishes with every row applied
// once, on both nodes.
func TestImportFinishesAfterTheLinkHeals(t *testing.T) {
	const rows = 4000 // 8 batches: the link is cut while some are still to go
	c := newCluster(t, fastTiming())
	bureau := c.node("bureau")
	orgTreeOn(t, bureau)
	town := c.join(t, "lapu", townshipCode, false)
	c.waitConverged(t, 30*time.Second)
	tok, err := town.loginAs(townOfficer(townshipCode))
	if err != nil {
		t.Fatal(err)
	}
	a := importAs{town, tok}
	id := a.upload(t, "roster.csv", rosterCSV(t, rows))
	var s importState
	waitFor(t, 60*time.Second, "preview", func() error {
		if s = a.state(t, id); s.State != "ready" {
			return fmt.Errorf("state %s %s", s.State, s.Reason)
		}
		return nil
	})
	if s.Counts["new"] != rows {
		t.Fatalf("preview counts %v, want %d new", s.Counts, rows)
	}
	bureau.proxy.Delay(100 * time.Millisecond) // a slow WAN link, so that the cut comes halfway
	if code := a.do(t, "POST", "/api/v1/imports/"+id+"/apply", "application/json", []byte(`{"accept":"all"}`), nil); code != 202 {
		t.Fatalf("apply: HTTP %d", code)
	}
	// Cut the link once the first batch is in, before the last.
	waitFor(t, 60*time.Second, "the first batch applied", func() error {
		if s = a.state(t, id); s.Progress == nil || s.Progress.Done == 0 {
			return fmt.Errorf("progress %+v", s.Progress)
		}
		return nil
	})
	c.isolate(town)
	if s.Progress.Done == rows {
		t.Fatalf("every row was applied before the link was cut: make the link slower")
	}
	time.Sleep(3 * time.Second)
	if s = a.state(t, id); s.State != "applying" || s.Progress.Done == rows {
		t.Fatalf("cut off: %s %+v, want still applying", s.State, s.Progress)
	}
	c.heal()
	waitFor(t, 120*time.Second, "import applied", func() error {
		if s = a.state(t, id); s.State != "applied" {
			return fmt.Errorf("state %s %+v", s.State, s.Progress)
		}
		return nil
	})
	if s.Result.Applied != rows || len(s.Result.Rejected) != 0 {
		t.Fatalf("result: %d applied, rejected %s", s.Result.Applied, s.Result.Rejected)
	}
	c.waitConverged(t, 60*time.Second)
	for _, p := range []*proc{bureau, town} {
		var page struct{ Total int }
		p.mustAPI(t, "GET", "/api/v1/students?limit=1", nil, 200, &page)
		if page.Total != rows {
			t.Errorf("%s has %d children, want %d", p.id, page.Total, rows)
		}
	}
}
