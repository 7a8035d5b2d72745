//go:build tools

// The commands built from this module.
package tools

import (
	_ "github.com/slok/sloth/cmd/sloth"
)
