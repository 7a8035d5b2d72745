#!/usr/bin/env bash
# Step 2 of the deployment: ArgoCD in the kind cluster, able to decrypt SOPS files (a secrets:// downloader in the
# repo server, images/argocd/helm-secrets, with the DEV-ONLY age key from helm/secrets/dev.agekey), the AppProjects,
# and the cluster add-ons.
# Step 3 is then: kubectl apply -f argocd/applicationset.yaml
#
#   REPO_URL=https://github.com/you/platform.git bash scripts/bootstrap-argocd.sh
#
# ArgoCD syncs from git: REPO_URL is the repository it reads (your fork, pushed). The manifests name a
# placeholder (https://git.example.com/platform.git); when REPO_URL is given they are rewritten to it, and you
# commit and push that change. For a prod cluster (argocd/applicationset.yaml, env prod), register it first:
#   argocd cluster add kind-platform-prod --name prod
set -euo pipefail
cd "$(dirname "$0")/.."

ARGOCD_CHART_VERSION=8.3.5
PLACEHOLDER=https://git.example.com/platform.git

for tool in kubectl helm; do command -v "$tool" >/dev/null || { echo "bootstrap-argocd: $tool is required" >&2; exit 1; }; done

if [ -n "${REPO_URL:-}" ] && [ "$REPO_URL" != "$PLACEHOLDER" ]; then
  grep -rl "$PLACEHOLDER" argocd | xargs sed -i "s#$PLACEHOLDER#$REPO_URL#g"
  echo "bootstrap-argocd: argocd/ now points at $REPO_URL; commit and push that change so ArgoCD can read it."
fi

kubectl create namespace argocd --dry-run=client -o yaml | kubectl apply -f - >/dev/null
# The dev age key, for helm-secrets in the repo server. DEV-ONLY: a prod cluster gets its own key or KMS access.
kubectl -n argocd create secret generic helm-secrets-private-keys \
  --from-file=key.txt=helm/secrets/dev.agekey --dry-run=client -o yaml | kubectl apply -f - >/dev/null
# The secrets:// downloader the repo server runs (argocd/bootstrap/argocd-values.yaml): this repository's own plugin,
# the one the local cluster's Argo CD image carries, so nothing unpinned is downloaded for it.
kubectl -n argocd create configmap helm-secrets-plugin \
  --from-file=images/argocd/helm-secrets --dry-run=client -o yaml | kubectl apply -f - >/dev/null

helm repo add argo https://argoproj.github.io/argo-helm --force-update >/dev/null
helm upgrade --install argocd argo/argo-cd -n argocd --version "$ARGOCD_CHART_VERSION" \
  -f argocd/bootstrap/argocd-values.yaml --wait --timeout 10m

kubectl apply -f argocd/projects.yaml
kubectl apply -f argocd/addons/

echo "bootstrap-argocd: ArgoCD is up. Next: kubectl apply -f argocd/applicationset.yaml"
echo "  UI: kubectl -n argocd port-forward svc/argocd-server 8080:443"
echo "  admin password: kubectl -n argocd get secret argocd-initial-admin-secret -o jsonpath='{.data.password}' | base64 -d"
