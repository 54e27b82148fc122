# scripts/bench's fleet mode: sourced by it (uses its log, summary, ratio, runs, cid, bench,
# images, helpers, registry_env); defines bench_fleet and report_fleet.
#
# Job: BENCH_FLEET_IMAGES (default 50) two-platform app images in five repositories of a real
# registry (scripts/testenv/registry-env, plain HTTP on 127.0.0.1), patched with one agent
# (agent:7). The timed rounds talk to the registry directly: the byte-counting proxy adds about
# 40 ms to every small request (the delayed-ACK delay: it does not set TCP_NODELAY), which
# would swamp a job of ~12 small requests per image. One more round, cold, warm and rerun only,
# goes through the proxy to count bytes and requests. Each round, in this order (each phase needs
# the one before it, so the order does not rotate):
#
#   cold     `fleet run` of the whole plan, an empty --cache-dir, an empty --layer-cache
#            repository (layer-cache-ROUND), new target repositories
#   warm     the same caches, new target repositories again: what a new set of images costs
#            once the agent layer is cached locally and in the registry
#   nolc     (round 1 only) as warm, new targets, without --layer-cache: what the registry
#            layer cache changes in the warm cost
#   rerun    the warm plan again: every item already is its result (up-to-date)
#   single   a loop of BENCH_FLEET_SINGLE (default 10) `imagepatch patch` calls, warm cache,
#            new targets; per image and extrapolated to the fleet
#   umoci    scripts/bench.d/peer-umoci.sh on BENCH_FLEET_PEER (default 2) images, pushing to
#            new targets; per image and extrapolated to the fleet
#
# `fleet plan` runs before each phase (untimed for the phase; its own time is kept). In the proxy
# round, the proxy's stats are reset after planning and read after the phase.

fleet_regdir=$bench/registry-fleet
fleet_work=$bench/work-fleet
fleet_checks=$bench/checks-fleet
# phase, round, seconds, peak RSS KiB, items, patched, up-to-date, failed, agent-layer builds,
# sum of the result lines' bytesUploaded, proxy: blob upload bytes, blob GET bytes, blob uploads
# completed, mounts, manifest PUTs, requests
fleet_results=$bench/results-fleet.tsv
fleet_calls=$bench/results-fleet-calls.tsv     # phase, round, item, seconds, peak RSS KiB
fleet_images=${BENCH_FLEET_IMAGES:-50}
fleet_single=${BENCH_FLEET_SINGLE:-10}
fleet_peer=${BENCH_FLEET_PEER:-2}
fleet_jobs=${BENCH_FLEET_JOBS:-2}
# Five repositories, the last two chosen by a tag list and by `latest`, the others by `match`.
fleet_repos=(fleet/shop-web fleet/shop-worker fleet/billing-api fleet/billing-cron fleet/ops-probe)
fleet_phases=(cold warm rerun nolc single umoci)
declare -A fleet_label=([cold]="fleet run, cold (empty caches, new targets)"
  [warm]="fleet run, warm (cached layer, new targets)" [rerun]="fleet run, rerun (all up-to-date)"
  [nolc]="fleet run, warm, no --layer-cache (round 1 only)"
  [cold-proxy]="fleet run, cold" [warm-proxy]="fleet run, warm" [rerun-proxy]="fleet run, rerun"
  [single]="loop of imagepatch patch (warm cache)" [umoci]="loop of skopeo + umoci (peer-umoci.sh)")
declare -A fleet_failed=()
fleet_registry_host= fleet_proxy_host= fleet_control= fleet_plan_seconds=
fleet_host=    # the host plans and loops address: the registry's, or the proxy's in the proxy round
fleet_load_before= fleet_load_after=

for n in "$fleet_images" "$fleet_single" "$fleet_peer" "$fleet_jobs"; do
  case $n in '' | *[!0-9]* | 0) echo "bench: BENCH_FLEET_* must be positive integers" >&2; exit 2 ;; esac
done
if [ $((fleet_images % ${#fleet_repos[@]})) -ne 0 ] || [ "$fleet_images" -gt 500 ] ||
   [ "$fleet_single" -gt "$fleet_images" ] || [ "$fleet_peer" -gt "$fleet_images" ] || [ "$fleet_jobs" -gt 32 ]; then
  echo "bench: BENCH_FLEET_IMAGES must be a multiple of ${#fleet_repos[@]} up to 500, BENCH_FLEET_SINGLE and BENCH_FLEET_PEER at most it, BENCH_FLEET_JOBS at most 32" >&2
  exit 2
fi

stop_fleet_registry() {
  [ -e "$fleet_regdir/pids.json" ] || return 0
  "$registry_env" stop --dir "$fleet_regdir" >"$fleet_regdir/stop.json" 2>&1 ||
    log "registry-env stop failed: $(cat "$fleet_regdir/stop.json")"
  rm -f "$fleet_regdir/pids.json"
}

# The tag of image N (0-based) in its repository: semver in the first four, not in the last.
fleet_tag() {
  local per=$((fleet_images / ${#fleet_repos[@]}))
  if [ $(($1 / per)) -eq $((${#fleet_repos[@]} - 1)) ]; then echo "build-$(($1 % per))"; else echo "1.$(($1 % per)).0"; fi
}

# fleet_file TARGET-PREFIX: the fleet file (JSON) for targets {registry}/PREFIX/{repository}:{tag}.
fleet_file() {
  local per=$((fleet_images / ${#fleet_repos[@]})) k tags=()
  for ((k = 0; k < per; k++)); do tags+=("build-$k"); done
  jq -n --arg host "$fleet_host" --arg cid "$cid" --arg prefix "$1" --argjson per "$per" \
    --argjson tags "$(printf '%s\n' "${tags[@]}" | jq -R . | jq -s .)" \
    --argjson repos "$(printf '%s\n' "${fleet_repos[@]}" | jq -R . | jq -s .)" '
    { agent: "\($host)/agent:7",
      options: {cid: $cid},
      target: "{registry}/\($prefix)/{repository}:{tag}",
      images: (($repos[0:3] | map({source: "\($host)/\(.)", match: "^1\\.[0-9]+\\.0$"}))
        + [{source: "\($host)/\($repos[3])", latest: $per},
           {source: "\($host)/\($repos[4])", tags: $tags}]) }'
}

# fleet_plan PREFIX OUT: plan the fleet with that target prefix into OUT (JSON array).
fleet_plan() {
  fleet_file "$1" >"$2.fleet.json"
  /usr/bin/time -f '%e %M' -o "$2.time" "$bench/imagepatch" fleet plan "$2.fleet.json" >"$2" 2>"$2.log" ||
    { log "fleet plan failed: $(tail -3 "$2.log")"; return 1; }
  local planned
  planned=$(jq length "$2")
  [ "$planned" -eq "$fleet_images" ] || { log "fleet plan gave $planned items, not $fleet_images"; return 1; }
}

# Proxy stats, only when this round goes through the proxy: reset before a phase, read after it.
fleet_stats_begin() {
  [ "$fleet_host" = "$fleet_proxy_host" ] || return 0
  curl -fsS -X POST "$fleet_control" -d '{"faults": [], "reset_stats": true}' >/dev/null
}
fleet_stats_end() {
  rm -f "$1"
  [ "$fleet_host" = "$fleet_proxy_host" ] || return 0
  curl -fsS "$fleet_control" >"$1"
}

# The proxy's numbers for a phase: blob upload bytes, blob GET bytes, uploads completed, mounts,
# manifest PUTs, requests.
fleet_stats_line() {
  jq -r '
    def count(re): [.by_request | to_entries[] | select(.key | test(re)) | .value] | add // 0;
    [.blob_body_bytes.PUT + .blob_body_bytes.PATCH + .blob_body_bytes.POST, .blob_body_bytes.GET,
     count("^PUT /v2/.+/blobs/uploads/[^ ]* 201$"), count("^POST /v2/.+/blobs/uploads/ 201$"),
     count("^PUT /v2/.+/manifests/[^ ]+ 201$"), .requests_total] | @tsv' "$1"
}

# fleet_row PHASE ROUND SECONDS KIB RESULTS LOG STATS: one results row.
fleet_row() {
  local counts builds
  counts=$(jq -rs '[length, (map(select(.status == "patched")) | length),
      (map(select(.status == "up-to-date")) | length), (map(select(.status == "failed")) | length)] | @tsv' "$5")
  builds=$(grep -c 'built the agent layer' "$6" || true)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$counts" "$builds" \
    "$(jq -s 'map(.bytesUploaded // 0) | add // 0' "$5")" \
    "$(if [ -e "$7" ]; then fleet_stats_line "$7"; else printf -- '-\t-\t-\t-\t-\t-'; fi)" >>"$fleet_results"
}

# fleet_run PHASE ROUND PLAN CACHE [--layer-cache REPO]: one timed `fleet run` of the whole plan.
fleet_run() {
  local phase=$1 round=$2 plan=$3 cache=$4 dir=$fleet_work/$1-$2 secs kib
  shift 4
  mkdir -p "$dir"
  sync
  fleet_stats_begin
  log "fleet round $round/$runs: ${fleet_label[$phase]}"
  if ! /usr/bin/time -f '%e %M' -o "$dir/time" "$bench/imagepatch" fleet run "$plan" \
      --jobs "$fleet_jobs" --cache-dir "$cache" "$@" >"$dir/results.jsonl" 2>"$dir/log"; then
    fleet_failed[$phase]="round $round: $(grep -v '"status"' "$dir/log" | tail -3 | tr '\n' ' ') $(jq -r 'select(.status == "failed") | .error' "$dir/results.jsonl" | head -2 | tr '\n' ' ')"
    log "${fleet_label[$phase]} failed: ${fleet_failed[$phase]}"
    return 0
  fi
  fleet_stats_end "$dir/stats.json"
  read -r secs kib < <(tail -1 "$dir/time")
  fleet_row "$phase" "$round" "$secs" "$kib" "$dir/results.jsonl" "$dir/log" "$dir/stats.json"
}

# fleet_picks COUNT: COUNT item indexes spread over the plan (so over the repositories).
fleet_picks() {
  local k
  for ((k = 0; k < $1; k++)); do echo $((k * fleet_images / $1)); done
}

# fleet_single_loop ROUND PLAN CACHE: a timed `imagepatch patch` per picked item, one after the other.
fleet_single_loop() {
  local round=$1 plan=$2 dir=$fleet_work/single-$1 i item secs kib total=0 peak=0 s
  mkdir -p "$dir"
  : >"$dir/results.jsonl"
  : >"$dir/log"
  sync
  fleet_stats_begin
  log "fleet round $round/$runs: ${fleet_label[single]} ×$fleet_single"
  for i in $(fleet_picks "$fleet_single"); do
    item=$(jq -c ".[$i]" "$plan")
    if ! /usr/bin/time -f '%e %M' -o "$dir/time" "$bench/imagepatch" patch \
        --source "$(jq -r .source <<<"$item")" --agent "$(jq -r .agent <<<"$item")" \
        --target "$(jq -r .target <<<"$item")" --cid "$cid" --cache-dir "$3" \
        --layer-cache "$fleet_host/layer-cache-$round" >"$dir/out-$i" 2>>"$dir/log"; then
      fleet_failed[single]="round $round, item $i: $(tail -2 "$dir/log" | tr '\n' ' ')"
      log "${fleet_label[single]} failed: ${fleet_failed[single]}"
      return 0
    fi
    read -r secs kib < <(tail -1 "$dir/time")
    printf 'single\t%s\t%s\t%s\t%s\n' "$round" "$i" "$secs" "$kib" >>"$fleet_calls"
    total=$(awk -v a="$total" -v b="$secs" 'BEGIN { print a + b }')
    [ "$kib" -le "$peak" ] || peak=$kib
    # patch prints "wrote …" or "up-to-date …"; fleet_row counts these status lines.
    if grep -q '^up-to-date' "$dir/out-$i"; then s=up-to-date; else s=patched; fi
    jq -cn --arg s "$s" '{status: $s}' >>"$dir/results.jsonl"
  done
  fleet_stats_end "$dir/stats.json"
  fleet_row single "$round" "$total" "$peak" "$dir/results.jsonl" "$dir/log" "$dir/stats.json"
}

# fleet_peer_loop ROUND PLAN: peer-umoci.sh per picked item, pushing to umoci-ROUND/REPO:TAG.
fleet_peer_loop() {
  local round=$1 plan=$2 dir=$fleet_work/umoci-$1 i source tag secs kib total=0 peak=0
  mkdir -p "$dir"
  : >"$dir/results.jsonl"
  : >"$dir/log"
  fleet_stats_begin
  log "fleet round $round/$runs: ${fleet_label[umoci]} ×$fleet_peer"
  for i in $(fleet_picks "$fleet_peer"); do
    source=$(jq -r ".[$i].sourceTag" "$plan")
    tag=${source#"$fleet_host"/}
    rm -rf "$dir/out" "$dir/scratch"
    mkdir -p "$dir/scratch"
    sync
    if ! /usr/bin/time -f '%e %M' -o "$dir/time" "$helpers/peer-umoci.sh" "docker://$source" \
        "docker://$fleet_host/agent:7" "$dir/out" "$dir/scratch" "$cid" \
        "docker://$fleet_host/umoci-$round/$tag" >>"$dir/log" 2>&1; then
      fleet_failed[umoci]="round $round, item $i: $(grep -v '^Command exited' "$dir/log" | tail -2 | tr '\n' ' ')"
      log "${fleet_label[umoci]} failed: ${fleet_failed[umoci]}"
      return 0
    fi
    read -r secs kib < <(tail -1 "$dir/time")
    printf 'umoci\t%s\t%s\t%s\t%s\n' "$round" "$i" "$secs" "$kib" >>"$fleet_calls"
    total=$(awk -v a="$total" -v b="$secs" 'BEGIN { print a + b }')
    [ "$kib" -le "$peak" ] || peak=$kib
    echo '{"status": "patched"}' >>"$dir/results.jsonl"
  done
  rm -rf "$dir/out" "$dir/scratch"
  fleet_stats_end "$dir/stats.json"
  fleet_row umoci "$round" "$total" "$peak" "$dir/results.jsonl" "$dir/log" "$dir/stats.json"
}

# fleet_verify PHASE ROUND PLAN: untimed, straight from the registry: the first item's result is a
# two-platform index whose manifests hold the app's layers plus one agent layer each.
fleet_verify() {
  local target ref arch digest out=$fleet_checks/$1
  target=$(jq -r '.[0].target' "$3")
  ref=docker://$fleet_registry_host/${target#*/}
  skopeo inspect --raw --tls-verify=false "$ref" >"$out-index.json" || { log "could not read $ref"; return 0; }
  for arch in amd64 arm64; do
    digest=$(jq -r --arg a "$arch" '.manifests[] | select(.platform.architecture == $a) | .digest' "$out-index.json")
    skopeo inspect --raw --tls-verify=false "${ref%:*}@$digest" >"$out-$arch.json" || true
  done
}

bench_fleet() {
  local round env proxy n repo per plan cache pass layers
  stop_fleet_registry
  rm -rf "$fleet_regdir" "$fleet_work" "$fleet_checks"
  mkdir -p "$fleet_regdir" "$fleet_work" "$fleet_checks"
  : >"$fleet_results"
  : >"$fleet_calls"
  trap 'stop_fleet_registry; stop_registry' EXIT
  fleet_load_before=$(cut -d' ' -f1-3 /proc/loadavg)
  log "starting the registry and the byte-counting proxy (scripts/testenv/registry-env)"
  env=$("$registry_env" start --dir "$fleet_regdir" --mode plain)
  fleet_registry_host=$(jq -r .host <<<"$env")
  proxy=$("$registry_env" proxy --dir "$fleet_regdir" --upstream "$(jq -r .url <<<"$env")")
  fleet_proxy_host=$(jq -r .host <<<"$proxy")
  fleet_control=$(jq -r .control <<<"$proxy")

  # The inputs (untimed): agent:7, and app:1's variants pushed straight to the registry, the
  # first image of each repository first (it uploads the app's layers to that repository).
  log "deriving $fleet_images app images (scripts/bench.d/fleet-images.py) and pushing them to $fleet_registry_host"
  python3 "$helpers/fleet-images.py" "$images/app" 1 "$fleet_work/apps" "$fleet_images"
  skopeo copy -q --all --dest-tls-verify=false "oci:$images/agent:7" "docker://$fleet_registry_host/agent:7"
  per=$((fleet_images / ${#fleet_repos[@]}))
  for pass in first rest; do
    for ((n = 0; n < fleet_images; n++)); do
      [ $((n % per == 0)) -eq $([ $pass = first ] && echo 1 || echo 0) ] || continue
      repo=${fleet_repos[$((n / per))]}
      printf 'oci:%s:v%s docker://%s/%s:%s\n' "$fleet_work/apps" "$n" "$fleet_registry_host" "$repo" "$(fleet_tag "$n")"
    done | xargs -P 4 -L 1 skopeo copy -q --all --dest-tls-verify=false
  done

  fleet_host=$fleet_registry_host
  for ((round = 1; round <= runs; round++)); do
    cache=$fleet_work/cache-$round
    rm -rf "$cache"
    mkdir -p "$cache"
    fleet_plan "cold-$round" "$fleet_work/plan-cold-$round.json" || { fleet_failed[cold]="round $round: fleet plan failed"; break; }
    [ -n "$fleet_plan_seconds" ] || read -r fleet_plan_seconds _ <"$fleet_work/plan-cold-$round.json.time"
    layers=(--layer-cache "$fleet_host/layer-cache-$round")
    [ -n "${fleet_failed[cold]:-}" ] || fleet_run cold "$round" "$fleet_work/plan-cold-$round.json" "$cache" "${layers[@]}"
    [ "$round" -ne 1 ] || fleet_verify cold "$round" "$fleet_work/plan-cold-$round.json"
    plan=$fleet_work/plan-warm-$round.json
    fleet_plan "warm-$round" "$plan" || { fleet_failed[warm]="round $round: fleet plan failed"; break; }
    [ -n "${fleet_failed[warm]:-}" ] || fleet_run warm "$round" "$plan" "$cache" "${layers[@]}"
    [ "$round" -ne 1 ] || fleet_verify warm "$round" "$plan"
    [ -n "${fleet_failed[rerun]:-}" ] || fleet_run rerun "$round" "$plan" "$cache" "${layers[@]}"
    if [ "$round" -eq 1 ]; then
      plan=$fleet_work/plan-nolc-$round.json
      fleet_plan "nolc-$round" "$plan" && fleet_run nolc "$round" "$plan" "$cache"
    fi
    plan=$fleet_work/plan-single-$round.json
    fleet_plan "single-$round" "$plan" || { fleet_failed[single]="round $round: fleet plan failed"; break; }
    [ -n "${fleet_failed[single]:-}" ] || fleet_single_loop "$round" "$plan" "$cache"
    [ -n "${fleet_failed[umoci]:-}" ] || fleet_peer_loop "$round" "$plan"
    rm -rf "$cache"
  done
  # Once more through the proxy, for the bytes and requests (its wall times are not the headline).
  fleet_host=$fleet_proxy_host round=p cache=$fleet_work/cache-p
  layers=(--layer-cache "$fleet_host/layer-cache-$round")
  rm -rf "$cache"
  mkdir -p "$cache"
  if fleet_plan "cold-$round" "$fleet_work/plan-cold-$round.json"; then
    fleet_run cold-proxy "$round" "$fleet_work/plan-cold-$round.json" "$cache" "${layers[@]}"
    fleet_plan "warm-$round" "$fleet_work/plan-warm-$round.json" &&
      fleet_run warm-proxy "$round" "$fleet_work/plan-warm-$round.json" "$cache" "${layers[@]}" &&
      fleet_run rerun-proxy "$round" "$fleet_work/plan-warm-$round.json" "$cache" "${layers[@]}"
  fi
  rm -rf "$cache"
  fleet_load_after=$(cut -d' ' -f1-3 /proc/loadavg)
  stop_fleet_registry
}

report_fleet() {
  local phase med lo hi rss items builds results_bytes statuses warm_pi single_pi umoci_pi cold_med warm_med row
  declare -A pi=()
  echo "## Fleet: $fleet_images two-platform images, one agent, registry -> the same registry"
  echo
  echo "Fleet: $fleet_images images derived from app:1 (scripts/bench.d/fleet-images.py: the same layers, each"
  echo "platform config with its own label \`bench.fleet.variant=N\`, so every image and every result has"
  echo "its own digests) in ${#fleet_repos[@]} repositories (${fleet_repos[*]}), $((fleet_images / ${#fleet_repos[@]})) tags each,"
  echo "pushed once with \`skopeo copy --all\`; agent:7 as in the other modes. REGISTRY is docker-registry on"
  echo "127.0.0.1, plain HTTP. The fleet file selects the tags by \`match\` (3 repositories), \`latest\` and a"
  echo "\`tags\` list; options: \`cid\`. Each round, in order: \`fleet plan\` (untimed here; the first took"
  echo "${fleet_plan_seconds:-?} s), then"
  echo
  echo "- cold: \`imagepatch fleet run PLAN --jobs $fleet_jobs --cache-dir EMPTY --layer-cache REGISTRY/layer-cache-RUN\`"
  echo "  (a new, empty layer-cache repository each run), targets \`REGISTRY/cold-RUN/REPO:TAG\`;"
  echo "- warm: the same caches, new targets \`REGISTRY/warm-RUN/REPO:TAG\` (what new images cost once the layer is"
  echo "  cached locally and in the registry);"
  echo "- rerun: the warm plan again (every item up-to-date);"
  echo "- no --layer-cache (round 1 only): as warm, new targets, the local cache but no \`--layer-cache\`;"
  echo "- single: $fleet_single \`imagepatch patch --source REPO@DIGEST --agent agent@DIGEST --target … --cid … --cache-dir C --layer-cache …\`"
  echo "  calls one after the other, warm cache, new targets; **extrapolated** to $fleet_images images (× $fleet_images / $fleet_single);"
  echo "- skopeo + umoci: scripts/bench.d/peer-umoci.sh (as registry mode) on $fleet_peer images one after the other;"
  echo "  **extrapolated** to $fleet_images images (× $fleet_images / $fleet_peer)."
  echo
  echo "The timed rounds talk to the registry directly. scripts/testenv's byte-counting proxy adds about"
  echo "40 ms to each small request (the delayed-ACK delay: it does not set TCP_NODELAY), which would swamp jobs made"
  echo "of ~12 small requests per image; so one extra round (cold, warm, rerun) goes through it, for the"
  echo "bytes and requests, in the second table."
  echo
  echo "| job | median s | min s | max s | per image s | for $fleet_images images s | peak RSS MiB | uploaded MiB (bytesUploaded) | agent-layer builds | items patched / up-to-date / failed |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for phase in "${fleet_phases[@]}"; do
    if ! grep -q "^$phase	" "$fleet_results"; then
      echo "| ${fleet_label[$phase]} | not measured | | | | | | | | |"
      continue
    fi
    read -r med lo hi <<<"$(summary "$fleet_results" "$phase" 3)"
    read -r _ _ rss <<<"$(summary "$fleet_results" "$phase" 4)"
    read -r items _ <<<"$(summary "$fleet_results" "$phase" 5)"
    read -r builds _ <<<"$(summary "$fleet_results" "$phase" 9)"
    read -r results_bytes _ <<<"$(summary "$fleet_results" "$phase" 10)"
    statuses=$(awk -F'\t' -v p="$phase" '$1 == p { print $6 " / " $7 " / " $8 }' "$fleet_results" | sort -u | paste -sd ';' | sed 's/;/; /g')
    pi[$phase]=$(awk -v m="$med" -v n="$items" 'BEGIN { printf "%.3f", m / n }')
    awk -v t="${fleet_label[$phase]}" -v m="$med" -v l="$lo" -v h="$hi" -v p="${pi[$phase]}" -v f="$fleet_images" \
      -v r="$rss" -v rb="$results_bytes" -v b="$builds" -v s="$statuses" \
      -v x="$([ "$phase" = single ] || [ "$phase" = umoci ] && echo " (extrapolated)")" -v peer="$([ "$phase" = single ] || [ "$phase" = umoci ] && echo 1)" '
      BEGIN { printf "| %s | %.2f | %.2f | %.2f | %.3f | %.1f%s | %.0f | %s | %d | %s |\n",
              t, m, l, h, p, p * f, x, r / 1024, peer ? "-" : sprintf("%.1f", rb / 1048576), b, s }'
  done
  for phase in "${fleet_phases[@]}" cold-proxy warm-proxy rerun-proxy; do
    [ -z "${fleet_failed[$phase]:-}" ] || echo "
**${fleet_label[$phase]}: failed** ($(echo "${fleet_failed[$phase]}" | sed 's/`/'"'"'/g'))"
  done
  echo
  echo "The machine was not idle: load average $fleet_load_before (1, 5, 15 min) when the fleet mode"
  echo "started, $fleet_load_after when it ended, on $(nproc) CPUs (other sessions compiled meanwhile);"
  echo "the figures are upper bounds for an idle machine."
  echo
  echo "Medians over the rounds; per image = the median wall time / the items of the job (for the loops:"
  echo "the sum of their calls' wall times / the calls). Peak RSS is /usr/bin/time's, the largest run's"
  echo "biggest process (for the loops, the biggest call). Uploaded = the sum of the result lines'"
  echo "bytesUploaded (none for the loops: patch and the peers print no byte count; see the proxy table). Agent-layer builds: \"built the"
  echo "agent layer\" lines in imagepatch's log."
  echo
  echo "### Through the byte-counting proxy (one round)"
  echo
  echo "| job | wall s | per image s | blob upload MiB (proxy) | bytesUploaded MiB | blobs uploaded / mounted | manifests pushed | requests (per image) |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  for phase in cold-proxy warm-proxy rerun-proxy; do
    row=$(awk -F'\t' -v p="$phase" '$1 == p' "$fleet_results" | head -1)
    [ -n "$row" ] || { echo "| ${fleet_label[$phase]} | not measured | | | | | | |"; continue; }
    awk -F'\t' -v t="${fleet_label[$phase]}" '{ printf "| %s | %.2f | %.3f | %.1f | %.1f | %d / %d | %d | %d (%.1f) |\n",
      t, $3, $3 / $5, $11 / 1048576, $10 / 1048576, $13, $14, $15, $16, $16 / $5 }' <<<"$row"
  done
  echo
  echo "Blob upload = PUT + PATCH + POST bodies on /blobs/ paths; uploaded = completed uploads (\`PUT …/blobs/uploads/… 201\`),"
  echo "mounted = cross-repository mounts accepted (\`POST …/blobs/uploads/?mount=… 201\`), over all repositories."
  echo
  echo "### Ratios and the issue's targets"
  echo
  warm_pi=${pi[warm]:-} single_pi=${pi[single]:-} umoci_pi=${pi[umoci]:-}
  read -r cold_med _ <<<"$(summary "$fleet_results" cold 3)" || cold_med=
  read -r warm_med _ <<<"$(summary "$fleet_results" warm 3)" || warm_med=
  echo "- skopeo + umoci per image / fleet warm per image: $(ratio "$umoci_pi" "$warm_pi") (target ≥ 20×)"
  echo "- skopeo + umoci per image / single-patch loop per image: $(ratio "$umoci_pi" "$single_pi")"
  echo "- single-patch loop per image / fleet warm per image: $(ratio "$single_pi" "$warm_pi")"
  echo "- fleet rerun per image (up-to-date): ${pi[rerun]:-n/a} s"
  if [ -n "$warm_pi" ]; then
    echo "- fleet warm per image: $warm_pi s (target ≤ 0.3 s): $(awk -v p="$warm_pi" 'BEGIN { print (p <= 0.3 ? "met" : "not met") }')"
  fi
  if [ -n "$cold_med" ] && [ -n "$warm_med" ]; then
    awk -v c="$cold_med" -v w="$warm_med" -v n="$fleet_images" 'BEGIN {
      printf "- fleet cold: %.2f s = %.2f s (fleet warm, %d items) + %.2f s (the agent-layer builds, one per platform, and their\n  publication to the layer cache) (target: the builds + ≤ 0.3 s per image)\n", c, w, n, c - w }'
  fi
  rss=$(awk -F'\t' '$1 != "umoci" { print $4 }' "$fleet_results" | sort -g | tail -1)
  [ -z "$rss" ] || awk -v r="$rss" 'BEGIN { printf "- imagepatch peak RSS over every job: %.0f MiB (target < 100 MB = 95.4 MiB): %s\n", r / 1024, (r * 1024 < 100e6 ? "met" : "not met") }'
  awk -F'\t' -v n="$fleet_images" '$1 == "warm-proxy" {
      printf "- a warm item (proxy round) uploads %.2f blobs, %.2f MiB, and mounts %.2f on average (target: only configs and manifests,\n  i.e. 2 small config blobs per two-platform item)\n", $13 / n, $11 / n / 1048576, $14 / n }' "$fleet_results"
  echo
  echo "### The first result of each fleet phase (round 1, straight from the registry, untimed)"
  echo
  for phase in cold warm; do
    [ -s "$fleet_checks/$phase-index.json" ] || continue
    echo "- $phase: $(jq -r '"\(.mediaType | sub("application/vnd\\."; "")), \(.manifests | length) platforms"' "$fleet_checks/$phase-index.json");" \
      "$(for a in amd64 arm64; do jq -r --arg a "$a" '"\($a): \(.layers | length) layers, top \(.layers[-1].digest[7:19]) (\(.layers[-1].size / 1048576 * 10 | round / 10) MiB)"' "$fleet_checks/$phase-$a.json" 2>/dev/null || echo "$a: ?"; done | paste -sd ';' | sed 's/;/; /g')"
  done
  echo
  echo "Raw numbers (phase, round, seconds, peak RSS KiB, items, patched, up-to-date, failed, agent-layer"
  echo "builds, bytesUploaded sum, proxy: blob upload bytes, blob GET bytes, uploads, mounts, manifest PUTs,"
  echo "requests): $fleet_results; per call of the loops: $fleet_calls; logs and result lines: $fleet_work."
}
