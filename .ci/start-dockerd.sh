#!/bin/sh
# Starts a Docker engine for the integration tests when none answers, and waits (up to 60 s) until
# `docker info` does. Verified here (Debian docker.io 20.10.24, cgroup v1, kernel 6.x): a plain `dockerd`
# works (overlay2, bridge networking with iptables NAT, host-gateway). Fallbacks, tried only when the log
# names the cause: vfs when overlayfs is missing, --iptables=false when iptables is (bridge containers
# then cannot reach the host; the test that needs it says so).
# live-restore is on (DOCKERD_LIVE_RESTORE=0 turns it off), as Docker recommends for engines that get
# restarted: containers, and so docker agents, keep running while the engine restarts.
# Log: /tmp/dockerd.log (override with DOCKERD_LOG).
set -u
LOG="${DOCKERD_LOG:-/tmp/dockerd.log}"
PIDFILE=/var/run/docker.pid

if docker info >/dev/null 2>&1; then
  echo "start-dockerd: engine already answering"
  exit 0
fi
if ! command -v dockerd >/dev/null 2>&1; then
  echo "start-dockerd: dockerd not installed (apt-get install -y docker.io busybox-static)" >&2
  exit 1
fi

# A dockerd killed with SIGKILL leaves its pid file; the next one refuses to start while it exists.
clear_stale_pidfile() {
  [ -f "$PIDFILE" ] || return 0
  old=$(cat "$PIDFILE" 2>/dev/null)
  i=0
  # Give a dying dockerd a moment to be reaped before deciding.
  while [ -n "$old" ] && [ -d "/proc/$old" ] && [ $i -lt 20 ]; do
    state=$(awk '{print $3}' "/proc/$old/stat" 2>/dev/null)
    [ "$state" = "Z" ] && break
    if ! grep -q dockerd "/proc/$old/comm" 2>/dev/null; then break; fi
    sleep 0.5
    i=$((i + 1))
  done
  if [ -n "$old" ] && [ -d "/proc/$old" ] && grep -q dockerd "/proc/$old/comm" 2>/dev/null \
    && [ "$(awk '{print $3}' "/proc/$old/stat" 2>/dev/null)" != "Z" ]; then
    echo "start-dockerd: dockerd pid $old is running but does not answer; not starting a second one" >&2
    exit 1
  fi
  rm -f "$PIDFILE"
}

# The containerd a killed dockerd started dies shortly after it; a new dockerd that still sees its pid tries
# to reuse it and times out. Wait for it to go, and drop its pid file once it has.
clear_stale_containerd() {
  cpid_file=/var/run/docker/containerd/containerd.pid
  [ -f "$cpid_file" ] || return 0
  cpid=$(cat "$cpid_file" 2>/dev/null)
  i=0
  while [ -n "$cpid" ] && [ -d "/proc/$cpid" ] && [ $i -lt 20 ]; do
    ppid=$(awk '{print $4}' "/proc/$cpid/stat" 2>/dev/null)
    [ "$ppid" = "1" ] || return 0
    sleep 0.5
    i=$((i + 1))
  done
  [ -n "$cpid" ] && [ -d "/proc/$cpid" ] || rm -f "$cpid_file"
}

LIVE_RESTORE=--live-restore
[ "${DOCKERD_LIVE_RESTORE:-1}" = 0 ] && LIVE_RESTORE=

try_start() {
  set -- $LIVE_RESTORE "$@"
  clear_stale_pidfile
  clear_stale_containerd
  echo "start-dockerd: starting: dockerd $*" | tee -a "$LOG"
  start_line=$(wc -l < "$LOG" 2>/dev/null || echo 0)
  # setsid: the engine must outlive this script and the CI step that ran it.
  setsid dockerd "$@" >>"$LOG" 2>&1 < /dev/null &
  pid=$!
  i=0
  while [ $i -lt 120 ]; do
    if docker info >/dev/null 2>&1; then
      echo "start-dockerd: engine up after $((i / 2))s (pid $pid)"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "start-dockerd: dockerd $* exited; its log:" >&2
      tail -n +"$((start_line + 1))" "$LOG" | tail -n 5 >&2
      return 1
    fi
    sleep 0.5
    i=$((i + 1))
  done
  echo "start-dockerd: no answer after 60s; stopping pid $pid" >&2
  kill "$pid" 2>/dev/null
  return 1
}

failed_because() {
  tail -n 30 "$LOG" | grep -qiE "$1"
}

try_start && exit 0
# A start racing the remains of a killed engine fails once; the second try finds them gone.
if failed_because 'containerd'; then
  try_start && exit 0
fi
if failed_because 'overlay|graphdriver|storage.driver|driver not supported'; then
  try_start --storage-driver=vfs && exit 0
fi
if failed_because 'iptables|nat'; then
  try_start --iptables=false && exit 0
  try_start --storage-driver=vfs --iptables=false && exit 0
fi
echo "start-dockerd: could not start a Docker engine; see $LOG" >&2
exit 1
