package sync

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
)

func TestHCLogAdapter(t *testing.T) {
	var buf bytes.Buffer
	base := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	l := newHCLog(base.With("component", "raft")).Named("raft").With("id", "n1")

	tests := []struct {
		log  func()
		want string // "" means nothing is written
	}{
		{func() { l.Trace("t") }, ""},
		{func() { l.Debug("d") }, ""},
		{func() { l.Info("entering leader state", "term", 2) }, `level=INFO msg="entering leader state" component=raft logger=raft id=n1 term=2`},
		{func() { l.Warn("w", "peer", hclog.Fmt("%s/%d", "a", 1)) }, `level=WARN msg=w component=raft logger=raft id=n1 peer=a/1`},
		{func() { l.Error("e") }, `level=ERROR msg=e`},
		{func() { l.Log(hclog.NoLevel, "n") }, `level=INFO msg=n`},
		{func() { l.StandardLogger(nil).Print("std line") }, `level=INFO msg="std line"`},
	}
	for i, tt := range tests {
		buf.Reset()
		tt.log()
		got := buf.String()
		if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
			t.Errorf("%d: wrote %q, want it to contain %q", i, got, tt.want)
		}
	}
	if l.IsTrace() || l.IsDebug() || !l.IsInfo() || !l.IsError() {
		t.Errorf("IsTrace %v IsDebug %v IsInfo %v IsError %v, want false false true true",
			l.IsTrace(), l.IsDebug(), l.IsInfo(), l.IsError())
	}
	if got := l.GetLevel(); got != hclog.Info {
		t.Errorf("GetLevel = %v, want Info", got)
	}
	if got := l.Named("net").Name(); got != "raft.net" {
		t.Errorf("Named = %q, want raft.net", got)
	}
	if got := l.ImpliedArgs(); len(got) != 2 || got[0] != "id" {
		t.Errorf("ImpliedArgs = %v, want [id n1]", got)
	}
}
