// Package ui serves one node's web interface and JSON API.
//
// It renders the register's pages (server-side html/template, embedded, no
// external assets) and answers the JSON API under /api/v1. Reads go to the
// node's local replica (*store.DB), always within the logged-in user's scope;
// writes are built into store.Commands and handed to a Replica, never written
// to the register directly. Sessions live in the node's local, unreplicated
// bbolt file.
//
// Routes are registered per resource (auth.go, students.go, student_api.go,
// org.go, users.go, user_access.go, commands.go, health.go); handlers read their input and
// answer a form's write through the form layer (form.go); errors map to
// HTTP statuses in one place (errors.go); every user-visible string comes
// from one message catalogue (messages/zh.txt and en.txt, loaded by
// catalogue.go, looked up through i18n.go).
package ui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	bolt "go.etcd.io/bbolt"

	"baoxue/store"
)

// Replica is what ui needs from replication (implemented by package sync,
// adapted in package node).
type Replica interface {
	// Submit hands a command to the register and waits a short while for its
	// result. A result with State "pending" means the command is queued and
	// will be applied later. Errors wrap ErrUnavailable when the register
	// cannot take writes now.
	Submit(ctx context.Context, cmd store.Command) (store.Result, error)
	// Info describes this node's replication state. Safe for concurrent use.
	Info() NodeInfo
}

// NodeInfo is this node's replication state, shown on every page.
type NodeInfo struct {
	NodeID       string
	RaftState    string // Leader, Follower, Candidate, Shutdown
	LeaderID     string
	AppliedIndex uint64
	CommitIndex  uint64
	LastContact  time.Time
	Voter        bool
	Pending      int // commands waiting in this node's outbox (sync.go)
	// Upgrade is set when this node stopped applying the log at a command
	// of a newer release: every page says it must be upgraded.
	Upgrade *UpgradeRequired
}

// UpgradeRequired is the log entry a node stopped at because it does not
// understand it: it serves reads of the register as it was before it.
type UpgradeRequired struct {
	Index   uint64 `json:"index"`
	Kind    string `json:"kind"`
	Version int    `json:"version"` // the command's payload version
}

// ErrUnavailable is wrapped by Replica.Submit errors when the register cannot
// take writes now. It is answered with 503.
var ErrUnavailable = errors.New("register unavailable")

// ErrDiskFull is wrapped by Replica.Submit errors when a node's disk is too
// full to take the write (the guard refuses before the log would fail). It
// is answered with 503 saying so, not that the leader is out of reach.
var ErrDiskFull = errors.New("the disk is full")

// Config configures a Server.
type Config struct {
	NodeID        string
	Logger        *slog.Logger // nil: slog.Default()
	SecureCookies bool         // set the Secure attribute on cookies (HTTPS deployments)
	// HTTPS: the node serves its pages over HTTPS, so the addresses it
	// hands out (connect.go) are https://.
	HTTPS bool
	// CACert is the district CA's certificate (DER) that a school PC
	// installs once to trust the nodes' web ports (/ca, /ca.crt); nil: no
	// such page.
	CACert []byte
	// LAN tells how the node is advertised on its LAN (connect.go); nil:
	// not advertised.
	LAN LAN
	// Cluster manages the cluster's nodes (cluster.go); nil answers its
	// routes with 503.
	Cluster Cluster
	// The outbox's roles and strong reads (sync.go); each nil: none
	// (nothing pending, reads local, records applied at once).
	Sync      SyncReporter
	Pending   PendingLister
	Queue     Enqueuer
	Attention AttentionList
	Reads     StrongReader
	// Metrics serves GET /metrics (metrics.go says who may read it); nil:
	// no such route.
	Metrics http.Handler
	// Backups makes online backups (backup.go); nil answers 503.
	Backups Backups
	// ImportMaxBytes is the largest spreadsheet an import takes
	// (imports.go); 0: DefaultImportMaxBytes (20 MB).
	ImportMaxBytes int64
}

// Server is one node's web UI and JSON API. Safe for concurrent use.
type Server struct {
	cfg       Config
	log       *slog.Logger
	db        *store.DB
	rep       Replica
	sessions  *sessionStore
	guard     *loginGuard
	bulk      *bulkGuard // bulk_reads.go
	reads     readMemo   // case_reads.go
	pages     *renderer
	assets    *assets
	echo      *echo.Echo
	handler   http.Handler // echo with the global middleware composed once (chainHandler)
	now       func() time.Time
	day       atomic.Pointer[dayName] // today(), cached for the day
	dummyHash string                  // checked against for unknown users, so both failures take as long
	started   time.Time
	imports   *importStore // import_job.go
	// bg runs imports in the background until Close.
	bg       sync.WaitGroup
	bgCtx    context.Context
	bgCancel context.CancelFunc
}

// New builds a Server: it parses all templates, prepares the static assets
// and creates the session bucket in local. It returns an error if a template
// does not parse or the local file cannot be written.
func New(cfg Config, db *store.DB, rep Replica, local *bolt.DB) (*Server, error) {
	if db == nil || rep == nil || local == nil {
		return nil, errors.New("ui: db, replica and local file are required")
	}
	if errCatalogue != nil {
		return nil, errCatalogue
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	cfg.fillRoles(rep)
	s := &Server{
		cfg: cfg,
		log: log.With("component", "ui"),
		db:  db,
		rep: rep,
		now: time.Now,
	}
	s.started = s.now()
	var err error
	if s.assets, err = newAssets(); err != nil {
		return nil, fmt.Errorf("static assets: %w", err)
	}
	if s.pages, err = newRenderer(s.assets); err != nil {
		return nil, fmt.Errorf("parse templates: %w", err)
	}
	s.guard = newLoginGuard()
	s.bulk = newBulkGuard()
	if s.sessions, err = newSessionStore(local); err != nil {
		return nil, fmt.Errorf("session store: %w", err)
	}
	if s.dummyHash, err = store.HashPassword("baoxue-no-such-user"); err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	if s.imports, err = newImportStore(local, s.now()); err != nil {
		return nil, fmt.Errorf("import store: %w", err)
	}
	s.bgCtx, s.bgCancel = context.WithCancel(context.Background())
	s.echo = s.routes()
	s.resumeImports()
	return s, nil
}

// Close stops the imports running in the background and waits for them
// (an applying import goes on at the next start). Call it before the
// local file is closed.
func (s *Server) Close() {
	s.bgCancel()
	s.bg.Wait()
}

// Handler returns the HTTP handler serving the UI, the API and /healthz.
func (s *Server) Handler() http.Handler { return s.handler }

// routes wires middleware and every resource's routes.
func (s *Server) routes() *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.Renderer = s.pages
	e.HTTPErrorHandler = s.handleError

	// The global middleware, composed once (chainHandler): front (request
	// ID, security headers, access line), then recovery from a panic, the
	// body's limit and an upload's own, the language.
	global := []echo.MiddlewareFunc{s.front,
		middleware.RecoverWithConfig(middleware.RecoverConfig{
			LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
				s.log.Error("panic", "err", err, "path", c.Request().URL.Path,
					"request_id", c.Response().Header().Get(echo.HeaderXRequestID), "stack", string(stack))
				return err
			},
		}),
		middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: "1M",
			Skipper: func(c echo.Context) bool { return isImportUpload(c.Request()) }}),
		func(next echo.HandlerFunc) echo.HandlerFunc { // an upload's own limit, plus room for the form around the file
			return func(c echo.Context) error {
				if r := c.Request(); isImportUpload(r) {
					r.Body = http.MaxBytesReader(c.Response(), r.Body, s.importMax()+64<<10)
				}
				return next(c)
			}
		},
		s.language}
	s.handler = newChainHandler(e, global...)

	s.registerHealthRoutes(e)
	s.registerMetricsRoutes(e)
	e.GET("/static/:name", s.static)

	api := e.Group("/api/v1")
	apiAuth := api.Group("", s.requireBearer, noStore, s.strongReads)

	pages := e.Group("", middleware.CSRFWithConfig(middleware.CSRFConfig{
		TokenLookup:    "form:" + csrfField,
		CookieName:     "baoxue_csrf",
		CookiePath:     "/",
		CookieHTTPOnly: true,
		CookieSecure:   s.cfg.SecureCookies,
		CookieSameSite: http.SameSiteLaxMode,
		ContextKey:     csrfContextKey,
		ErrorHandler:   func(error, echo.Context) error { return errCSRF },
	}), noStore)
	pagesAuth := pages.Group("", s.requireSession, s.strongReads)

	s.registerAuthRoutes(pages, api, apiAuth)
	s.registerStudentRoutes(pagesAuth)
	s.registerStudentAPIRoutes(apiAuth)
	s.registerOrgRoutes(pagesAuth, apiAuth)
	s.registerUserRoutes(pagesAuth, apiAuth)
	s.registerConnectRoutes(pagesAuth)
	s.registerCARoutes(pages)
	s.registerCommandRoutes(apiAuth)
	s.registerSyncRoutes(apiAuth)
	s.registerAttentionRoutes(pagesAuth, apiAuth)
	s.registerClusterRoutes(pagesAuth, apiAuth)
	s.registerCaseRoutes(pagesAuth)
	s.registerHouseholdRoutes(pagesAuth, apiAuth)
	s.registerCaseAPIRoutes(apiAuth)
	s.registerSettingsRoutes(pagesAuth)
	s.registerAssignmentRoutes(pagesAuth, apiAuth)
	s.registerRegisterRoutes(pagesAuth, apiAuth)
	s.registerDigestRoutes(apiAuth)
	s.registerWatchAPIRoutes(apiAuth)
	s.registerWatchRoutes(pagesAuth)
	s.registerCareRoutes(pagesAuth, apiAuth)
	s.registerProgressionRoutes(pagesAuth, apiAuth)
	s.registerBulkReadRoutes(apiAuth)
	s.registerBackupRoutes(apiAuth)
	s.registerRateRoutes(pagesAuth, apiAuth)
	s.registerRateTargetRoutes(pagesAuth, apiAuth)
	s.registerDashboardRoutes(pagesAuth)
	s.registerScorecardRoutes(pagesAuth, apiAuth)
	s.registerInspectionRoutes(pagesAuth, apiAuth)
	s.registerReportRoutes(pagesAuth, apiAuth)
	s.registerImportRoutes(pagesAuth, apiAuth)
	return e
}
