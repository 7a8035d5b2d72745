//go:build tools

// The packages the binary is built from: Argo CD's main package (cmd) imports these command packages.
package tools

import (
	_ "github.com/argoproj/argo-cd/v3/cmd/argocd-application-controller/commands"
	_ "github.com/argoproj/argo-cd/v3/cmd/argocd-applicationset-controller/commands"
	_ "github.com/argoproj/argo-cd/v3/cmd/argocd-cmp-server/commands"
	_ "github.com/argoproj/argo-cd/v3/cmd/argocd-commit-server/commands"
	_ "github.com/argoproj/argo-cd/v3/cmd/argocd-dex/commands"
	_ "github.com/argoproj/argo-cd/v3/cmd/argocd-git-ask-pass/commands"
	_ "github.com/argoproj/argo-cd/v3/cmd/argocd-k8s-auth/commands"
	_ "github.com/argoproj/argo-cd/v3/cmd/argocd-notification/commands"
	_ "github.com/argoproj/argo-cd/v3/cmd/argocd-repo-server/commands"
	_ "github.com/argoproj/argo-cd/v3/cmd/argocd-server/commands"
	_ "github.com/argoproj/argo-cd/v3/cmd/argocd/commands"
)
