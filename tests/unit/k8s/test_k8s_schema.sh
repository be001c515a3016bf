#!/usr/bin/env bash
# test_k8s_schema.sh — deploy/k8s against tools that know Kubernetes, offline:
#   * `kubectl kustomize deploy/k8s` renders the kustomization (every resource, one stream);
#   * the objects validate against the Kubernetes API schemas of the npm package kubernetes-models
#     (installed under $FS_K8S_NPM, default /usr/local/lib/flowsplice-npm: `npm install --prefix
#     DIR kubernetes-models@5.1.0`), with node.
# `kubectl apply --dry-run=client` is not used: it needs an API server even in client mode (to
# map kinds to resources). The schemas are required (deploy/install-deps.sh installs them); kubectl
# is not a Debian package: where it is missing, the kustomize rendering is reported as not run.
set -euo pipefail
src=${1:?usage: test_k8s_schema.sh SOURCE_DIR}
k8s=$src/deploy/k8s
npm_dir=${FS_K8S_NPM:-/usr/local/lib/flowsplice-npm}
ran=0
fail=0

if command -v kubectl >/dev/null; then
	if out=$(kubectl kustomize "$k8s" 2>&1); then
		kinds=$(grep -c '^kind:' <<<"$out" || true)
		want=$(grep -c '^  - ' "$k8s/kustomization.yaml" || true)
		if [[ $kinds -ge $want ]]; then
			echo "kubectl kustomize: $kinds objects"
		else
			echo "FAIL: kubectl kustomize rendered $kinds objects, the kustomization lists $want files"
			fail=1
		fi
	else
		echo "FAIL: kubectl kustomize: $out"
		fail=1
	fi
	ran=1
else
	echo "kubectl not installed: kustomize rendering not run (the schema check below still is)"
fi

if command -v node >/dev/null && [[ -f $npm_dir/node_modules/kubernetes-models/package.json ]]; then
	python3 -c '
import json, sys, yaml
docs = []
for f in sys.argv[1:]:
    docs += [d for d in yaml.safe_load_all(open(f)) if d is not None]
print(json.dumps(docs))' "$k8s"/namespace.yaml "$k8s"/configmap.yaml "$k8s"/daemonset.yaml |
		node "$(dirname "$0")/k8s_schema.mjs" "$npm_dir/node_modules" || fail=1
	ran=1
else
	echo "FAIL: node or $npm_dir/node_modules/kubernetes-models missing (deploy/install-deps.sh installs them)"
	fail=1
fi
[[ $ran -eq 1 ]] || fail=1
[[ $fail -eq 0 ]] && echo "test_k8s_schema: passed" || echo "test_k8s_schema: FAILED"
exit "$fail"
