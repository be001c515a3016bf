#!/usr/bin/env python3
# test_k8s_manifests.py — deploy/k8s checked offline against what flowmgr and the VNFs need:
#   * every file parses; the kustomization lists them all; one namespace;
#   * the pod: host network, shared process namespace, the shared volumes (hugepages on a
#     HugePages emptyDir, the run directory holding the chain's control socket, DPDK's runtime
#     directory) mounted by every container at the paths the processes use;
#   * hugepages: requests equal limits in every container (Kubernetes requires it) and flowmgr's
#     request covers the chain's mbufs and sessions by the sizing rule of docs/operations.md;
#     Guaranteed QoS (cpu and memory requests = limits) and one CPU per flowmgr lcore;
#   * least privilege as docs/security.md: flowmgr drops ALL and adds only the capabilities it
#     keeps plus those of its drop to the service user; every VNF runs as that user's uid (the
#     Dockerfile's) with no capability;
#   * probes are nfctl on the chain's socket (flowmgr: status; a VNF: its own line of nfctl vnfs);
#   * one VNF container per VNF of the chain, running a binary the project builds;
#   * the ConfigMap's chain passes `flowmgr --check-config`;
#   * the containers' entry script (stubs for flowmgr and nfctl): lcores from the affinity, and a
#     VNF's shared lock keeps a new flowmgr from starting.
# Usage: test_k8s_manifests.py SOURCE_DIR FLOWMGR_BINARY
import os
import re
import subprocess
import sys
import tempfile

import yaml

SRC, FLOWMGR = sys.argv[1], sys.argv[2]
K8S = os.path.join(SRC, "deploy", "k8s")
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
    return cond


def load(name):
    with open(os.path.join(K8S, name)) as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


# ---- files ------------------------------------------------------------------------------------
kust = load("kustomization.yaml")[0]
files = sorted(f for f in os.listdir(K8S) if f.endswith(".yaml") and f != "kustomization.yaml")
check(sorted(kust["resources"]) == files, f"kustomization lists {kust['resources']}, not {files}")
docs = [d for f in files for d in load(f)]
by_kind = {}
for d in docs:
    by_kind.setdefault(d["kind"], []).append(d)
check(sorted(by_kind) == ["ConfigMap", "DaemonSet", "Namespace"], f"kinds {sorted(by_kind)}")
ns = by_kind["Namespace"][0]["metadata"]["name"]
for d in docs:
    if d["kind"] != "Namespace":
        check(d["metadata"].get("namespace") == ns, f"{d['kind']} not in namespace {ns}")

ds = by_kind["DaemonSet"][0]
pod = ds["spec"]["template"]["spec"]
labels = ds["spec"]["template"]["metadata"]["labels"]
for k, v in ds["spec"]["selector"]["matchLabels"].items():
    check(labels.get(k) == v, f"selector {k}={v} does not match the pod's labels")
check(pod.get("hostNetwork") is True, "hostNetwork: the ports are the node's interfaces")
check(pod.get("dnsPolicy") == "ClusterFirstWithHostNet", "dnsPolicy for a host-network pod")
check(pod.get("shareProcessNamespace") is True,
      "shareProcessNamespace: flowmgr checks and signals VNFs by pid")

# ---- the chain --------------------------------------------------------------------------------
cms = {c["metadata"]["name"]: c for c in by_kind["ConfigMap"]}
vols = {v["name"]: v for v in pod["volumes"]}
chain_vol = next((v for v in pod["volumes"] if "configMap" in v), None)
check(chain_vol is not None and chain_vol["configMap"]["name"] in cms,
      "a volume from the chain ConfigMap")
cm = cms[chain_vol["configMap"]["name"]]
check("chain.yaml" in cm["data"], "the ConfigMap has chain.yaml")
chain = yaml.safe_load(cm["data"]["chain.yaml"])
sock = chain.get("socket", "/run/flowsplice/flowmgr.sock")
run_dir = os.path.dirname(sock)

with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
    f.write(cm["data"]["chain.yaml"])
    f.flush()
    r = subprocess.run([FLOWMGR, "--check-config", f.name], capture_output=True, text=True)
    check(r.returncode == 0, f"flowmgr --check-config: {r.stdout}{r.stderr}")

# ---- containers -------------------------------------------------------------------------------
containers = {c["name"]: c for c in pod["containers"]}
fm = containers.get("flowmgr")
check(fm is not None, "a flowmgr container")
vnfs = [v["name"] for v in chain.get("vnfs", [])]
check(sorted(containers) == sorted(["flowmgr"] + vnfs),
      f"containers {sorted(containers)}: flowmgr and one per VNF of the chain {vnfs}")
for v in chain.get("vnfs", []):
    check("exec" not in v, f"VNF {v['name']}: no exec (it is a container, not a child)")

# flowmgr's arguments: the chain file from the ConfigMap's mount
fm_args = fm.get("args", [])
mount = {m["name"]: m for m in fm["volumeMounts"]}[chain_vol["name"]]["mountPath"]
check(fm_args[fm_args.index("-c") + 1] == os.path.join(mount, "chain.yaml"),
      "flowmgr -c names the mounted chain")
workers = int(fm_args[fm_args.index("--workers") + 1]) if "--workers" in fm_args else 1


def mounts(c):
    return {m["name"]: m["mountPath"] for m in c.get("volumeMounts", [])}


def vol_named(kind_check):
    return [n for n, v in vols.items() if kind_check(v)]


huge = vol_named(lambda v: v.get("emptyDir", {}).get("medium", "").startswith("HugePages"))
check(len(huge) == 1, "one HugePages emptyDir")
for name, c in containers.items():
    m = mounts(c)
    check(m.get(huge[0]) == "/dev/hugepages", f"{name}: hugepages at /dev/hugepages")
    run_vols = [v for v, p in m.items() if p == run_dir]
    check(len(run_vols) == 1 and "emptyDir" in vols[run_vols[0]],
          f"{name}: the run directory {run_dir} (the chain's socket) on a shared emptyDir")
    dpdk = [v for v, p in m.items() if p in ("/run/dpdk", "/var/run/dpdk")]
    check(len(dpdk) == 1 and "emptyDir" in vols[dpdk[0]],
          f"{name}: DPDK's runtime directory on a shared emptyDir")
    env = {e["name"]: e.get("value") for e in c.get("env", [])}
    check(env.get("FS_RUN", run_dir) == run_dir, f"{name}: FS_RUN is the run directory")
    res = c.get("resources", {})
    for k in ("cpu", "memory", "hugepages-2Mi"):
        check(k in res.get("requests", {}) and res["requests"][k] == res.get("limits", {}).get(k),
              f"{name}: {k} request = limit (hugepages must; cpu/memory: Guaranteed QoS)")
    if name != "flowmgr":
        check(env.get("XDG_RUNTIME_DIR") == "/var/run",
              f"{name}: XDG_RUNTIME_DIR=/var/run (a non-root secondary finds flowmgr's files)")


def quantity(q):
    m = re.fullmatch(r"([0-9]+)(Ki|Mi|Gi)?", str(q))
    return int(m.group(1)) * {None: 1, "Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30}[m.group(2)]


# Sizing rule (docs/operations.md, "Sizing"): 64 MiB + 2.5 KiB per mbuf + 1 KiB per session
# slot (sessions per worker x workers), + 1.5 KiB per mbuf with an in_order/resize VNF and 3 KiB
# more per mbuf with a resize VNF (the TCP context's blocks, docs/streams.md).
mbufs = chain.get("mbufs", 16383)
sessions = chain.get("sessions", 65536)
need = (64 << 20) + mbufs * 2560 + workers * sessions * 1024


def vnf_flags(v):
    f = v.get("flags", [])
    return set(f if isinstance(f, list) else str(f).replace(",", " ").split())


flags = set().union(*(vnf_flags(v) for v in chain.get("vnfs", []) or [{}]))
if flags & {"in_order", "resize"}:  # the TCP context's copy, hold and replay blocks
    need += mbufs * 1536
if "resize" in flags:  # its modification lists
    need += mbufs * 3072
have = quantity(fm["resources"]["requests"]["hugepages-2Mi"])
check(have >= need, f"flowmgr's hugepages {have >> 20} MiB < {need >> 20} MiB the chain needs")
check(quantity(fm["resources"]["requests"]["cpu"]) >= workers + 1,
      "flowmgr: one CPU per lcore (control + workers)")

# ---- least privilege --------------------------------------------------------------------------
with open(os.path.join(K8S, "Dockerfile")) as f:
    dockerfile = f.read()
uid = re.search(r"useradd [^\n]*--uid (\d+)", dockerfile)
user = re.search(r"useradd (?:.|\\\n)*? (\w+)\n", dockerfile)
check(uid is not None, "the Dockerfile creates the service user with a fixed uid")
uid = int(uid.group(1)) if uid else -1
user_name = fm_args[fm_args.index("--user") + 1] if "--user" in fm_args else None
check(user_name is not None and user is not None and user.group(1) == user_name,
      f"flowmgr --user names the Dockerfile's service user")
# docs/security.md: what flowmgr keeps after the drop (flowmgr/fm_priv.c: keep_caps and the
# bracketed CAP_KILL), then what the drop itself needs as root
with open(os.path.join(SRC, "flowmgr", "fm_priv.c")) as f:
    priv = f.read()
KEEP = set()
for arr in ("keep_caps", "bracket_caps"):
    m = re.search(arr + r"\[\] = \{([^}]*)\}", priv)
    check(m is not None, f"flowmgr/fm_priv.c has {arr}")
    KEEP |= {c.strip()[4:] for c in m.group(1).split(",")} if m else set()
check(KEEP == {"NET_ADMIN", "NET_RAW", "BPF", "IPC_LOCK", "KILL"},
      f"flowmgr keeps {sorted(KEEP)}: review the DaemonSet's capabilities and docs/security.md")
DROP_STEP = {"SETUID", "SETGID", "SETPCAP", "CHOWN"}
sc = fm["securityContext"]
check(sc["capabilities"].get("drop") == ["ALL"], "flowmgr drops ALL capabilities")
check(set(sc["capabilities"].get("add", [])) == KEEP | DROP_STEP,
      f"flowmgr adds {sorted(sc['capabilities'].get('add', []))}, expected "
      f"{sorted(KEEP | DROP_STEP)}")
check(sc.get("allowPrivilegeEscalation") is False and sc.get("readOnlyRootFilesystem") is True,
      "flowmgr: no privilege escalation, read-only root")
check(not sc.get("privileged", False), "flowmgr is not privileged")
for name in vnfs:
    sc = containers[name]["securityContext"]
    check(sc.get("runAsUser") == uid and sc.get("runAsGroup") == uid and sc.get("runAsNonRoot"),
          f"{name}: runs as the service user (uid {uid})")
    check(sc["capabilities"].get("drop") == ["ALL"] and not sc["capabilities"].get("add"),
          f"{name}: no capability")
    check(sc.get("allowPrivilegeEscalation") is False and sc.get("readOnlyRootFilesystem") is True,
          f"{name}: no privilege escalation, read-only root")

# ---- probes -----------------------------------------------------------------------------------
def probe_cmd(c, kind):
    p = c.get(kind)
    return " ".join(p["exec"]["command"]) if p and "exec" in p else ""


for kind in ("livenessProbe", "readinessProbe", "startupProbe"):
    cmd = probe_cmd(fm, kind)
    check(cmd.startswith("nfctl ") and f"-s {sock}" in cmd and cmd.endswith(" status"),
          f"flowmgr {kind}: nfctl -s {sock} status, not {cmd!r}")
for name in vnfs:
    for kind in ("livenessProbe", "readinessProbe"):
        cmd = probe_cmd(containers[name], kind)
        check(f"nfctl -s {sock}" in cmd and f" +{name} +" in cmd,
              f"{name} {kind}: its own line of nfctl vnfs, not {cmd!r}")

# ---- images and binaries ----------------------------------------------------------------------
stages = re.findall(r"^FROM (\S+) AS (\w+)", dockerfile, re.M)
targets = [t for _, t in stages]
check(all(b == "debian:12" or b in targets[:i] for i, (b, _) in enumerate(stages)),
      f"every stage FROM debian:12 or an earlier stage: {stages}")
check("flowmgr" in fm["image"] and "flowmgr" in targets, "flowmgr's image is the flowmgr target")
for name in vnfs:
    c = containers[name]
    check("vnf" in c["image"] and "vnf" in targets, f"{name}: the vnf image")
    args = c.get("args", [])
    check(len(args) >= 2 and args[0] == name, f"{name}: entry args NAME BINARY")
    check(len(args) >= 2 and os.path.isdir(os.path.join(SRC, "nfs", args[1])),
          f"{name}: {args[1:2]} is a VNF of nfs/")
    check(args[1] in dockerfile, f"{name}: the vnf image links {args[1]}")

# ---- the entry script -------------------------------------------------------------------------
entry = os.path.join(K8S, "flowsplice-entry.sh")
with tempfile.TemporaryDirectory() as tmp:
    bindir = os.path.join(tmp, "bin")
    rundir = os.path.join(tmp, "run")
    os.makedirs(bindir)
    os.makedirs(rundir)
    for prog, body in (("flowmgr", 'echo "flowmgr $*"'), ("nfctl", "exit 0"),
                       ("vnf", 'echo "vnf $*"; exec sleep 60')):
        with open(os.path.join(bindir, prog), "w") as f:
            f.write("#!/bin/sh\n" + body + "\n")
        os.chmod(os.path.join(bindir, prog), 0o755)
    env = dict(os.environ, FS_BIN=bindir, FS_RUN=rundir, FS_LOCK_WAIT="1")
    r = subprocess.run(["taskset", "-c", "0", "sh", entry, "flowmgr", "-c", "x.yaml"],
                       env=env, capture_output=True, text=True)
    check(r.returncode == 0 and r.stdout.strip() ==
          f"flowmgr -s {rundir}/flowmgr.sock -c x.yaml -- --lcores 0@0,1@0",
          f"entry flowmgr on CPU 0: {r.stdout!r} {r.stderr!r}")
    r = subprocess.run(["sh", entry, "flowmgr", "--", "-l", "0,1"], env=env,
                       capture_output=True, text=True)
    check(r.stdout.strip() == f"flowmgr -s {rundir}/flowmgr.sock -- -l 0,1",
          f"entry flowmgr keeps given lcores: {r.stdout!r}")
    # a VNF holds its shared lock while it runs: a new flowmgr waits, then gives up
    vnf = subprocess.Popen(["sh", entry, "vnf", "v1", os.path.join(bindir, "vnf"), "a1"],
                           env=env, stdout=subprocess.PIPE, text=True, start_new_session=True)
    line = vnf.stdout.readline().strip()
    check(line == f"vnf --name v1 --socket {rundir}/flowmgr.sock --file-prefix flowsplice -- a1",
          f"entry vnf: {line!r}")
    r = subprocess.run(["sh", entry, "flowmgr"], env=env, capture_output=True, text=True)
    check(r.returncode == 1 and "still run" in r.stderr,
          f"flowmgr started while a VNF held the lock: {r.stdout!r} {r.stderr!r}")
    os.killpg(vnf.pid, 9)  # the VNF (flock and its child): the group this test started
    vnf.wait()
    r = subprocess.run(["sh", entry, "flowmgr"], env=env, capture_output=True, text=True)
    check(r.returncode == 0, f"flowmgr after the VNF exited: {r.stderr!r}")

for f in failures:
    print("FAIL:", f)
print(f"test_k8s_manifests: {len(failures)} failed")
sys.exit(1 if failures else 0)
