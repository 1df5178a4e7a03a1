#!/usr/bin/env bash
# Installs the cluster's add-ons that Terraform does not (docs/aws.md, "4. The cluster's add-ons"),
# each at the version versions.env pins and with its values/<release>.yaml, in the order they need
# each other:
#
#   1. the Gateway API CRDs (standard channel);
#   2. the AWS Load Balancer Controller (kube-system) and its gateway.k8s.aws CRDs: it serves the
#      aws overlay's GatewayClass aws-alb;
#   3. Karpenter (kube-system) and its CRDs, then its NodePool and EC2NodeClass (karpenter/);
#   4. External Secrets Operator (external-secrets);
#   5. KEDA (keda);
#   6. the gp3 StorageClass (the aws overlay's), Grafana's admin Secret (once, a random password),
#      then kube-prometheus-stack (monitoring) and its CRDs.
#
#   deploy/k8s/addons/install.sh             install, or bring the cluster to what these files say
#   deploy/k8s/addons/install.sh --dry-run   print the commands instead (a script that would do
#                                            the same), with the Karpenter manifests as applied;
#                                            needs neither a cluster nor Helm
#
# The cluster's name, region and VPC, and Karpenter's node role and interruption queue, come from
# the environment (CLUSTER_NAME, AWS_REGION, VPC_ID, KARPENTER_NODE_ROLE,
# KARPENTER_INTERRUPTION_QUEUE, KARPENTER_CPU_LIMIT) or else from Terraform's outputs (cluster_name,
# region, vpc_id, karpenter_node_role, karpenter_interruption_queue, karpenter_cpu_limit of
# deploy/terraform). The pods cannot read
# region and VPC from the instance metadata (IMDSv2, hop limit 1), so they are set here. The
# EC2NodeClass is applied with that node role and the cluster's name as its discovery tag, and the
# NodePool with that CPU limit: a Terraform `name` or limit other than the defaults needs no edit.
#
# Idempotent: helm upgrade --install and kubectl apply change only what differs, so running it again
# is also how a version changed in versions.env is rolled out. Helm installs a chart's crds/ on the
# first install only and never upgrades them: for the charts that keep their CRDs there, the script
# applies them itself (server-side, from the chart at its pinned version) and Helm skips them.
#
# Needs kubectl 1.30 or later, pointed at the cluster as one of its administrators, Helm 3.8 or
# later (Karpenter's chart is in an OCI registry), and Terraform unless the variables are set.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=versions.env
source "$here/versions.env"

EKS_CHARTS=https://aws.github.io/eks-charts
KARPENTER_CHART=oci://public.ecr.aws/karpenter/karpenter
EXTERNAL_SECRETS_CHARTS=https://charts.external-secrets.io
KEDA_CHARTS=https://kedacore.github.io/charts
PROMETHEUS_COMMUNITY_CHARTS=https://prometheus-community.github.io/helm-charts

dry_run=false
case ${1:-} in
  '') ;;
  --dry-run) dry_run=true ;;
  *)
    echo "usage: $0 [--dry-run]" >&2
    exit 2
    ;;
esac

need() {
  command -v "$1" >/dev/null || {
    echo "$1 is not installed: $2" >&2
    exit 1
  }
}
need kubectl 'https://kubernetes.io/docs/tasks/tools/'
[[ $dry_run == true ]] || need helm 'https://helm.sh/docs/intro/install/'

# setting VARIABLE OUTPUT: VARIABLE as the environment has it, or else Terraform's output OUTPUT.
setting() {
  local value=${!1:-}
  if [[ -z $value ]]; then
    need terraform "or set $1"
    if ! value=$(terraform -chdir="$here/../../terraform" output -raw "$2"); then
      echo "$1 is not set, and deploy/terraform has no output $2: set $1" >&2
      exit 1
    fi
  fi
  printf -v "$1" '%s' "$value"
}
setting CLUSTER_NAME cluster_name
setting AWS_REGION region
setting VPC_ID vpc_id
setting KARPENTER_NODE_ROLE karpenter_node_role
setting KARPENTER_INTERRUPTION_QUEUE karpenter_interruption_queue
setting KARPENTER_CPU_LIMIT karpenter_cpu_limit

# run COMMAND…: runs it, or prints it (--dry-run).
run() {
  if [[ $dry_run == true ]]; then
    local line
    printf -v line '%q ' "$@"
    echo "${line% }"
  else
    "$@"
  fi
}

# step TEXT: says what comes next (a comment, in the dry run's script).
step() {
  echo
  echo "# $*"
}

# chart_crds CHART [--repo URL] --version VERSION: the CRDs of the chart's crds/ folder, applied
# server-side, taking over the fields of whoever applied them before (Helm, at a first install).
chart_crds() {
  if [[ $dry_run == true ]]; then
    local line
    printf -v line '%q ' helm show crds "$@"
    echo "$line| kubectl apply --server-side --force-conflicts -f -"
  else
    helm show crds "$@" | kubectl apply --server-side --force-conflicts -f -
  fi
}

# release NAME NAMESPACE CHART VERSION [HELM ARGUMENTS…]: the chart at VERSION as the release NAME in
# NAMESPACE, with values/NAME.yaml; waits until its workloads are ready.
release() {
  local name=$1 namespace=$2 chart=$3 version=$4
  shift 4
  run helm upgrade --install "$name" "$chart" --version "$version" --namespace "$namespace" \
    --create-namespace --values "$here/values/$name.yaml" --wait --timeout 10m "$@"
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [[ $dry_run == false ]]; then
  # The controllers run on the base node group: its label tells Convoy's cluster from another.
  if [[ -z $(kubectl get nodes -l convoy.dev/capacity=base -o name) ]]; then
    echo "no node labelled convoy.dev/capacity=base: is kubectl ($(kubectl config current-context)) pointed at $CLUSTER_NAME?" >&2
    exit 1
  fi
fi
echo "# Add-ons of the cluster $CLUSTER_NAME ($AWS_REGION, $VPC_ID)"

step "1. Gateway API $GATEWAY_API_VERSION, standard channel"
run kubectl apply --server-side \
  -f "https://github.com/kubernetes-sigs/gateway-api/releases/download/$GATEWAY_API_VERSION/standard-install.yaml"

step "2. AWS Load Balancer Controller $AWS_LOAD_BALANCER_CONTROLLER_VERSION"
chart_crds aws-load-balancer-controller --repo "$EKS_CHARTS" --version "$AWS_LOAD_BALANCER_CONTROLLER_VERSION"
release aws-load-balancer-controller kube-system aws-load-balancer-controller \
  "$AWS_LOAD_BALANCER_CONTROLLER_VERSION" --repo "$EKS_CHARTS" --skip-crds \
  --set "clusterName=$CLUSTER_NAME" --set "region=$AWS_REGION" --set "vpcId=$VPC_ID"

step "3. Karpenter $KARPENTER_VERSION, its NodePool and EC2NodeClass"
chart_crds "$KARPENTER_CHART" --version "$KARPENTER_VERSION"
release karpenter kube-system "$KARPENTER_CHART" "$KARPENTER_VERSION" --skip-crds \
  --set "settings.clusterName=$CLUSTER_NAME" \
  --set "settings.interruptionQueue=$KARPENTER_INTERRUPTION_QUEUE" \
  --set "controller.env[0].name=AWS_REGION" --set "controller.env[0].value=$AWS_REGION"
# karpenter/ as written names the default cluster, convoy: a kustomization of its own puts this
# cluster's node role, discovery tag and CPU limit in their place.
cp -r "$here/karpenter" "$work/karpenter"
cat >"$work/kustomization.yaml" <<EOF
resources:
  - karpenter
patches:
  - target:
      kind: EC2NodeClass
      name: default
    patch: |-
      - op: replace
        path: /spec/role
        value: "$KARPENTER_NODE_ROLE"
      - op: replace
        path: /spec/subnetSelectorTerms/0/tags/karpenter.sh~1discovery
        value: "$CLUSTER_NAME"
      - op: replace
        path: /spec/securityGroupSelectorTerms/0/tags/karpenter.sh~1discovery
        value: "$CLUSTER_NAME"
  - target:
      kind: NodePool
      name: default
    patch: |-
      - op: replace
        path: /spec/limits/cpu
        value: "$KARPENTER_CPU_LIMIT"
EOF
if [[ $dry_run == true ]]; then
  echo "kubectl apply -f - <<'EOF'"
  kubectl kustomize "$work"
  echo "EOF"
else
  kubectl apply -k "$work"
fi
# Ready once Karpenter has found the subnets, security group, AMI and role the class names.
run kubectl wait --for=condition=Ready --timeout=5m ec2nodeclass/default nodepool/default

step "4. External Secrets Operator $EXTERNAL_SECRETS_VERSION"
release external-secrets external-secrets external-secrets "$EXTERNAL_SECRETS_VERSION" \
  --repo "$EXTERNAL_SECRETS_CHARTS"

step "5. KEDA $KEDA_VERSION"
release keda keda keda "$KEDA_VERSION" --repo "$KEDA_CHARTS"

step "6. kube-prometheus-stack $KUBE_PROMETHEUS_STACK_VERSION"
# Prometheus keeps its data on a gp3 volume: the StorageClass of the aws overlay, made here first
# (applying the overlay later leaves it as it is).
run kubectl apply -f "$here/../overlays/aws/storageclass.yaml"
# Grafana's admin (values: grafana.admin.existingSecret): made once, with a random password, and
# kept after. `kubectl -n monitoring get secret grafana-admin -o jsonpath='{.data.admin-password}'
# | base64 -d` reads it. The password goes through a file, never a command line.
if [[ $dry_run == true ]]; then
  echo 'kubectl create namespace monitoring --dry-run=client -o yaml | kubectl apply -f -'
  echo 'kubectl -n monitoring get secret grafana-admin >/dev/null 2>&1 ||' \
    'kubectl -n monitoring create secret generic grafana-admin --from-literal=admin-user=admin' \
    "--from-file=admin-password=<(head -c 24 /dev/urandom | base64 | tr -d '[:space:]')"
else
  kubectl create namespace monitoring --dry-run=client -o yaml | kubectl apply -f -
  if ! kubectl -n monitoring get secret grafana-admin >/dev/null 2>&1; then
    kubectl -n monitoring create secret generic grafana-admin --from-literal=admin-user=admin \
      --from-file=admin-password=<(head -c 24 /dev/urandom | base64 | tr -d '[:space:]')
  fi
fi
chart_crds kube-prometheus-stack --repo "$PROMETHEUS_COMMUNITY_CHARTS" --version "$KUBE_PROMETHEUS_STACK_VERSION"
release kube-prometheus-stack monitoring kube-prometheus-stack "$KUBE_PROMETHEUS_STACK_VERSION" \
  --repo "$PROMETHEUS_COMMUNITY_CHARTS" --skip-crds

step "Done: the add-ons run. Next, Convoy itself (docs/aws.md, 6)."
