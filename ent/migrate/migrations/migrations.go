// Package migrations embeds the versioned SQL migrations, one folder per dialect,
// generated from ent/schema by `make migration NAME=...` and applied by goose.
package migrations

import "embed"

// FS holds postgres/*.sql and sqlite/*.sql.
//
//go:embed postgres/*.sql sqlite/*.sql
var FS embed.FS

// Folder returns the folder holding the migrations of ent dialect d.
func Folder(d string) string {
	if d == "sqlite3" {
		return "sqlite"
	}
	return d
}
