package store

import "testing"

// ResidentFile is residentFile for the tests of package store_test.
func ResidentFile(t *testing.T) int64 { return residentFile(t) }
