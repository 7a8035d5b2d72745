//go:build tools

// The commands built from this module.
package tools

import (
	_ "github.com/traefik/traefik/v3/cmd/traefik"
)
