#!/usr/bin/env bash
# Build the Pulumi engine (CLI, Node.js language host, resource plugins) and
# the kfake test broker from Go modules, cache the binaries per version on this
# machine, and install them into the project-local PULUMI_HOME (.pulumi-home/).
#
#   scripts/engine/build.sh            # build what is missing, install, write env.sh
#   . .pulumi-home/env.sh              # then: pulumi preview / pulumi up ...
#
# Versions come from node_modules (or, before `npm install`, from the exact pins
# in package.json): @pulumi/pulumi -> CLI, @pulumi/<name> -> resource plugin
# <name> at exactly that version (the engine only accepts an exact match).
#
# Environment (all optional):
#   MP_ENGINE_CACHE        binary cache (default ${XDG_CACHE_HOME:-$HOME/.cache}/messaging-platform/engine)
#   MP_ENGINE_PLUGINS      resource plugins to build: NAME (at the version @pulumi/NAME pins) or NAME@VERSION
#                          (default "kubernetes kafka rabbitmq")
#   MP_PULUMI_CLI_VERSION  CLI version (default $DEFAULT_CLI_VERSION below)
#   MP_LANGHOST_FALLBACK_SDK  sdk/v3 release whose in-module Node.js language host is
#                          built when the language-host module of the CLI release is not
#                          served by the module proxy (default 3.68.0; "none" disables)
#   MP_ENGINE_SRC_<NAME>   module@version to build plugin <NAME> from (upper case, e.g.
#                          MP_ENGINE_SRC_KAFKA=github.com/pulumi/pulumi-kafka/provider/v3@v3.0.0-...)
#   MP_ENGINE_GO_P         go build -p (default 2)
#   MP_ENGINE_KEEP_BUILD=1 keep the generated build directories
# Exit status: 0 all built and installed; 3 some requested plugin has no
# buildable source (everything else is installed and env.sh is written).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="${MP_ENGINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/messaging-platform/engine}"
BUILD="$CACHE/.build"
PHOME="$ROOT/.pulumi-home"
PLUGINS="${MP_ENGINE_PLUGINS-kubernetes kafka rabbitmq}"
LANGHOST_FALLBACK_SDK="${MP_LANGHOST_FALLBACK_SDK:-3.68.0}"
# The CLI: the newest github.com/pulumi/pulumi/pkg/v3 release the module proxy serves here (its list on 2026-11-25:
# .library/env/packages/go-partial.tsv), not older than @pulumi/pulumi (an engine older than the SDK may refuse it).
DEFAULT_CLI_VERSION=3.274.1
# Plugins whose pinned version has no served source, and the version that has one (built instead, under its own
# version, and labelled so in engine.json).
declare -A FALLBACK_PLUGIN_VERSION=([kubernetes]=4.25.0)
declare -A FALLBACK_PLUGIN_NOTE=([kubernetes]="provider/v4 v4.0.0-20260115033456-f47bc2d6f199 is the only pulumi-kubernetes provider module the proxy serves: the last main-branch commit before the v4.25.0 release")

# Go settings for this script only (nothing is exported to the caller).
export CGO_ENABLED=0 GOTOOLCHAIN=local
# Pseudo-versions of these modules are not in the checksum database.
export GONOSUMDB="${GONOSUMDB:+$GONOSUMDB,}github.com/pulumi/pulumi/sdk/nodejs/cmd,github.com/pulumi/pulumi-kubernetes/provider,github.com/pulumi/pulumi-kafka/provider,github.com/pulumi/pulumi-rabbitmq/provider"
GO_P="${MP_ENGINE_GO_P:-2}"
GOBUILD=(go build -p "$GO_P" -trimpath)

log() { printf '[engine] %s\n' "$*" >&2; }
die() { printf '[engine] ERROR: %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }
# step NAME CMD...: run CMD, print its wall time.
step() {
  local name="$1" t0; shift
  t0=$(now)
  "$@"
  log "step '$name' took $(elapsed "$t0")"
}

for cmd in go node flock; do
  command -v "$cmd" >/dev/null 2>&1 || die "'$cmd' is required"
done

mkdir -p "$CACHE" "$BUILD"
exec 9>"$CACHE/.lock"
flock 9   # one build per machine at a time (CI clone and work tree share the cache)

T_ALL=$(now)

# --- versions ------------------------------------------------------------------
# npm_version PKG: version installed in node_modules, else the exact pin in package.json.
npm_version() {
  node -e '
    const [root, name] = process.argv.slice(1);
    let v;
    try { v = require(`${root}/node_modules/${name}/package.json`).version; } catch (e) {
      const p = require(`${root}/package.json`);
      v = (p.dependencies || {})[name] || (p.devDependencies || {})[name];
    }
    if (!v) process.exit(1);
    if (!/^\d+\.\d+\.\d+$/.test(v)) { console.error(`${name}: "${v}" is not an exact version`); process.exit(2); }
    console.log(v);' "$ROOT" "$1"
}

# json_get FILE EXPR: evaluate a JS expression on the JSON in FILE (bound to j).
json_get() { node -e 'const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); const r = ('"$2"'); if (r !== undefined) console.log(r);' "$1"; }

# --- module helpers --------------------------------------------------------------
# mod_download MOD@VER: prints the JSON of `go mod download -json`; fails with the
# proxy's error on stderr.
mod_download() {
  local out err
  out=$(cd "$BUILD" && go mod download -json "$1" 2>&1) || true
  err=$(printf '%s' "$out" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{const j=JSON.parse(s);if(j.Error)console.log(j.Error)}catch(e){console.log(s)}})')
  if [[ -n "$err" ]]; then
    printf '%s\n' "go mod download $1: $err" >&2
    return 1
  fi
  printf '%s\n' "$out"
}

# pseudo_from_info INFOJSON MAJOR: pseudo-version of the commit in the .info Origin.
pseudo_from_info() {
  node -e '
    const j = JSON.parse(process.argv[1]); const major = process.argv[2];
    if (!j.Origin || !j.Origin.Hash) process.exit(1);
    const t = new Date(j.Time).toISOString().replace(/[-:T]/g, "").slice(0, 14);
    console.log(`${major}.0.0-${t}-${j.Origin.Hash.slice(0, 12)}`);' "$1" "$2"
}

# module_info MOD@VER: Version/Time/Origin JSON of a module version (needs only
# the .info and .mod files, not the zip).
module_info() {
  (cd "$BUILD" && go list -m -json "$1")
}

# nonlocal_replaces GOMOD: "-replace=old=new@ver" flags for the version replaces.
nonlocal_replaces() {
  (cd "$BUILD" && go mod edit -json "$1") | node -e '
    let s=""; process.stdin.on("data",d=>s+=d).on("end",()=>{
      for (const r of JSON.parse(s).Replace || []) {
        if (!r.New.Version) continue;
        const old = r.Old.Version ? `${r.Old.Path}@${r.Old.Version}` : r.Old.Path;
        console.log(`-replace=${old}=${r.New.Path}@${r.New.Version}`);
      }})'
}

cached() { [[ -f "$CACHE/$1/.ok" && -x "$CACHE/$1/$2" ]]; }

finish_cache() { # DIR BINARY SOURCE
  printf '%s\n' "$3" >"$CACHE/$1/.ok"
  if [[ "${MP_ENGINE_KEEP_BUILD:-}" != 1 ]]; then rm -rf "${BUILD:?}/$1"; fi
}

# new_wrapper DIR GO_VERSION IMPORT...: an empty module that imports the mains.
new_wrapper() {
  local dir="$1" gover="$2"; shift 2
  rm -rf "$dir"; mkdir -p "$dir"
  printf 'module messaging-platform.local/engine-build\n\ngo %s\n' "$gover" >"$dir/go.mod"
  { printf '//go:build tools\n\npackage tools\n\nimport (\n'
    local p; for p in "$@"; do printf '\t_ "%s"\n' "$p"; done
    printf ')\n'; } >"$dir/tools.go"
}

# --- pulumi CLI ------------------------------------------------------------------
build_cli() { # VER
  local ver="$1" name="pulumi-$1" dir json gomod gover
  cached "$name" pulumi && { log "pulumi $ver: cached"; return 0; }
  dir="$BUILD/$name"
  json=$(mod_download "github.com/pulumi/pulumi/pkg/v3@v$ver") \
    || die "pulumi CLI $ver: the module proxy does not serve github.com/pulumi/pulumi/pkg/v3@v$ver (pin @pulumi/pulumi to a version it serves, e.g. 3.259.0, or set MP_PULUMI_CLI_VERSION)"
  mkdir -p "$CACHE/$name"
  gomod=$(json_get <(printf '%s' "$json") 'j.GoMod')
  gover=$(json_get <(cd "$BUILD" && go mod edit -json "$gomod") 'j.Go')
  new_wrapper "$dir" "$gover" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  (cd "$dir" \
    && go mod edit "-require=github.com/pulumi/pulumi/pkg/v3@v$ver" "-require=github.com/pulumi/pulumi/sdk/v3@v$ver" \
    && { mapfile -t reps < <(nonlocal_replaces "$gomod"); ((${#reps[@]} == 0)) || go mod edit "${reps[@]}"; } \
    && go mod tidy \
    && "${GOBUILD[@]}" -tags osusergo,grpcnotrace \
         -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$ver" \
         -o "$CACHE/$name/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
  finish_cache "$name" pulumi "github.com/pulumi/pulumi/pkg/v3@v$ver"
}

# --- Node.js language host ----------------------------------------------------------
# Sets LANGHOST_BIN. The host is a module of its own with no tags; its source for a
# CLI release is the pseudo-version of the pkg/v3.X tag commit.
build_langhost() { # CLI_VER
  local ver="$1" lh=github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3
  local info pseudo name dir json gomod gover
  info=$(module_info "github.com/pulumi/pulumi/pkg/v3@v$ver") || die "no .info for pkg/v3@v$ver"
  # The proxy's .info for a tag may carry no Origin (it does not for pkg/v3 3.260.0 and 3.274.1
  # here): then the release commit, and so the host's pseudo-version, is unknown; fall back below.
  pseudo=$(pseudo_from_info "$info" v3) || { pseudo=""; log "pkg/v3@v$ver: .info has no commit origin, so the language host of that release cannot be located"; }
  name="pulumi-language-nodejs-$ver"
  if cached "$name" pulumi-language-nodejs; then
    log "pulumi-language-nodejs $ver: cached"; LANGHOST_BIN="$CACHE/$name/pulumi-language-nodejs"; return 0
  fi
  if [[ -n "$pseudo" ]] && json=$(mod_download "$lh@$pseudo"); then
    dir="$BUILD/$name"; mkdir -p "$CACHE/$name"
    gomod=$(json_get <(printf '%s' "$json") 'j.GoMod')
    gover=$(json_get <(cd "$BUILD" && go mod edit -json "$gomod") 'j.Go')
    new_wrapper "$dir" "$gover" "$lh"
    (cd "$dir" \
      && go mod edit "-require=$lh@$pseudo" "-require=github.com/pulumi/pulumi/pkg/v3@v$ver" "-require=github.com/pulumi/pulumi/sdk/v3@v$ver" \
      && { mapfile -t reps < <(nonlocal_replaces "$gomod"); ((${#reps[@]} == 0)) || go mod edit "${reps[@]}"; } \
      && go mod tidy \
      && "${GOBUILD[@]}" -tags osusergo,grpcnotrace \
           -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$ver" \
           -o "$CACHE/$name/pulumi-language-nodejs" "$lh")
    finish_cache "$name" pulumi-language-nodejs "$lh@$pseudo"
    LANGHOST_BIN="$CACHE/$name/pulumi-language-nodejs"
    return 0
  fi
  [[ "$LANGHOST_FALLBACK_SDK" != none ]] \
    || die "the module proxy does not serve $lh@$pseudo (language host of CLI $ver) and MP_LANGHOST_FALLBACK_SDK=none"
  # Fallback: releases up to mid-2023 carried the host inside the sdk/v3 module.
  local fb="$LANGHOST_FALLBACK_SDK" pkg=github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs
  log "WARNING: the language host of CLI $ver (${pseudo:+$lh@$pseudo}${pseudo:-release commit unknown}) is not served by the module proxy;"
  log "WARNING: using the Node.js language host of sdk/v3@v$fb instead (CLI stays $ver)"
  name="pulumi-language-nodejs-$fb"
  LANGHOST_BIN="$CACHE/$name/pulumi-language-nodejs"
  cached "$name" pulumi-language-nodejs && { log "pulumi-language-nodejs $fb: cached"; return 0; }
  json=$(mod_download "github.com/pulumi/pulumi/sdk/v3@v$fb") || die "sdk/v3@v$fb not served either"
  gomod=$(json_get <(printf '%s' "$json") 'j.GoMod')
  [[ -f "$(json_get <(printf '%s' "$json") 'j.Dir')/nodejs/cmd/pulumi-language-nodejs/main.go" ]] \
    || die "sdk/v3@v$fb does not contain nodejs/cmd/pulumi-language-nodejs"
  gover=$(json_get <(cd "$BUILD" && go mod edit -json "$gomod") 'j.Go')
  dir="$BUILD/$name"; mkdir -p "$CACHE/$name"
  new_wrapper "$dir" "$gover" "$pkg"
  (cd "$dir" \
    && go mod edit "-require=github.com/pulumi/pulumi/sdk/v3@v$fb" \
    && { mapfile -t reps < <(nonlocal_replaces "$gomod"); ((${#reps[@]} == 0)) || go mod edit "${reps[@]}"; } \
    && go mod tidy \
    && "${GOBUILD[@]}" -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$fb" \
         -o "$CACHE/$name/pulumi-language-nodejs" "$pkg")
  finish_cache "$name" pulumi-language-nodejs "$pkg@v$fb (fallback)"
}

# --- resource plugins -------------------------------------------------------------
# plugin_source NAME VER: "MODULE@VERSION [SDKMODULE@VERSION]" known to be served.
plugin_source() {
  local name="$1" ver="$2" var="MP_ENGINE_SRC_${1^^}"
  if [[ -n "${!var:-}" ]]; then echo "${!var}"; return 0; fi
  case "$name@$ver" in
    # main-branch commit of 2026-01-15, the last before the v4.25.0 release; the only
    # pulumi-kubernetes provider/v4 version the module proxy here serves.
    kubernetes@4.25.0) echo "github.com/pulumi/pulumi-kubernetes/provider/v4@v4.0.0-20260115033456-f47bc2d6f199 github.com/pulumi/pulumi-kubernetes/sdk/v4@v4.25.0" ;;
    *)
      # Derive it: the sdk/vX.Y.Z tag commit is one commit after the release tag and
      # leaves provider/ unchanged, so its pseudo-version carries the release code.
      local major="v${ver%%.*}" info pseudo
      info=$(module_info "github.com/pulumi/pulumi-$name/sdk/$major@v$ver" 2>/dev/null) || return 1
      pseudo=$(pseudo_from_info "$info" "$major") || return 1
      echo "github.com/pulumi/pulumi-$name/provider/$major@$pseudo github.com/pulumi/pulumi-$name/sdk/$major@v$ver" ;;
  esac
}

build_plugin() { # NAME VER; a plugin without a buildable source is added to MISSING
  local name="$1" ver="$2" cname="pulumi-resource-$1-$2" bin="pulumi-resource-$1"
  cached "$cname" "$bin" && { log "$bin $ver: cached"; return 0; }
  local src sdk mod json srcdir dir cmd
  if ! read -r src sdk < <(plugin_source "$name" "$ver"); then
    MISSING+=("$name@$ver: no source: github.com/pulumi/pulumi-$name/sdk/v${ver%%.*}@v$ver is not served, so the release commit is unknown (set MP_ENGINE_SRC_${name^^}=module@version)")
    return 0
  fi
  mod="${src%@*}"
  if ! json=$(mod_download "$src" 2>"$BUILD/err.txt"); then
    MISSING+=("$name@$ver: $(tr '\n' ' ' <"$BUILD/err.txt")")
    return 0
  fi
  srcdir=$(json_get <(printf '%s' "$json") 'j.Dir')
  dir="$BUILD/$cname"; rm -rf "$dir"; mkdir -p "$dir"
  # Writable copy laid out like the upstream repository: provider/, sdk/, upstream/.
  cp -r "$srcdir" "$dir/provider"; chmod -R u+w "$dir/provider"
  # Local-directory replaces (../sdk, ../upstream, ./shim) get the module they name.
  local reps old target reqver
  reps=$(cd "$dir/provider" && go mod edit -json | node -e '
    let s=""; process.stdin.on("data",d=>s+=d).on("end",()=>{ const j = JSON.parse(s);
      for (const r of j.Replace || []) if (!r.New.Version) {
        const req = (j.Require || []).find(q => q.Path === r.Old.Path);
        console.log([r.Old.Path, r.New.Path, req ? req.Version : ""].join(" ")); } })')
  while read -r old target reqver; do
    [[ -n "$old" ]] || continue
    local want="$old@$reqver"
    if [[ -n "$sdk" && "${sdk%@*}" == "$old" ]]; then want="$sdk"; fi
    [[ -n "${want#*@}" ]] || { MISSING+=("$name@$ver: cannot resolve replace $old => $target"); return 0; }
    local rj rdir
    if ! rj=$(mod_download "$want" 2>"$BUILD/err.txt"); then
      MISSING+=("$name@$ver: replace $old => $target: $(tr '\n' ' ' <"$BUILD/err.txt")"); return 0
    fi
    rdir=$(json_get <(printf '%s' "$rj") 'j.Dir')
    rm -rf "${dir:?}/provider/$target"; mkdir -p "$(dirname "$dir/provider/$target")"
    cp -r "$rdir" "$dir/provider/$target"; chmod -R u+w "$dir/provider/$target"
  done <<<"$reps"
  cmd="$dir/provider/cmd/$bin"
  # The embedded files are git-ignored upstream, so absent from the module zip:
  # regenerate them from the committed schema.json with upstream's generator.
  if [[ -f "$cmd/generate.go" ]]; then
    (cd "$cmd" && VERSION="$ver" go run -mod=mod -p "$GO_P" generate.go)
  fi
  if [[ ! -f "$cmd/schema-embed.json" && -f "$cmd/schema.json" ]]; then
    node -e 'const fs=require("fs"); const s=JSON.parse(fs.readFileSync(process.argv[1])); s.version=process.argv[3]; fs.writeFileSync(process.argv[2], JSON.stringify(s));' \
      "$cmd/schema.json" "$cmd/schema-embed.json" "$ver"
  fi
  mkdir -p "$CACHE/$cname"
  (cd "$dir/provider" && "${GOBUILD[@]}" -mod=mod \
      -ldflags "-s -w -X $mod/pkg/version.Version=$ver" -o "$CACHE/$cname/$bin" "./cmd/$bin")
  finish_cache "$cname" "$bin" "$src${sdk:+ ($sdk)}"
}

# --- kfake ---------------------------------------------------------------------------
build_kfake() {
  local src="$ROOT/test/kfake" key name
  key=$(cat "$src/go.mod" "$src/go.sum" "$src"/*.go | sha256sum | cut -c1-12)
  name="kfake-$key"
  KFAKE_BIN="$CACHE/$name/kfake"
  cached "$name" kfake && { log "kfake $key: cached"; return 0; }
  mkdir -p "$CACHE/$name"
  (cd "$src" && "${GOBUILD[@]}" -mod=readonly -ldflags "-s -w" -o "$KFAKE_BIN" .)
  printf 'test/kfake %s\n' "$key" >"$CACHE/$name/.ok"
}

# --- main -----------------------------------------------------------------------------
MISSING=()
PULUMI_NPM=$(npm_version @pulumi/pulumi) || die "@pulumi/pulumi has no exact version in node_modules or package.json"
CLI_VER="${MP_PULUMI_CLI_VERSION:-$DEFAULT_CLI_VERSION}"
log "cache: $CACHE"
log "@pulumi/pulumi $PULUMI_NPM (SDK) -> pulumi CLI $CLI_VER"

step "pulumi CLI $CLI_VER" build_cli "$CLI_VER"
LANGHOST_BIN=""
LANGHOST_SOURCE=""
step "pulumi-language-nodejs" build_langhost "$CLI_VER"

# Plugin specs: NAME (the version @pulumi/NAME pins, which is what the SDK asks the engine for) or NAME@VERSION.
declare -A PLUGIN_VER=() PLUGIN_WANTED=()
for spec in $PLUGINS; do
  p="${spec%%@*}"
  wanted=$(npm_version "@pulumi/$p") || die "@pulumi/$p has no exact version in node_modules or package.json"
  if [[ "$spec" == *@* ]]; then v="${spec#*@}"; else v="$wanted"; fi
  missing_before=${#MISSING[@]}
  step "resource plugin $p $v" build_plugin "$p" "$v"
  fb="${FALLBACK_PLUGIN_VERSION[$p]:-}"
  if ((${#MISSING[@]} > missing_before)) && [[ -n "$fb" && "$fb" != "$v" ]]; then
    log "WARNING: $p $v cannot be built here; building $p $fb instead (${FALLBACK_PLUGIN_NOTE[$p]:-})"
    missing_before=${#MISSING[@]}
    step "resource plugin $p $fb (fallback)" build_plugin "$p" "$fb"
    ((${#MISSING[@]} == missing_before)) && v="$fb"
  fi
  if [[ -f "$CACHE/pulumi-resource-$p-$v/.ok" ]]; then
    PLUGIN_VER[$p]="$v"; PLUGIN_WANTED[$p]="$wanted"
    [[ "$v" == "$wanted" ]] || log "WARNING: plugin $p is installed as $v while @pulumi/$p $wanted makes the SDK ask the engine for $wanted: a program uses it only by path (Pulumi.yaml plugins.providers, see .pulumi-home/engine.json)"
  fi
done
KFAKE_BIN=""
step "kfake" build_kfake

install_all() {
  mkdir -p "$PHOME/bin" "$PHOME/plugins"
  # Hard links (or copies), not symlinks: the CLI finds its bundled language host
  # next to its own resolved path.
  local f
  for f in "$CACHE/pulumi-$CLI_VER/pulumi" "$LANGHOST_BIN" "$KFAKE_BIN"; do
    local dst="$PHOME/bin/$(basename "$f")"
    cmp -s "$f" "$dst" 2>/dev/null || { rm -f "$dst"; ln "$f" "$dst" 2>/dev/null || cp "$f" "$dst"; }
  done
  local p v bin pdir
  for p in "${!PLUGIN_VER[@]}"; do
    v="${PLUGIN_VER[$p]}"; bin="$CACHE/pulumi-resource-$p-$v/pulumi-resource-$p"
    [[ -f "$CACHE/pulumi-resource-$p-$v/.ok" ]] || continue
    pdir="$PHOME/plugins/resource-$p-v$v"
    if [[ -x "$pdir/pulumi-resource-$p" && ! -e "$pdir.partial" ]] && cmp -s "$bin" "$pdir/pulumi-resource-$p"; then
      continue
    fi
    PULUMI_HOME="$PHOME" PULUMI_SKIP_UPDATE_CHECK=true "$PHOME/bin/pulumi" plugin install \
      resource "$p" "$v" --file "$bin" --reinstall --non-interactive
  done
}
step "install into .pulumi-home" install_all

cat >"$PHOME/env.sh" <<EOF
# Generated by scripts/engine/build.sh: source it to use the project-local engine.
export PULUMI_HOME="$PHOME"
case ":\$PATH:" in *":$PHOME/bin:"*) ;; *) export PATH="$PHOME/bin:\$PATH" ;; esac
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_IGNORE_AMBIENT_PLUGINS=true
export PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=true
export MP_KFAKE_BIN="$PHOME/bin/kfake"
EOF

# What was built, from which source, and what it stands in for: read by the engine tests (test/engine) and printed
# below, so nothing claims to be a version it is not.
write_manifest() {
  local plugins="" p
  for p in "${!PLUGIN_VER[@]}"; do
    plugins+="${p}|${PLUGIN_VER[$p]}|${PLUGIN_WANTED[$p]}|$(cat "$CACHE/pulumi-resource-$p-${PLUGIN_VER[$p]}/.ok")|$PHOME/plugins/resource-$p-v${PLUGIN_VER[$p]}"$'\n'
  done
  MANIFEST_PLUGINS="$plugins" MANIFEST_MISSING="$(printf '%s\n' "${MISSING[@]}")" node -e '
    const [file, cliVer, cliSrc, lhPath, lhSrc, sdk] = process.argv.slice(1);
    const plugins = (process.env.MANIFEST_PLUGINS || "").split("\n").filter(Boolean).map((l) => {
      const [name, version, sdkRequests, source, dir] = l.split("|");
      return { name, version, sdkRequests, source, dir, substitute: version !== sdkRequests };
    });
    const missing = (process.env.MANIFEST_MISSING || "").split("\n").filter(Boolean);
    const m = { cli: { version: cliVer, source: cliSrc }, sdk, languageHost: { path: lhPath, source: lhSrc }, plugins, missing };
    require("fs").writeFileSync(file, JSON.stringify(m, null, 2) + "\n");' \
    "$PHOME/engine.json" "$CLI_VER" "$(cat "$CACHE/pulumi-$CLI_VER/.ok")" "$LANGHOST_BIN" "$(cat "$(dirname "$LANGHOST_BIN")/.ok")" "$PULUMI_NPM"
}
write_manifest

log "installed: $(ls "$PHOME/bin" | tr '\n' ' ')"
log "manifest:  $PHOME/engine.json"
log "  CLI $CLI_VER from $(cat "$CACHE/pulumi-$CLI_VER/.ok"); language host from $(cat "$(dirname "$LANGHOST_BIN")/.ok")"
for p in "${!PLUGIN_VER[@]}"; do
  log "  plugin $p ${PLUGIN_VER[$p]} (SDK asks for ${PLUGIN_WANTED[$p]}) from $(cat "$CACHE/pulumi-resource-$p-${PLUGIN_VER[$p]}/.ok")"
done
log "plugins:   $(ls "$PHOME/plugins" | grep -v -e '\.lock$' -e '\.partial$' | tr '\n' ' ')"
log "env file:  $PHOME/env.sh"
log "total $(elapsed "$T_ALL"); cache size: $(du -sh "$CACHE" | cut -f1)"
rm -f "$BUILD/err.txt"
if ((${#MISSING[@]})); then
  for m in "${MISSING[@]}"; do log "MISSING plugin $m"; done
  exit 3
fi
