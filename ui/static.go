package ui

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/labstack/echo/v4"
)

//go:embed static
var staticFS embed.FS

// The dashboard's charts are drawn by Apache ECharts, served from the
// binary (township PCs may be offline): static/echarts holds the
// minified dist file of the npm package echarts@5.6.0 as published
// (npm pack echarts@5.6.0; dist/echarts.min.js) with its LICENSE,
// NOTICE and licenses/LICENSE-d3, served as /static/echarts-LICENSE.….
// TestEChartsIsThePinnedVersion checks the file against this digest.
const (
	echartsVersion = "5.6.0"
	echartsSHA256  = "bf4a223524e40b77c304bec67e1222cf551f14880cf42c69dc046558e11c07b1"
)

// assets serves the embedded static files under a name with a content hash
// (style.3f2a9c1b.css), so they can be cached for ever and a new binary's
// files are fetched at once.
type assets struct {
	byHashed map[string]asset // "style.3f2a9c1b.css" → file
	urls     map[string]string
}

type asset struct {
	body        []byte
	contentType string
}

func newAssets() (*assets, error) {
	a := &assets{byHashed: map[string]asset{}, urls: map[string]string{}}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "static/") // echarts/echarts.min.js in a folder
		sum := sha256.Sum256(body)
		ext := path.Ext(name)
		hashed := strings.ReplaceAll(strings.TrimSuffix(name, ext), "/", "-") + "." + hex.EncodeToString(sum[:4]) + ext
		ct := mime.TypeByExtension(ext)
		switch {
		case ext == "": // LICENSE, NOTICE
			ct = "text/plain; charset=utf-8"
		case ct == "":
			ct = "application/octet-stream"
		}
		a.byHashed[hashed] = asset{body: body, contentType: ct}
		a.urls[name] = "/static/" + hashed
		return nil
	})
	return a, err
}

// url is the address of a static file by its plain name; "" if unknown.
func (a *assets) url(name string) string { return a.urls[name] }

// static serves GET /static/:name.
func (s *Server) static(c echo.Context) error {
	f, ok := s.assets.byHashed[c.Param("name")]
	if !ok {
		return echo.ErrNotFound
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "public, max-age=31536000, immutable")
	return c.Blob(http.StatusOK, f.contentType, f.body)
}
