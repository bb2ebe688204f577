package store

// Filter selects children for a list. Empty fields do not filter.
type Filter struct {
	School   string
	Township string // residence township or school township
	Village  string
	Grade    int
	Class    int
	Status   string
	Flag     string
	Q        string // name (substring), ID number (exact), its last 4 to 6 characters, or student number (exact)
	Limit    int    // 1..500; 0 means 50
	Cursor   string // from Page.NextCursor
}

// Page is one page of a list, in registration order.
type Page struct {
	Items      []Student `json:"items"`
	NextCursor string    `json:"next_cursor"`
	Total      int       `json:"total"`
}
