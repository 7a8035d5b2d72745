#!/usr/bin/env bash
# Step 1 of the deployment: a kind cluster with Calico (NetworkPolicies are enforced; kind's default CNI does not),
# ports 80/443 mapped to the ingress, the cluster add-ons (cert-manager, ingress-nginx, kube-prometheus-stack) from
# their upstream charts with this repository's values, and the platform images built and loaded into the nodes.
#
#   bash scripts/setup-kind.sh [--name platform] [--no-images] [--no-addons]
#
# Needs: docker, kind, kubectl, helm, and the internet (images, charts, the Calico manifest). Not runnable on the
# build machines (no Docker engine): see helm/README.md for what was verified there and how.
set -euo pipefail
cd "$(dirname "$0")/.."

name=platform images=true addons=true
while [ $# -gt 0 ]; do
  case "$1" in
    --name) name=$2; shift 2 ;;
    --no-images) images=false; shift ;;
    --no-addons) addons=false; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

CALICO_VERSION=v3.30.3
NODE_IMAGE=kindest/node:v1.34.0
POD_CIDR=192.168.0.0/16   # Calico's default; helm/charts/platform/values.yaml apiServer.podCIDR must match

for tool in docker kind kubectl helm; do
  command -v "$tool" >/dev/null || { echo "setup-kind: $tool is required" >&2; exit 1; }
done

if ! kind get clusters | grep -qx "$name"; then
  kind create cluster --name "$name" --image "$NODE_IMAGE" --wait 0s --config - <<KIND
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
networking:
  disableDefaultCNI: true
  podSubnet: $POD_CIDR
nodes:
  - role: control-plane
    kubeadmConfigPatches:
      - |
        kind: InitConfiguration
        nodeRegistration:
          kubeletExtraArgs:
            node-labels: "ingress-ready=true"
    extraPortMappings:
      - { containerPort: 80, hostPort: 80, protocol: TCP }
      - { containerPort: 443, hostPort: 443, protocol: TCP }
  - role: worker
    labels: { topology.kubernetes.io/zone: zone-a }
  - role: worker
    labels: { topology.kubernetes.io/zone: zone-b }
KIND
fi
kubectl config use-context "kind-$name" >/dev/null

echo "setup-kind: installing Calico $CALICO_VERSION"
kubectl apply --server-side -f "https://raw.githubusercontent.com/projectcalico/calico/$CALICO_VERSION/manifests/calico.yaml" >/dev/null
kubectl -n kube-system rollout status daemonset/calico-node --timeout=300s
kubectl wait --for=condition=Ready nodes --all --timeout=300s

# The namespaces, default-deny policies and issuer come from the platform chart (ArgoCD or Tilt apply it too);
# applying it now lets the add-ons land in namespaces that are already locked down.
helm dependency build helm/charts/platform >/dev/null 2>&1 || true

addon_version() { sed -n 's/^ *targetRevision: *\(v\{0,1\}[0-9][0-9.]*\) *$/\1/p' "argocd/addons/$1.yaml" | head -1; }

if $addons; then
  helm repo add jetstack https://charts.jetstack.io --force-update >/dev/null
  helm repo add ingress-nginx https://kubernetes.github.io/ingress-nginx --force-update >/dev/null
  helm repo add prometheus-community https://prometheus-community.github.io/helm-charts --force-update >/dev/null
  echo "setup-kind: cert-manager $(addon_version cert-manager)"
  helm upgrade --install cert-manager jetstack/cert-manager -n cert-manager --create-namespace \
    --version "$(addon_version cert-manager)" -f helm/addons/cert-manager.values.yaml --wait
  helm upgrade --install platform helm/charts/platform -n data-ns -f helm/env/dev/platform.yaml --wait
  echo "setup-kind: ingress-nginx $(addon_version ingress-nginx)"
  helm upgrade --install ingress-nginx ingress-nginx/ingress-nginx -n ingress-ns \
    --version "$(addon_version ingress-nginx)" -f helm/addons/ingress-nginx.values.yaml --wait
  echo "setup-kind: kube-prometheus-stack $(addon_version kube-prometheus-stack)"
  helm upgrade --install kps prometheus-community/kube-prometheus-stack -n monitoring-ns \
    --version "$(addon_version kube-prometheus-stack)" -f helm/addons/kube-prometheus-stack.values.yaml --wait --timeout 10m
fi

if $images; then
  # The dev values run platform/<service>:dev (ArgoCD's dev environment); Tilt builds its own tags.
  for service in api auth image; do
    docker build --build-arg "SERVICE=$service" -t "platform/$service:dev" .
    kind load docker-image --name "$name" "platform/$service:dev"
  done
  docker build --target migrate -t platform/migrate:dev .
  kind load docker-image --name "$name" platform/migrate:dev
fi

echo "setup-kind: cluster kind-$name is ready. Next: bash scripts/bootstrap-argocd.sh (GitOps) or tilt up (development)."
