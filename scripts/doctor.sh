#!/usr/bin/env bash
# Usage: doctor.sh [--online] [-h|--help]
#
# Checks the installation and the configuration of zoom-mcp, one line per
# check (✅ passed, ❌ failed, ⚠️ worth a look, ℹ️ for information), and prints
# under each failure the command that fixes it:
#   - Python 3.10 or newer and the project's .venv with its dependencies
#   - curl and jq (flock is optional: the scripts have a portable lock)
#   - the .env file: present, mode 0600, the three credentials set
#   - the access token's status (scripts/check_zoom_token.sh)
#   - the token endpoint reachable and the credentials accepted: one token
#     request, made only when the token is missing or expired, or with
#     --online; the new token is thrown away and .env is never changed
#   - the refresh history (zoom-token.log beside .env): a warning when token
#     fetches failed in the last 24 hours, with how many and the last reason
#   - Claude Desktop's config: found, valid JSON, with this server's entry
#     pointing at this checkout's run.sh
#   - whether Claude Desktop is running (for information only)
#
# Options:
#   --online     also check the token endpoint when the token is still valid
#   -h, --help   show this help and exit
#
# Environment: ZOOM_ENV_FILE, ZOOM_OAUTH_URL, ZOOM_HTTP_TIMEOUT,
# CLAUDE_CONFIG_FILE and CLAUDE_MCP_SERVER_NAME as for the other scripts.
#
# Exit status: 0 every check passed, 1 at least one failed, 2 usage error.
# Never prints the client secret or a token.

set -euo pipefail
umask 077

zoom_self=${BASH_SOURCE[0]}
while [ -L "$zoom_self" ]; do # follow symlinks to find lib/ beside the real script
  zoom_link=$(readlink "$zoom_self")
  case $zoom_link in /*) zoom_self=$zoom_link ;; *) zoom_self=$(dirname "$zoom_self")/$zoom_link ;; esac
done
case $zoom_self in */*) ;; *) zoom_self=./$zoom_self ;; esac
# shellcheck source=lib/common.sh source-path=SCRIPTDIR
. "${zoom_self%/*}/lib/common.sh"

online=0
zoom_opts '' '' "$@"
set -- ${_zargs[@]+"${_zargs[@]}"}
while [ "$#" -gt 0 ]; do
  case $1 in
    --online) online=1 ;;
    -h | --help) zoom_usage; exit 0 ;;
    *) zoom_usage_error "unknown option: $1" ;;
  esac
  shift
done

unset CDPATH # a set CDPATH makes cd print, which would corrupt $(cd ... && pwd)
# The project root without ".." segments, for messages and comparisons.
root=$(cd "$ZOOM_ROOT" && pwd -P)
failures=0
zoom_on_exit

# --- output -------------------------------------------------------------------

ok()   { printf '✅ %s\n' "$*"; }
bad()  { printf '❌ %s\n' "$*"; failures=$((failures + 1)); }
warn() { printf '⚠️  %s\n' "$*"; }
info() { printf 'ℹ️  %s\n' "$*"; }
# fix CMD...: one indented line per fix command, under a ❌ or ⚠️ line.
fix()  { local c; for c in "$@"; do printf '    fix: %s\n' "$c"; done; }

quote() { printf '%q' "$1"; }

# A command that must run at the project root: prefixed with a cd when the
# doctor runs from elsewhere, so that it can be pasted as it is.
in_root() {
  if [ "$(pwd -P 2>/dev/null || true)" = "$root" ]; then
    printf '%s' "$*"
  else
    printf 'cd %s && %s' "$(quote "$root")" "$*"
  fi
}

# On Windows (Git Bash) the fixes are winget's and Chocolatey's; a tool
# without a Windows package (flock) gets none.
install_fixes() { # install_fixes APT_PACKAGES BREW_PACKAGES [WINGET_ID CHOCO_PACKAGE]
  zoom_os
  if [ "$_zos" = windows ]; then
    [ "$#" -lt 4 ] || fix "winget install --id $3 -e   # Windows (winget)" "choco install $4 -y   # Windows (Chocolatey)"
  else
    fix "sudo apt-get install -y $1   # Debian/Ubuntu" "brew install $2   # macOS (Homebrew)"
  fi
}

# Octal permission bits of a file: GNU stat, then BSD stat.
file_mode() {
  stat -c '%a' "$1" 2>/dev/null || stat -f '%Lp' "$1" 2>/dev/null
}

# Physical absolute path of a file whose folder exists; empty otherwise.
abs_path() {
  local d
  d=$(cd "$(dirname "$1")" 2>/dev/null && pwd -P) || return 0
  printf '%s/%s' "$d" "$(basename "$1")"
}

# --- checks -------------------------------------------------------------------

check_python() {
  # The venv's Python in either layout, as run.sh finds it (Python for Windows
  # makes Scripts/python.exe).
  local py="$root/.venv/bin/python" sys_py ver missing sum out f
  local vers='import sys; print("%d.%d.%d" % sys.version_info[:3]); sys.exit(sys.version_info < (3, 10))'
  [ -x "$py" ] || [ ! -x "$root/.venv/Scripts/python.exe" ] || py=$root/.venv/Scripts/python.exe
  if [ ! -x "$py" ]; then
    sys_py=$(command -v python3 2>/dev/null || command -v python 2>/dev/null || true)
    if [ -z "$sys_py" ]; then
      bad "Python 3 not found (3.10 or newer is needed)"
      install_fixes "python3 python3-venv" python@3.12 Python.Python.3.12 python
      return
    fi
    if ! ver=$("$sys_py" -c "$vers" 2>/dev/null); then
      bad "Python ${ver:-?} found ($sys_py); 3.10 or newer is needed"
      install_fixes "python3 python3-venv" python@3.12 Python.Python.3.12 python
      return
    fi
    bad "Python $ver found, but the project's .venv is missing ($root/.venv)"
    fix "$(in_root make setup)"
    return
  fi
  # One start of the .venv's Python: the packages it lacks, then its version.
  if ! out=$("$py" -c 'import sys, importlib.util as u
print(" ".join(n for n in ("mcp", "dotenv", "requests", "jq") if u.find_spec(n) is None))
print("%d.%d.%d" % sys.version_info[:3])
sys.exit(sys.version_info < (3, 10))' 2>/dev/null); then
    case $out in *$'\n'*) ver=${out#*$'\n'} ;; *) ver='' ;; esac
    bad "the .venv's Python is ${ver:-broken}; 3.10 or newer is needed"
    fix "$(in_root 'rm -rf .venv && make setup')"
    return
  fi
  missing=${out%%$'\n'*}
  ver=${out#*$'\n'}
  if [ -n "$missing" ]; then
    bad "Python $ver in .venv, but packages are missing: $missing"
    fix "$(in_root make setup)"
    return
  fi
  # make setup leaves a stamp named after the checksum of the lock files.
  # (Each must be there: under -e and pipefail a failing cat would end the
  # doctor without a word.)
  for f in requirements.txt requirements-dev.txt; do
    if [ ! -f "$root/$f" ] || [ ! -r "$root/$f" ]; then
      bad "Python $ver in .venv, but the lock file $f is missing or unreadable"
      fix "$(in_root "git checkout -- $f && make setup")"
      return
    fi
  done
  sum=$(cd "$root" && cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1) || sum=''
  if [ -z "$sum" ] || [ ! -e "$root/.venv/.stamp-$sum" ]; then
    bad "Python $ver in .venv, but the .venv is older than the lock files"
    fix "$(in_root make setup)"
    return
  fi
  ok "Python $ver and the project's .venv"
}

check_tools() {
  local t
  for t in curl jq; do
    if command -v "$t" >/dev/null 2>&1; then
      ok "$t: $(command -v "$t")"
    else
      bad "$t is not installed"
      case $t in
        jq) install_fixes jq jq jqlang.jq jq ;;
        *) install_fixes "$t" "$t" cURL.cURL curl ;;
      esac
    fi
  done
  if command -v flock >/dev/null 2>&1; then
    ok "flock: $(command -v flock)"
  else
    warn "flock is not installed (optional: the scripts use a portable lock instead)"
    install_fixes util-linux flock
  fi
}

# .env: present, a readable file, mode 0600; then the settings are loaded
# (environment first, then .env) and the three credentials checked.
check_env_file() {
  local mode missing='' k f
  f=$(quote "$ZOOM_ENV_FILE")
  if [ ! -e "$ZOOM_ENV_FILE" ]; then
    bad ".env not found: $ZOOM_ENV_FILE"
    fix "cp $(quote "$root/.env.example") $f && chmod 600 $f   # then fill in the three credentials"
  elif [ ! -f "$ZOOM_ENV_FILE" ] || [ ! -r "$ZOOM_ENV_FILE" ]; then
    bad ".env is not a readable file: $ZOOM_ENV_FILE"
    fix "chmod 600 $f"
  else
    mode=$(file_mode "$ZOOM_ENV_FILE" || true)
    case $mode in
      600 | 400) ok ".env found, mode 0$mode: $ZOOM_ENV_FILE" ;;
      *)
        bad ".env has mode 0${mode:-???}, not 0600 (other users may read the secret): $ZOOM_ENV_FILE"
        fix "chmod 600 $f"
        ;;
    esac
    zoom_load_env
  fi
  for k in ZOOM_ACCOUNT_ID ZOOM_CLIENT_ID ZOOM_CLIENT_SECRET; do
    [ -n "${!k:-}" ] || missing="$missing${missing:+, }$k"
  done
  if [ -z "$missing" ]; then
    ok "credentials set: ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET"
  else
    bad "credentials missing: $missing"
    fix "${EDITOR:-vi} $f   # set $missing (Zoom App Marketplace → your Server-to-Server OAuth app → App Credentials)"
  fi
}

# Sets token_state: fresh | expiring | critical | expired | missing | unknown.
# ❌ only when the token needs a refresh the way the kit means it (missing,
# expired, or within ZOOM_TOKEN_THRESHOLD: check_zoom_token.sh exits 1); a
# token in its last 5 minutes but beyond the threshold is a ⚠️ — otherwise
# the doctor would fail for a few minutes every hour.
token_state=unknown
check_token() {
  local json left='' fixcmd rc=0 thr
  fixcmd=$(in_root ./scripts/get_zoom_token.sh -f)
  json=$("$ZOOM_SCRIPTS_DIR/check_zoom_token.sh" --json 2>/dev/null) || rc=$?
  case $rc in 0 | 1) ;; *) json='' ;; esac
  # The --json line has a fixed shape: read it without forking jq.
  token_state=''
  if [[ $json =~ \"state\":\"([a-z]+)\" ]]; then token_state=${BASH_REMATCH[1]}; fi
  if [[ $json =~ \"seconds_left\":(-?[0-9]+) ]]; then left=${BASH_REMATCH[1]}; fi
  case ${left#-} in '' | *[!0-9]*) left=0 ;; esac
  zoom_duration "$left"
  thr=${ZOOM_TOKEN_THRESHOLD:-60}
  case $token_state in
    fresh | expiring | critical)
      if [ "$rc" != 0 ]; then
        bad "token expires in $_zdur (within ZOOM_TOKEN_THRESHOLD, ${thr}s: it needs a refresh)"
        fix "$fixcmd"
      elif [ "$token_state" = critical ]; then
        warn "token expires in $_zdur (under 5 minutes; it is refreshed within ZOOM_TOKEN_THRESHOLD, ${thr}s)"
        fix "$fixcmd   # to refresh it now"
      else
        ok "token valid for $_zdur ($token_state)"
      fi
      ;;
    expired)
      bad "token expired $_zdur ago"
      fix "$fixcmd"
      ;;
    missing)
      bad "no access token in .env"
      fix "$fixcmd"
      ;;
    *)
      token_state=unknown
      bad "could not read the token's status (scripts/check_zoom_token.sh --json failed)"
      fix "$(in_root ./scripts/check_zoom_token.sh -v)"
      ;;
  esac
}

# A value as a double-quoted string of curl's config syntax.
curl_quote() { # -> _zcq
  local v=$1 bs=$'\\' dq='"'
  v=${v//"$bs"/"$bs$bs"}
  v=${v//"$dq"/"$bs$dq"}
  v=${v//$'\n'/"${bs}n"}
  v=${v//$'\r'/"${bs}r"}
  v=${v//$'\t'/"${bs}t"}
  _zcq=$v
}

# One token request, the same way get_zoom_token.sh makes it: credentials in
# a curl config on stdin (never on argv), no ~/.curlrc (-q), the answer kept
# in memory only, as it holds a whole token (piped to jq: a here-string could
# be a temp file). The new token is neither printed nor saved.
check_endpoint() {
  local url timeout cfg='' reply body code rc=0 msg='' err_code err_reason answer
  local retry
  retry=$(in_root make doctor ARGS=--online)
  if [ "$online" = 0 ] && [ "$token_state" != missing ] && [ "$token_state" != expired ]; then
    info "token endpoint not contacted (the token is still valid; --online checks it)"
    return
  fi
  if [ -z "${ZOOM_ACCOUNT_ID:-}" ] || [ -z "${ZOOM_CLIENT_ID:-}" ] || [ -z "${ZOOM_CLIENT_SECRET:-}" ]; then
    info "token endpoint not checked: the credentials are incomplete (see above)"
    return
  fi
  if ! command -v curl >/dev/null 2>&1 || ! command -v jq >/dev/null 2>&1; then
    info "token endpoint not checked: curl and jq are needed (see above)"
    return
  fi
  url=${ZOOM_OAUTH_URL:-https://zoom.us/oauth/token}
  timeout=${ZOOM_HTTP_TIMEOUT:-15}
  case $timeout in *[!0-9.]* | '' | *.*.* | .* | *.) timeout=15 ;; esac
  case ${timeout//[0.]/} in '') timeout=15 ;; esac

  curl_quote "$url"
  cfg="${cfg}url = \"$_zcq\""$'\n'
  curl_quote "$ZOOM_CLIENT_ID:$ZOOM_CLIENT_SECRET"
  cfg="${cfg}user = \"$_zcq\""$'\n'
  cfg="${cfg}data = \"grant_type=account_credentials\""$'\n'
  curl_quote "account_id=$ZOOM_ACCOUNT_ID"
  cfg="${cfg}data-urlencode = \"$_zcq\""$'\n'
  # The body, then the HTTP status on the last line (curl's exit code says
  # what failed; its message is not needed).
  reply=$(printf '%s' "$cfg" | curl -q -sS -K - \
    --max-time "$timeout" --proto '=http,https' -H 'Accept: application/json' \
    -w '\n%{http_code}' 2>/dev/null) || rc=$?
  cfg=''
  code=${reply##*$'\n'}
  body=${reply%$'\n'*}
  [ "$code" != "$reply" ] || body=''
  reply=''

  if [ "$rc" != 0 ]; then
    case $rc in
      6) msg="host not found" ;;
      7) msg="connection refused" ;;
      28) msg="no answer within ${timeout}s (ZOOM_HTTP_TIMEOUT)" ;;
      35 | 51 | 58 | 59 | 60 | 77 | 83 | 90 | 91) msg="TLS failure, curl exit code $rc" ;;
      52 | 55 | 56) msg="connection closed without an answer" ;;
      *) msg="curl exit code $rc" ;;
    esac
    bad "token endpoint unreachable: $url ($msg)"
    fix "check the network (and ZOOM_OAUTH_URL if set), then: $retry"
    return
  fi
  # One jq for the whole answer: Zoom's error, its reason, whether it holds a
  # usable token (the token itself never leaves jq).
  answer=$(printf '%s' "$body" | jq -r '
    def line: tostring | gsub("[[:cntrl:]]"; " ");
    if type == "object" then
      (.error // "" | line),
      (.reason // .message // .error_description // "" | line),
      (if (.access_token | type) == "string" and .access_token != ""
          and (.expires_in | type) == "number" and .expires_in > 0 then "ok" else "bad" end)
    else "", "", "bad" end' 2>/dev/null) || answer=$'\n\nmalformed'
  { IFS= read -r err_code; IFS= read -r err_reason; IFS= read -r answer; } <<<"$answer" || :
  # Zoom's words, shown as they are, but short, on one line, never the secret.
  err_reason=${err_reason:0:200}
  err_reason=${err_reason//"$ZOOM_CLIENT_SECRET"/***}
  case $code in
    200)
      if [ "$answer" = ok ]; then
        ok "token endpoint reachable, credentials accepted ($url; the test token was not saved)"
      else
        bad "token endpoint answered HTTP 200 without a usable token ($url)"
        fix "retry later: $retry"
      fi
      ;;
    400 | 401)
      if [ "$code" = 401 ] || [ "$err_code" = invalid_client ] || [ "$err_code" = invalid_request ]; then
        bad "credentials rejected by the token endpoint (HTTP $code${err_code:+ $err_code}): ${err_reason:-no reason given}"
        fix "${EDITOR:-vi} $(quote "$ZOOM_ENV_FILE")   # correct ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET; then: $(in_root ./scripts/get_zoom_token.sh -f)"
      else
        bad "token request refused (HTTP $code${err_code:+ $err_code})${err_reason:+: $err_reason}"
        fix "check the app in the Zoom App Marketplace (activated, Server-to-Server OAuth), then: $retry"
      fi
      ;;
    5*)
      bad "token endpoint failing: HTTP $code from $url (a problem on the server's side)"
      fix "retry in a few minutes: $retry"
      ;;
    *)
      bad "token endpoint answered HTTP $code${err_code:+ $err_code}${err_reason:+: $err_reason} ($url)"
      fix "check ZOOM_OAUTH_URL, then: $retry"
      ;;
  esac
  body=''
}

# A warning (not a failure: the token may be fine again) when the last 24 h
# hold failed token fetches, with how many and the last reason.
check_history() {
  local history
  history=$(in_root make history)
  zoom_history_path
  if ! zoom_history_on; then
    info "refresh history off (ZOOM_HISTORY=0)"
    return
  fi
  if [ ! -e "$_zhlog" ] && [ ! -e "$_zhlog.1" ]; then
    info "no refresh history yet ($_zhlog)"
    return
  fi
  if ! command -v jq >/dev/null 2>&1; then
    info "refresh history not checked: jq is needed (see above)"
    return
  fi
  # shellcheck source=lib/history.sh source-path=SCRIPTDIR
  . "$ZOOM_SCRIPTS_DIR/lib/history.sh"
  if ! zoom_history_failures; then
    warn "could not read the refresh history ($_zhlog)"
    fix "$history"
  elif [ "$_zhfail" = 0 ]; then
    ok "no failed token fetch in the last 24 h ($_zhlog)"
  else
    if [ "$_zhfail" = 1 ]; then
      warn "1 token fetch failed in the last 24 h, at $_zhlast"
    else
      warn "$_zhfail token fetches failed in the last 24 h; the last at $_zhlast"
    fi
    fix "$history   # what happened, in order"
  fi
}

# Where the scripts look for Claude Desktop's config. -> _zpath ('' if unknown)
claude_config_path() {
  _zpath=''
  if [ -n "${CLAUDE_CONFIG_FILE:-}" ]; then
    zoom_root_path "$CLAUDE_CONFIG_FILE"
  else
    zoom_claude_config_default || _zpath=''
  fi
}

check_claude_config() {
  local file name cmd want got envfile err bak mode f install info entry same work
  name=${CLAUDE_MCP_SERVER_NAME:-zoom}
  install=$(in_root make install-claude)
  claude_config_path
  file=$_zpath
  if [ -z "$file" ]; then
    bad "Claude Desktop config: location unknown (neither CLAUDE_CONFIG_FILE nor HOME is set)"
    fix "export CLAUDE_CONFIG_FILE=/path/to/claude_desktop_config.json"
    return
  fi
  f=$(quote "$file")
  if [ ! -e "$file" ]; then
    bad "Claude Desktop config not found: $file"
    fix "$install"
    return
  fi
  if [ ! -f "$file" ] || [ ! -r "$file" ]; then
    bad "Claude Desktop config is not a readable file: $file"
    fix "chmod 600 $f"
    return
  fi
  if [ ! -s "$file" ]; then
    bad "Claude Desktop config is empty: $file"
    fix "$install"
    return
  fi
  if ! command -v jq >/dev/null 2>&1; then
    bad "Claude Desktop config not checked: jq is needed (see above)"
    return
  fi
  work=$(mktemp -d "${TMPDIR:-/tmp}/zoom-doctor.XXXXXX") || zoom_die 1 "cannot create a temporary folder"
  ZOOM_CLEANUP+=("$work")
  # One jq reads it all: validity, then the entry's command, ZOOM_ENV_FILE and
  # whether its token is the one in .env (handed over in jq's environment,
  # never on its command line, and never printed).
  # Slurped, as update_claude_config.sh reads it: exactly one JSON object.
  if ! info=$(ZOOM_DOCTOR_TOKEN=${ZOOM_ACCESS_TOKEN:-} jq -s -r --arg n "$name" '
    def line: tostring | gsub("[[:cntrl:]]"; " ");
    if length != 1 then error("it holds \(length) JSON documents, not one object") else .[0] end
    | if type != "object" then error("the top level is not a JSON object") else . end
    | (.mcpServers | if type == "object" then .[$n] else null end) as $e
    | if ($e | type) != "object" then "none"
      else "entry",
        ($e.command | strings // "" | line),
        ($e.args | if type == "array" then .[0] | strings // "" | line else "" end),
        ($e.env | if type == "object" then .ZOOM_ENV_FILE | strings // "" | line else "" end),
        ($e.env | if type == "object" then .ZOOM_ACCESS_TOKEN | strings // "" else "" end
          | if . == "" or env.ZOOM_DOCTOR_TOKEN == "" then "unknown"
            elif . == env.ZOOM_DOCTOR_TOKEN then "same" else "differs" end)
      end' "$file" 2>"$work/jq.err"); then
    err=''
    IFS= read -r err <"$work/jq.err" || :
    bad "Claude Desktop config is not valid JSON: $file${err:+ ($err)}"
    bak=$file.bak
    if [ -s "$bak" ] && jq empty "$bak" >/dev/null 2>&1; then
      fix "cp $(quote "$bak") $f   # restore the last good copy (or repair it by hand), then: $install"
    else
      fix "${EDITOR:-vi} $f   # repair the JSON, then: $install"
    fi
    return
  fi
  { IFS= read -r entry; IFS= read -r cmd; IFS= read -r arg0; IFS= read -r envfile; IFS= read -r same; } <<<"$info" || :
  if [ "$entry" != entry ]; then
    bad "Claude Desktop config has no mcpServers.$name entry: $file"
    fix "$install"
    return
  fi
  want=$(abs_path "$root/run.sh")
  got=''
  # On Windows the command is bash.exe and run.sh its first argument, both
  # Windows paths (as --install writes them).
  zoom_os
  case $_zos:$cmd in
    windows:*[Bb][Aa][Ss][Hh].[Ee][Xx][Ee]) zoom_unix_path "$arg0" && cmd="$cmd $arg0" ;;
    *) _zpath=$cmd ;;
  esac
  case $_zpath in /*) got=$(abs_path "$_zpath") ;; esac
  if [ -z "$got" ] || [ "$got" != "$want" ]; then
    bad "mcpServers.$name in the Claude Desktop config runs ${cmd:-nothing}, not this checkout's $want"
    fix "$install"
    return
  fi
  ok "Claude Desktop config has mcpServers.$name → $want ($file)"
  zoom_unix_path "$envfile"
  if [ -n "$envfile" ] && [ "$(abs_path "$_zpath")" != "$(abs_path "$ZOOM_ENV_FILE")" ]; then
    warn "the entry's ZOOM_ENV_FILE is $envfile, not $ZOOM_ENV_FILE"
    fix "$install"
  fi
  if [ "$same" = differs ]; then
    warn "the entry holds an older token than .env (harmless: the server reads .env)"
    fix "$(in_root ./scripts/update_claude_config.sh)"
  fi
  mode=$(file_mode "$file" || true)
  case $mode in
    '' | *00) ;;
    *)
      warn "the Claude Desktop config holds the access token and is readable by others (mode 0$mode)"
      fix "chmod 600 $f"
      ;;
  esac
}

# For information only: a config change takes effect when Claude restarts.
# This user's Claude only, as restart_claude_app.sh sees it.
check_claude_running() {
  local pid=''
  zoom_os
  case $_zos in
    macos) pid=$(pgrep -u "$EUID" -x Claude 2>/dev/null | head -n 1) || pid='' ;;
    windows)
      if [ -n "${USERNAME:-}" ] && tasklist //FI "IMAGENAME eq Claude.exe" \
        //FI "USERNAME eq ${USERDOMAIN:+$USERDOMAIN\\}$USERNAME" //NH 2>/dev/null | grep -qi 'Claude\.exe'; then
        pid='?'
      fi
      ;;
    *) pid=$(pgrep -u "$EUID" -x claude-desktop 2>/dev/null | head -n 1) || pid='' ;;
  esac
  case $pid in
    '' | '?') ;;
    *) pid=" (pid $pid)" ;;
  esac
  if [ -n "$pid" ]; then
    ok "Claude Desktop is running${pid#\?}; restart it after a config change: $(in_root ./scripts/restart_claude_app.sh)"
  else
    info "Claude Desktop is not running (for information; start it to use the server)"
  fi
}

# --- main ---------------------------------------------------------------------

printf '🩺 zoom-mcp doctor: %s\n' "$root"
check_python
check_tools
check_env_file
check_token
check_endpoint
check_history
check_claude_config
check_claude_running

if [ "$failures" = 0 ]; then
  printf '\n✅ All checks passed.\n'
  exit 0
fi
if [ "$failures" = 1 ]; then
  printf '\n❌ 1 check failed: run its fix, then %s\n' "$(in_root make doctor)"
else
  printf '\n❌ %d checks failed: run the fixes, then %s\n' "$failures" "$(in_root make doctor)"
fi
exit 1
