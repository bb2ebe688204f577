package main
import (
 _ "github.com/hashicorp/raft"
 _ "github.com/hashicorp/raft-boltdb/v2"
 _ "go.etcd.io/bbolt"
 _ "github.com/labstack/echo/v4"
 _ "github.com/hashicorp/go-hclog"
 _ "github.com/chromedp/chromedp"
 _ "github.com/google/go-cmp/cmp"
 _ "github.com/oklog/ulid/v2"
)
func main(){}
