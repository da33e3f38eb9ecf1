#!/usr/bin/env bash
# Long libFuzzer campaign measured in CPU time: fuzzes each target of an existing fuzz build until
# the fuzzer processes of that target have used at least N CPU-seconds (user+sys, from
# /usr/bin/time, not wall time: on a shared machine wall time says little), in chunks of at most
# -c wall seconds (libFuzzer -max_total_time), J targets at a time, under `nice`.  The next chunk's
# length is estimated from the previous chunk's CPU share, so a target overshoots N only a little.
#
# Usage: fuzz/campaign.sh [-b build] [-n cpu_s] [-j jobs] [-c chunk_s] [-N nice] [-d deadline]
#                         [-f] [-s] [target...]
#   -b  fuzz build dir (SGP_CAMPAIGN_BUILD, default build/fuzz); it is not built here: build it
#       first with `cmake --build <build> --target <targets> fuzz_dict fuzz_corpus`
#   -n  CPU-seconds per target (SGP_CAMPAIGN_CPU, default 600)
#   -j  targets fuzzed at a time (SGP_CAMPAIGN_JOBS, default 2)
#   -c  longest chunk in wall seconds (SGP_CAMPAIGN_CHUNK, default 120)
#   -N  nice increment of the fuzzers (SGP_CAMPAIGN_NICE, default 10)
#   -d  deadline, anything `date -d` reads ("12:15", "@1790000000"; SGP_CAMPAIGN_DEADLINE, default
#       none): no chunk runs past it; targets that have not reached N by then are marked short
#   -f  fresh: reset the CPU/exec counters of the targets (the corpora are kept)
#   -s  print the summary table only (of the targets given, or of every target with counters)
#   targets: default every target of <build>/fuzz/targets.txt, started in the order given (put
#   the slow, stateful ones first so they are not the ones left short at a deadline)
#
# Files, under SGP_CAMPAIGN_DIR (default /work/fuzzwork/campaign):
#   <target>/             persistent corpus; seeded (no overwrite) from <build>/corpus/<target>/
#                         and fuzz/regressions/<target>/ at every start; libFuzzer adds to it
#   artifacts/<target>/   crash-/leak-/timeout-/oom- artefacts
#   logs/<target>.log     every chunk's libFuzzer output, with a header line per chunk
#   state/<target>        the counters, summed over chunks and over runs of this script
#                         (so an interrupted campaign resumes where it stopped; -f resets them)
#   summary.txt           the last table printed
# Table: cpu_s and wall_s summed over chunks; execs (libFuzzer's stat::number_of_executed_units,
# which includes the corpus replay at each chunk's start); exec/cpu_s; cov, ft and corpus
# (libFuzzer's in-memory corpus) from the last chunk's last status line; crashes (artefacts written
# by crashing chunks); status ok, short (did not reach N), crash, missing (no binary) or not-run.
# Exit: 0 every target reached N without a crash; 1 a crash; 2 usage; 3 a target is short/missing.
#
# A crash is a finding: minimise it (<binary> -minimize_crash=1 -runs=10000 <artefact>) and copy
# the minimised input to fuzz/regressions/<target>/finding-<short-name>.bin (see fuzz/run.sh).
set -euo pipefail
src=$(cd "$(dirname "$0")" && pwd)
cd "$src/.."

build=${SGP_CAMPAIGN_BUILD:-build/fuzz}
need=${SGP_CAMPAIGN_CPU:-600}
jobs=${SGP_CAMPAIGN_JOBS:-2}
chunk=${SGP_CAMPAIGN_CHUNK:-120}
nice_inc=${SGP_CAMPAIGN_NICE:-10}
deadline=${SGP_CAMPAIGN_DEADLINE:-}
root=${SGP_CAMPAIGN_DIR:-/work/fuzzwork/campaign}
fresh=0 summary_only=0
min_chunk=10 # shorter chunks would spend their time reloading the corpus
grace=30     # a chunk may overrun -max_total_time by this much before it is stopped

usage() { sed -n '8,22p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while getopts 'b:n:j:c:N:d:fsh' o; do
  case "$o" in
    b) build=$OPTARG ;; n) need=$OPTARG ;; j) jobs=$OPTARG ;; c) chunk=$OPTARG ;;
    N) nice_inc=$OPTARG ;; d) deadline=$OPTARG ;; f) fresh=1 ;; s) summary_only=1 ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
for v in "$need" "$jobs" "$chunk" "$nice_inc"; do [[ $v =~ ^[0-9]+$ ]] || usage; done
if [ "$jobs" -lt 1 ] || [ "$chunk" -lt "$min_chunk" ]; then usage; fi
end=0 # epoch seconds of the deadline, 0 = none
if [ -n "$deadline" ]; then
  end=$(date -d "$deadline" +%s) || { echo "campaign: bad deadline '$deadline'" >&2; exit 2; }
fi
mkdir -p "$root"/{artifacts,logs,state}

if [ $# -gt 0 ]; then
  targets=("$@")
elif [ "$summary_only" -eq 1 ]; then
  mapfile -t targets < <(find "$root/state" -type f -printf '%f\n' | sort)
else
  read -r -a targets <"$build/fuzz/targets.txt"
fi

# state/<target>: cpu wall execs chunks crashes cov ft corp status (one line)
load_state() {
  cpu=0 wall=0 execs=0 chunks=0 crashes=0 cov=- ft=- corp=- status=not-run
  if [ -f "$root/state/$1" ]; then
    read -r cpu wall execs chunks crashes cov ft corp status <"$root/state/$1"
  fi
}
save_state() {
  echo "$cpu $wall $execs $chunks $crashes $cov $ft $corp $status" >"$root/state/$1.tmp"
  mv "$root/state/$1.tmp" "$root/state/$1"
}
awkc() { awk "BEGIN { $1 }" </dev/null; }

# Fuzzes one target until it has used $need CPU-seconds, the deadline comes or it crashed three
# times; runs in a background subshell, one per target.
fuzz_target() {
  local t=$1 bin="$build/fuzz/$1"
  local corpus="$root/$t" art="$root/artifacts/$t" log="$root/logs/$t.log"
  local clog="$root/logs/.$t.chunk" tf="$root/logs/.$t.time" mark="$root/logs/.$t.mark"
  local tpid='' crash_chunks=0 ratio=1 opts rc now left len u s e n last new
  trap '[ -n "$tpid" ] && pkill -TERM -P "$tpid"; wait; exit 130' INT TERM
  load_state "$t"
  [ "$fresh" -eq 1 ] && cpu=0 wall=0 execs=0 chunks=0 crashes=0
  if [ ! -x "$bin" ]; then
    status=missing
    save_state "$t"
    echo "campaign: $t: no binary $bin" >&2
    return 0
  fi
  mkdir -p "$corpus" "$art"
  for d in "$build/corpus/$t" "$src/regressions/$t"; do
    [ -d "$d" ] && find "$d" -maxdepth 1 -type f ! -name 'README*' ! -name '.*' \
      -exec cp -n -t "$corpus" {} +
  done
  mapfile -t opts < <(bash "$src/run_target.sh" options "$bin" "$src" "$build")
  status=short
  while awkc "exit !($cpu < $need)"; do
    now=$(date +%s)
    len=$(awkc "r = $need - $cpu; x = int(r / $ratio) + 2; if (x < $min_chunk) x = $min_chunk;
                if (x > $chunk) x = $chunk; print x")
    if [ "$end" -gt 0 ]; then
      left=$((end - now - grace))
      [ "$left" -lt "$min_chunk" ] && break
      [ "$len" -gt "$left" ] && len=$left
    fi
    echo "=== chunk $((chunks + 1)) of $t: $(date -u +%FT%TZ), max_total_time=$len," \
      "cpu so far $cpu s" >>"$log"
    touch "$mark"
    rc=0
    # -timeout=60 first, so a timeout in the .options file wins (libFuzzer: the last flag wins).
    nice -n "$nice_inc" /usr/bin/time -f '%U %S %e' -o "$tf" \
      timeout -s INT -k 10 $((len + grace - 10)) \
      "$bin" -timeout=60 "${opts[@]}" -max_total_time="$len" -print_final_stats=1 \
      -artifact_prefix="$art/" "$corpus" >"$clog" 2>&1 &
    tpid=$!
    wait "$tpid" || rc=$?
    tpid=''
    cat "$clog" >>"$log"
    read -r u s e < <(tail -n 1 "$tf")
    n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$clog" | tail -n 1)
    last=$(grep -E '^#[0-9]+' "$clog" | tail -n 1 || true)
    [ -n "$n" ] || n=$(sed -n 's/^#\([0-9]*\).*/\1/p' <<<"$last")
    cpu=$(awkc "print $cpu + $u + $s")
    wall=$(awkc "print $wall + $e")
    execs=$((execs + ${n:-0}))
    chunks=$((chunks + 1))
    ratio=$(awkc "r = ($u + $s) / ($e > 1 ? $e : 1); print (r < 0.05 ? 0.05 : r)")
    if [[ $last =~ cov:\ ([0-9]+)\ ft:\ ([0-9]+)\ corp:\ ([0-9]+) ]]; then
      cov=${BASH_REMATCH[1]} ft=${BASH_REMATCH[2]} corp=${BASH_REMATCH[3]}
    fi
    new=$(find "$art" -type f -newer "$mark" \( -name 'crash-*' -o -name 'leak-*' \
      -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
    echo "=== end of chunk: rc $rc, cpu $u+$s s, wall $e s, execs ${n:-?}," \
      "new artefacts $new" >>"$log"
    # rc 124: the chunk overran and timeout stopped it (counted, not a crash).
    if [ "$new" -gt 0 ] || { [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]; }; then
      crashes=$((crashes + (new > 0 ? new : 1)))
      crash_chunks=$((crash_chunks + 1))
      status=crash
      echo "campaign: $t: chunk $chunks failed (rc $rc), artefacts in $art/" >&2
    fi
    save_state "$t"
    [ "$crash_chunks" -ge 3 ] && break
  done
  if [ "$crashes" -gt 0 ]; then
    status=crash
  elif awkc "exit !($cpu >= $need)"; then
    status=ok
  else
    status=short
  fi
  save_state "$t"
  rm -f "$clog" "$tf" "$mark"
  echo "campaign: $t done: $status, $cpu CPU-s, $execs execs"
}

print_summary() {
  local t total=0 fmt='%-20s %8s %8s %11s %10s %6s %6s %6s %7s %s\n'
  # shellcheck disable=SC2059 # one format for the header and the rows
  {
    printf "$fmt" target cpu_s wall_s execs exec/cpu_s cov ft corpus crashes status
    for t in "${targets[@]}"; do
      load_state "$t"
      printf "$fmt" "$t" "$(awkc "printf \"%.0f\", $cpu")" "$(awkc "printf \"%.0f\", $wall")" \
        "$execs" "$(awkc "printf \"%.0f\", ($cpu > 0 ? $execs / $cpu : 0)")" \
        "$cov" "$ft" "$corp" "$crashes" "$status"
      total=$(awkc "print $total + $cpu")
    done
    echo "total CPU: $(awkc "printf \"%.0f s (%.1f CPU-min)\", $total, $total / 60")," \
      "N = ${need} CPU-s per target"
  } | tee "$root/summary.txt"
}

if [ "$summary_only" -eq 0 ]; then
  declare -a pids=()
  # shellcheck disable=SC2317 # called by the trap
  stop_all() {
    trap - INT TERM
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    wait || true
    print_summary
    exit 130
  }
  trap stop_all INT TERM
  echo "campaign: ${#targets[@]} targets, $need CPU-s each, $jobs at a time, nice $nice_inc," \
    "chunks <= ${chunk}s${deadline:+, deadline $(date -d "@$end" +%T)}; dir $root"
  for t in "${targets[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
    fuzz_target "$t" &
    pids+=("$!")
  done
  wait || true
  trap - INT TERM
  echo
fi
print_summary
rc=0
for t in "${targets[@]}"; do
  load_state "$t"
  case "$status" in
    crash) rc=1 ;;
    ok) ;;
    *) [ "$rc" -eq 0 ] && rc=3 ;;
  esac
done
exit "$rc"
