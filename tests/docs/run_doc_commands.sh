#!/usr/bin/env bash
# Runs the commands of the documentation, so that it cannot go stale (docs/README.md of this
# folder is this comment):
#
#   tests/docs/run_doc_commands.sh OTAKIT_BINARY [FILE.md ...]   (default: README.md docs/*.md)
#
# Every fenced code block in the files must carry a known tag; an untagged or unknown one fails.
#
#   sh        runnable commands. The blocks of one file run in order in one bash (set -euo
#             pipefail), in a scratch folder of their own, with `otakit` on PATH (the binary
#             given), so a variable or a background process of one block is there in the next.
#             The test sets OTA_PORT, WEB_PORT and SERVER_PORT to free loopback ports; the docs
#             read them as ${OTA_PORT:-8266} and so on. Whatever a file left running is stopped
#             when its last block ends.
#   sh-norun  commands that cannot run here (PlatformIO, the IDE, apt, the long scripts, a
#             production database). Each is checked as far as it can be: `otakit ...` takes the
#             subcommand and every flag named (from the subcommand's --help), a path into this
#             repository exists (a script, a benchmark or fuzz target of CMake), any other
#             program is one of the known ones listed below.
#   ini       text; a block with `upload_command` is PlatformIO's: its command runs against a
#             virtual device ($UPLOAD_PORT and $SOURCE replaced, the password from --auth=).
#   properties  text; a block with `network_pattern` is the Arduino IDE's platform.local.txt:
#             the pattern runs against a virtual device ({serial.port} and so on replaced).
#   text cpp json nginx   shown only.
#
# A failure names the file and line of the block (and of the command, when bash knows it) and
# prints the end of the output.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 OTAKIT_BINARY [FILE.md ...]" >&2; exit 2; }
otakit=$(realpath "$1")
shift
[ -x "$otakit" ] || { echo "not an executable: $otakit" >&2; exit 2; }
repo=$(cd "$(dirname "$0")/../.." && pwd)
if [ $# -eq 0 ]; then
  set -- "$repo/README.md" "$repo"/docs/*.md
fi
started=$(date +%s)
scratch=$(mktemp -d)
# OTAKIT_DOC_KEEP=1 keeps the scratch folder (each file's output is run/<file>.log there).
if [ -n "${OTAKIT_DOC_KEEP:-}" ]; then
  trap 'echo "doc test: scratch folder kept: $scratch" >&2' EXIT
else
  trap 'rm -rf "$scratch"' EXIT
fi
mkdir -p "$scratch/bin"
ln -s "$otakit" "$scratch/bin/otakit"
export PATH="$scratch/bin:$PATH"
export XDG_DATA_HOME="$scratch/xdg"  # an `otakit server` without --data keeps its files here
unset OTAKIT_SERVER OTAKIT_TOKEN OTAKIT_DATA
python=python3
[ -x /usr/bin/python3 ] && python=/usr/bin/python3

fail() { echo "doc test: FAIL: $*" >&2; exit 1; }
rel() { realpath --relative-to="$repo" "$1"; }

# A port free for both TCP and UDP on 127.0.0.1 (the device serves espota on UDP, pages on TCP).
free_port() {
  "$python" - <<'EOF'
import socket
while True:
    t = socket.socket(); t.bind(("127.0.0.1", 0)); port = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", port)); break
    except OSError:
        pass
    finally:
        u.close(); t.close()
print(port)
EOF
}

# Programs a sh-norun block may name besides otakit and this repository's paths, with why
# they are not run here. Those in `here` must at least be installed (scripts/install-deps.sh).
declare -A external=(
  [pio]="PlatformIO is not installed on the build machine"
  [apt-get]="installs packages"
  [systemctl]="manages system services"
  [sqlite3]="backs up a production database"
  [pg_dump]="dumps a production PostgreSQL database"
  [pg_restore]="restores into a production PostgreSQL database"
  [psql]="talks to a production PostgreSQL database"
  [createdb]="creates a production PostgreSQL database"
  [createuser]="creates a production PostgreSQL role"
  [nginx]="runs the production load balancer"
  [curl]="talks to a production server"
  [openssl]="makes production certificates"
  [ctest]="runs the test suite"
  [cmake]="configures a build"
  [ninja]="builds"
  [cp]="copies production files"
  [mkdir]="makes production folders"
  [tar]="archives production files"
  [install]="installs a file"
  [cd]="changes the folder"
  [export]="sets variables"
  [time]="times a command"
  [sudo]="runs as root"
  [python3]="runs a script"
  [md5sum]="part of a command substitution in a shown command"
  [cut]="part of a command substitution in a shown command"
  [echo]="prints"
)
here=" sqlite3 pg_dump pg_restore psql createdb nginx curl openssl ctest cmake ninja cp mkdir tar install python3 "

# The option names of `otakit WORDS... --help`: lines of its Options section start with a flag.
options_of() {
  "$otakit" "$@" --help 2>/dev/null | sed -nE 's/^ {1,4}(-[^ ]+).*/\1/p' | tr ',' '\n' | sed -E 's/\{.*//; s/=.*//'
}
subcommands_of() {
  "$otakit" "$@" --help 2>/dev/null | sed -n '/^Subcommands:/,/^$/p' | sed -nE 's/^  ([a-z-]+) .*/\1/p'
}

# check_otakit WHERE WORD...: the subcommands exist and every flag is one of theirs.
check_otakit() {
  local where=$1
  shift
  shift  # "otakit"
  local path=() flags="" w
  flags=$(options_of)
  local words=("$@") i=0
  while [ $i -lt ${#words[@]} ]; do
    w=${words[$i]}
    i=$((i + 1))
    case $w in -*) continue ;; esac
    if subcommands_of "${path[@]}" | grep -qx -- "$w"; then
      path+=("$w")
      flags+=$'\n'$(options_of "${path[@]}")
    elif [ ${#path[@]} -eq 0 ]; then
      fail "$where: otakit has no subcommand '$w'"
    fi
  done
  [ ${#path[@]} -gt 0 ] || fail "$where: no otakit subcommand in: otakit $*"
  "$otakit" "${path[@]}" --help >/dev/null 2>&1 || fail "$where: otakit ${path[*]} --help failed"
  for w in "$@"; do
    case $w in
      --*) w=${w%%=*} ;;
      -?) ;;
      -*) continue ;;  # a value such as -1
      *) continue ;;
    esac
    grep -qx -- "$w" <<<"$flags" || fail "$where: otakit ${path[*]} has no flag $w (otakit ${path[*]} --help)"
  done
}

# check_norun_command WHERE COMMAND: a command of a sh-norun block.
check_norun_command() {
  local where=$1 cmd=$2 part
  # Simple commands of a list or pipeline; `$(...)` and quotes are not expected in these blocks.
  while IFS= read -r part; do
    part=$(sed -E 's/^[[:space:]]+//; s/[[:space:]]+$//' <<<"$part")
    [ -n "$part" ] || continue
    local -a words
    read -r -a words <<<"$part"
    while [ ${#words[@]} -gt 0 ] && [[ ${words[0]} =~ ^[A-Za-z_][A-Za-z0-9_]*= ]]; do words=("${words[@]:1}"); done
    [ ${#words[@]} -gt 0 ] || continue
    for lead in sudo time; do
      [ "${words[0]}" = $lead ] && [ ${#words[@]} -gt 1 ] && words=("${words[@]:1}")
    done
    local prog=${words[0]}
    case $prog in
      otakit) check_otakit "$where" "${words[@]}" ;;
      ./* | scripts/* | bench/* | build/* | build-fuzz/* | tests/*)
        local p=${prog#./}
        case $p in
          build/bench/* | build-fuzz/tests/fuzz/*)
            target=${p##*/}
            grep -rqE "(add_executable|otakit_add_fuzzer)\($target[ )]" "$repo/bench" "$repo/tests/fuzz" \
              --include=CMakeLists.txt --include='*.cmake' || fail "$where: no CMake target $target in bench/ or tests/fuzz/" ;;
          build/cli/otakit) check_otakit "$where" otakit "${words[@]:1}" ;;
          *) [ -x "$repo/$p" ] || fail "$where: $p is not an executable file of the repository" ;;
        esac ;;
      *)
        [ -n "${external[$prog]:-}" ] || fail "$where: '$prog' is not a known program (add it to tests/docs/run_doc_commands.sh with why it is not run)"
        if [[ $here == *" $prog "* ]]; then command -v "$prog" >/dev/null || fail "$where: $prog is not installed (scripts/install-deps.sh)"; fi
        ;;
    esac
  done < <(sed -E 's/(&&|\|\||;|\|)/\n/g' <<<"$cmd")
}

# A virtual device for the ini/properties checks: start_device NAME PORT PASSWORD.
start_device() {
  local flash=$scratch/check/$1.flash
  "$otakit" device --flash "$flash" --ota-port "$2" --password "$3" >"$scratch/check/$1.log" 2>&1 &
  check_pids+=($!)
  for _ in $(seq 50); do grep -q "espota responder on 127.0.0.1:$2" "$scratch/check/$1.log" && return 0; sleep 0.1; done
  fail "the check device did not start: $(cat "$scratch/check/$1.log")"
}
running_version() { "$otakit" device status --flash "$scratch/check/$1.flash" --json | "$python" -c 'import json,sys; print(json.load(sys.stdin)["image"]["version"])'; }
stop_checks() { for p in "${check_pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; check_pids=(); }
check_pids=()
checked_uploads=0

# check_upload WHERE NAME COMMAND-WITH-@PORT@-@IMAGE@-@PASSWORD@: runs an IDE's upload command.
check_upload() {
  local where=$1 name=$2 template=$3
  mkdir -p "$scratch/check"
  local password
  password=$(sed -nE 's/.*--auth=("?)([^" ]*)\1.*/\2/p' <<<"$template")
  [ -n "$password" ] || password=$(sed -nE 's/.*(-a|--auth) +("?)([^" ]*)\2.*/\3/p' <<<"$template")
  local port
  port=$(free_port)
  start_device "$name" "$port" "${password:-unused}"
  "$otakit" mkimage --size 200000 --version 9.9.9 --seed 9 --out "$scratch/check/$name.bin" >/dev/null 2>&1
  local cmd=${template//@PORT@/$port}
  cmd=${cmd//@IMAGE@/$scratch/check/$name.bin}
  (cd "$scratch/check" && eval "$cmd") >"$scratch/check/$name.upload.log" 2>&1 ||
    fail "$where: the upload command failed: $cmd
$(tail -20 "$scratch/check/$name.upload.log")"
  for _ in $(seq 50); do [ "$(running_version "$name")" = 9.9.9 ] && break; sleep 0.1; done
  [ "$(running_version "$name")" = 9.9.9 ] || fail "$where: after the upload the device runs $(running_version "$name")"
  stop_checks
  checked_uploads=$((checked_uploads + 1))
}

# --- read the files: fences, tags, and the script each file's sh blocks become
sh_blocks=0
norun_commands=0
runs=()
for file in "$@"; do
  name=$(rel "$file")
  slug=$(tr '/.' '__' <<<"$name")
  driver=$scratch/$slug.driver.sh
  blocks=0
  {
    echo 'set -Eeuo pipefail'
    echo '__block=""; __start=0'
    echo 'trap '\''echo "doc test: FAIL in '"$name"' line $((__start + LINENO)) (the sh block at line $__start): $BASH_COMMAND" >&2'\'' ERR'
    echo 'trap '\''__rc=$?; for __p in $(jobs -p); do kill "$__p" 2>/dev/null || true; done; wait 2>/dev/null || true; exit $__rc'\'' EXIT'
  } >"$driver"
  in_fence=0
  lineno=0
  while IFS= read -r line || [ -n "$line" ]; do
    lineno=$((lineno + 1))
    if [ $in_fence -eq 0 ]; then
      if [[ $line =~ ^([[:space:]]*)(\`\`\`+)(.*)$ ]]; then
        indent=${#BASH_REMATCH[1]}
        fence=${BASH_REMATCH[2]}
        tag=$(sed -E 's/^[[:space:]]+//; s/[[:space:]]+$//' <<<"${BASH_REMATCH[3]}")
        case $tag in
          sh | sh-norun | text | ini | properties | cpp | json | nginx) ;;
          "") fail "$name:$lineno: a code fence without a tag (sh, sh-norun, text, ini, properties, cpp, json, nginx)" ;;
          *) fail "$name:$lineno: unknown code fence tag '$tag' (sh, sh-norun, text, ini, properties, cpp, json, nginx)" ;;
        esac
        in_fence=1
        start=$lineno
        body=()
      fi
      continue
    fi
    if [[ $line =~ ^[[:space:]]*\`\`\`+[[:space:]]*$ ]] && [[ $line == *"$fence"* ]]; then
      in_fence=0
      case $tag in
        sh)
          blocks=$((blocks + 1))
          block_file=$scratch/$slug.$blocks.sh
          printf '%s\n' "${body[@]}" >"$block_file"
          printf '__start=%d; echo "doc test: %s:%d" >&2; source %q\n' "$start" "$name" "$start" "$block_file" >>"$driver"
          ;;
        sh-norun)
          cmd=""
          cmd_line=0
          for ((k = 0; k < ${#body[@]}; k++)); do
            l=${body[$k]}
            [ -z "$cmd" ] && cmd_line=$((start + k + 1))
            l=$(sed -E 's/[[:space:]]+#[[:space:]].*$//; s/^[[:space:]]*#.*$//' <<<"$l")
            if [[ $l == *\\ ]]; then cmd+="${l%\\} "; continue; fi
            cmd+=$l
            if [ -n "$(tr -d '[:space:]' <<<"$cmd")" ]; then
              check_norun_command "$name:$cmd_line" "$cmd"
              norun_commands=$((norun_commands + 1))
            fi
            cmd=""
          done
          ;;
        ini)
          upload=$(printf '%s\n' "${body[@]}" | sed -nE 's/^upload_command[[:space:]]*=[[:space:]]*(.*)$/\1/p')
          if [ -n "$upload" ]; then
            [[ $upload == otakit\ * ]] || fail "$name:$start: upload_command does not start with otakit"
            t=${upload//\$UPLOAD_PORT/127.0.0.1:@PORT@}
            t=${t//\$SOURCE/@IMAGE@}
            check_upload "$name:$start" "pio$start" "$t"
          fi
          ;;
        properties)
          pattern=$(printf '%s\n' "${body[@]}" | sed -nE 's/^tools\.[a-z0-9_]+\.upload\.network_pattern=(.*)$/\1/p')
          if [ -n "$pattern" ]; then
            # The first word is the path of otakit on the user's machine: the binary under test here.
            t=$(sed -E 's/^"[^"]*otakit"|^[^ ]*otakit/otakit/' <<<"$pattern")
            [[ $t == otakit\ * ]] || fail "$name:$start: the network_pattern does not run otakit"
            t=${t//\{serial.port\}/127.0.0.1}
            t=${t//\{network.port\}/@PORT@}
            t=${t//\{network.password\}/secret}
            t=${t//\{build.path\}\/\{build.project_name\}.bin/@IMAGE@}
            [[ $t != *\{* ]] || fail "$name:$start: the network_pattern uses a property this test does not know: $t"
            check_upload "$name:$start" "ide$start" "$t"
          fi
          ;;
      esac
      continue
    fi
    # Content lines lose the fence's indentation (a fence inside a list item).
    if [ "$indent" -gt 0 ]; then
      pre=${line:0:$indent}
      [ -n "${pre//[[:space:]]/}" ] || line=${line:$indent}
    fi
    body+=("$line")
  done <"$file"
  [ $in_fence -eq 0 ] || fail "$name:$start: the code fence is never closed"
  if [ $blocks -gt 0 ]; then
    runs+=("$name|$driver|$blocks")
    sh_blocks=$((sh_blocks + blocks))
  fi
done

# --- run each file's sh blocks
export OTA_PORT WEB_PORT SERVER_PORT
for run in "${runs[@]}"; do
  IFS='|' read -r name driver blocks <<<"$run"
  work=$scratch/run/$(tr '/.' '__' <<<"$name")
  mkdir -p "$work"
  OTA_PORT=$(free_port)
  WEB_PORT=$(free_port)
  SERVER_PORT=$(free_port)
  t0=$(date +%s)
  if ! (cd "$work" && timeout -k 5 110 bash "$driver") >"$work.log" 2>&1; then
    echo "---- the end of the output of $name's commands:" >&2
    grep -v "^doc test: FAIL" "$work.log" | tail -n 40 >&2
    grep -h -m1 "^doc test: FAIL" "$work.log" >&2 ||
      echo "doc test: FAIL in $(grep -E '^doc test: [^ ]+:[0-9]+$' "$work.log" | tail -1 | sed 's/^doc test: //'), the last sh block that started (an unset variable, a timeout after 110 s, or a kill)" >&2
    exit 1
  fi
  echo "doc test: $name: $blocks sh block(s) ran in $(($(date +%s) - t0)) s"
done
echo "doc test: OK: $sh_blocks sh blocks run, $norun_commands sh-norun commands checked, $checked_uploads IDE upload commands run, in $(($(date +%s) - started)) s"
