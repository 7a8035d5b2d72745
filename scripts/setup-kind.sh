#!/usr/bin/env bash
# Step 1 of the deployment: a kind cluster with Calico (NetworkPolicies are enforced; kind's default CNI does not),
# host ports 80/443 mapped to the edge's node ports, the cluster add-ons (Gateway API CRDs, cert-manager,
# kube-prometheus-stack) at the versions argocd/addons/ pins, the platform chart and the edge (Traefik, our chart),
# and the platform images built and loaded into the nodes.
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
node_port() { sed -n "s/^  $1: *\([0-9]*\) *$/\1/p" helm/charts/edge/values.yaml; }
HTTP_NODE_PORT=$(node_port http) HTTPS_NODE_PORT=$(node_port https)

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
  # The edge's Service is a NodePort (helm/charts/edge nodePorts): host 80/443 reach it through the control plane node,
  # and kube-proxy forwards to the edge pods wherever they run. No hostPort: ingress-ns enforces Pod Security restricted.
  - role: control-plane
    extraPortMappings:
      - { containerPort: $HTTP_NODE_PORT, hostPort: 80, protocol: TCP }
      - { containerPort: $HTTPS_NODE_PORT, hostPort: 443, protocol: TCP }
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
  helm repo add prometheus-community https://prometheus-community.github.io/helm-charts --force-update >/dev/null
  echo "setup-kind: Gateway API $(addon_version gateway-api) CRDs (standard channel)"
  kubectl apply --server-side -f "https://github.com/kubernetes-sigs/gateway-api/releases/download/$(addon_version gateway-api)/standard-install.yaml" >/dev/null
  echo "setup-kind: cert-manager $(addon_version cert-manager)"
  helm upgrade --install cert-manager jetstack/cert-manager -n cert-manager --create-namespace \
    --version "$(addon_version cert-manager)" -f helm/addons/cert-manager.values.yaml --wait
  # Its release lives in default: it creates data-ns (and the other namespaces) itself, which a release kept in
  # data-ns cannot do (the local cluster found it: namespaces "data-ns" not found).
  helm upgrade --install platform helm/charts/platform -n default -f helm/env/dev/platform.yaml --wait
  echo "setup-kind: kube-prometheus-stack $(addon_version kube-prometheus-stack)"
  helm upgrade --install kps prometheus-community/kube-prometheus-stack -n monitoring-ns \
    --version "$(addon_version kube-prometheus-stack)" -f helm/addons/kube-prometheus-stack.values.yaml --wait --timeout 10m
  # The edge last: it needs the CRDs above (Gateway API, cert-manager's Certificate, the ServiceMonitor).
  echo "setup-kind: the edge (Traefik, helm/charts/edge)"
  helm dependency build helm/charts/edge >/dev/null
  helm upgrade --install edge helm/charts/edge -n ingress-ns -f helm/env/dev/edge.yaml --wait
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
