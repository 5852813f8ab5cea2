# shellcheck shell=bash
# scripts/lib/common.sh — helpers shared by the token kit's scripts. Sourced, never run.
#
# Portable to bash 3.2 and BSD userland (macOS), Linux and Git Bash: no
# associative arrays, mapfile, ${x,,}, namerefs or |&. Functions hand results
# back in globals (_z*) rather than through $(...), so the hot path
# (check_zoom_token.sh) forks as little as possible.

# Byte semantics everywhere and an English AM/PM, like Python's strftime in the monitor.
export LC_ALL=C

# --------------------------------------------------------------------- paths
# The sourcing script has set zoom_self to its own (symlink-resolved) path.
# Everything resolves from there, never from $PWD.
_zoom_abs() { # _zoom_abs PATH -> _zabs: absolute, without "." segments
  local p=$1
  case $p in /*) ;; *) p=$PWD/$p ;; esac
  while :; do
    case $p in
      */./*) p=${p%%/./*}/${p#*/./} ;;
      */.) p=${p%/.} ;;
      *) break ;;
    esac
  done
  _zabs=${p:-/}
}

# The folder is resolved physically (cd -P, as run.sh does): through a
# symlinked scripts/ folder, or a ".." after a symlink, the path as typed would
# name the wrong project root. cd in this shell and back, not $(cd ... && pwd):
# check_zoom_token.sh stays free of forks.
_zoom_abs "${BASH_SOURCE[0]%/*}"
_zoom_here=$PWD
if CDPATH='' cd -P -- "$_zabs" 2>/dev/null; then
  _zabs=$PWD
  cd -- "$_zoom_here" 2>/dev/null || : # (a cwd removed since: stay; paths never come from $PWD)
fi
ZOOM_SCRIPTS_DIR=${_zabs%/lib}
case $ZOOM_SCRIPTS_DIR in
  */..) ZOOM_ROOT=$ZOOM_SCRIPTS_DIR/.. ;; # only if cd -P failed
  *) ZOOM_ROOT=${ZOOM_SCRIPTS_DIR%/*}; ZOOM_ROOT=${ZOOM_ROOT:-/} ;;
esac
ZOOM_SELF=${zoom_self:-$0}

# A Windows path (C:\Users\...) from the environment as a POSIX one.
zoom_unix_path() { # -> _zpath
  _zpath=$1
  case $1 in
    [A-Za-z]:[\\/]*)
      if command -v cygpath >/dev/null 2>&1; then
        _zpath=$(cygpath -u -- "$1") || _zpath=$1
      fi
      ;;
  esac
}

# A POSIX path as Windows programs (Claude Desktop, a native python.exe) need
# it: C:\Users\me\... (Git Bash, MSYS2, Cygwin: cygpath ships with each).
zoom_windows_path() { # -> _zpath
  _zpath=$(cygpath -w -- "$1") || zoom_die 1 "cygpath could not convert $1 to a Windows path"
}

# Relative paths in settings are taken from the project root, not from $PWD.
# A Windows drive path (C:\Users\me\zoom-mcp\.env, as the Claude Desktop
# config holds it) is read as Git Bash names it (/c/Users/me/zoom-mcp/.env).
zoom_root_path() { # zoom_root_path PATH -> _zpath
  case $1 in
    /*) _zpath=$1 ;;
    [A-Za-z]:[\\/]*) zoom_unix_path "$1" ;;
    *) _zpath=$ZOOM_ROOT/$1 ;;
  esac
}

ZOOM_ENV_FILE=${ZOOM_ENV_FILE:-$ZOOM_ROOT/.env}
zoom_root_path "$ZOOM_ENV_FILE"
ZOOM_ENV_FILE=$_zpath

# ------------------------------------------------------------------ messages
ZOOM_QUIET=${ZOOM_QUIET:-0}
zoom_say() { [ "$ZOOM_QUIET" = 1 ] || printf '%s\n' "$*"; }
# The run's first error stays in _zoom_first_error: the history's reason when a
# script fails where it set none of its own.
_zoom_first_error=''
zoom_err() {
  [ -n "$_zoom_first_error" ] || _zoom_first_error=$*
  printf 'ERROR: %s\n' "$*" >&2
}
zoom_warn() { printf 'WARNING: %s\n' "$*" >&2; }
zoom_die() { # zoom_die EXIT_CODE MESSAGE...
  local code=$1
  shift
  zoom_err "$@"
  exit "$code"
}

# Print the script's "# Usage:" header block (rbenv style): from that line to
# the first line that is not a comment.
zoom_usage() {
  local line started=0
  while IFS= read -r line || [ -n "$line" ]; do
    if [ "$started" = 0 ]; then
      case $line in '# Usage:'*) started=1 ;; *) continue ;; esac
    fi
    case $line in '#'*) ;; *) break ;; esac
    line=${line#\#}
    printf '%s\n' "${line# }"
  done <"$ZOOM_SELF"
}
zoom_usage_error() { # unknown option and the like: usage on stderr, exit 2
  zoom_err "$*"
  zoom_usage >&2
  exit 2
}

zoom_require_cmd() { # exit 2 (configuration error) naming each missing tool
  local c missing=
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || missing="$missing $c"
  done
  [ -z "$missing" ] || zoom_die 2 "required command(s) not found:$missing (install them, e.g. brew install$missing / sudo apt-get install -y$missing)"
}

# Options the usual way, for every script's option loop: a cluster of short
# flags is split (-fq is -f -q), a short option's argument may be glued to it
# (-t300) or follow it, and "--" ends the options; as no script takes operands,
# nothing may follow it. The loop then sees one option per word.
# zoom_opts SHORT_WITH_ARG 'LONG_WITH_ARG...' ARGS... -> _zargs
zoom_opts() {
  local with=$1 long=" $2 " a c rest
  shift 2
  _zargs=()
  while [ "$#" -gt 0 ]; do
    a=$1
    shift
    case $a in
      --)
        [ "$#" -eq 0 ] || zoom_usage_error "unexpected argument: $1"
        break
        ;;
      --*)
        _zargs+=("$a")
        case $long in
          *" $a "*) if [ "$#" -gt 0 ]; then _zargs+=("$1"); shift; fi ;;
        esac
        ;;
      -?*)
        rest=${a#-}
        while [ -n "$rest" ]; do
          c=${rest:0:1}
          rest=${rest:1}
          _zargs+=("-$c")
          if [ -n "$with" ]; then
            case $with in
              *"$c"*)
                if [ -n "$rest" ]; then
                  _zargs+=("$rest")
                  rest=''
                elif [ "$#" -gt 0 ]; then
                  _zargs+=("$1")
                  shift
                fi
                ;;
            esac
          fi
        done
        ;;
      *) _zargs+=("$a") ;;
    esac
  done
}

zoom_is_uint() { case $1 in '' | *[!0-9]*) return 1 ;; *) return 0 ;; esac; }

# zoom_threshold GIVEN VALUE: sets $threshold from -t (when GIVEN is 1) or ZOOM_TOKEN_THRESHOLD
# (default 60). A bad -t is a usage error, a bad setting a configuration error: both exit 2.
zoom_threshold() {
  if [ "$1" = 1 ]; then
    threshold=$2
    zoom_is_uint "$threshold" || zoom_usage_error "the threshold must be a whole number of seconds (got '$threshold')"
  else
    threshold=${ZOOM_TOKEN_THRESHOLD:-60}
    zoom_is_uint "$threshold" ||
      zoom_die 2 "ZOOM_TOKEN_THRESHOLD must be a whole number of seconds (got '$threshold'); fix it in $ZOOM_ENV_FILE or the environment"
  fi
}

# -------------------------------------------------------------------- .env
# The reader (python-dotenv's grammar, multi-line values included); the writer is
# lib/dotenv_write.sh, sourced by the scripts that write .env.
# shellcheck source=dotenv.sh source-path=SCRIPTDIR
. "$ZOOM_SCRIPTS_DIR/lib/dotenv.sh"

# The settings the scripts take from .env; anything else there is not theirs.
_ZOOM_FILE_KEYS=' ZOOM_ACCOUNT_ID ZOOM_CLIENT_ID ZOOM_CLIENT_SECRET ZOOM_OAUTH_URL ZOOM_API_BASE_URL'
_ZOOM_FILE_KEYS="$_ZOOM_FILE_KEYS ZOOM_TOKEN_THRESHOLD ZOOM_HTTP_TIMEOUT ZOOM_LOCK_TIMEOUT ZOOM_RESTART_CLAUDE"
_ZOOM_FILE_KEYS="$_ZOOM_FILE_KEYS ZOOM_RESTART_WAIT ZOOM_RESTART_POLL CLAUDE_CONFIG_FILE CLAUDE_MCP_SERVER_NAME CLAUDE_APP_EXE"
_ZOOM_FILE_KEYS="$_ZOOM_FILE_KEYS ZOOM_HISTORY "

# Load the kit's settings from the .env file. The environment wins (set, even
# empty, beats the file), except for the token pair, which comes from the file
# whenever the file has a token — exactly like token_monitor.py: a stale
# ZOOM_ACCESS_TOKEN passed by Claude Desktop's config must not hide a newer one
# in .env. With zoom_token_file_only=1 (get_zoom_token.sh) the pair comes from
# the file alone: no token there is no token. As in python-dotenv, a later
# binding of a key replaces an earlier one, and "KEY" alone leaves it unset.
# Only the settings above are read from the file: test hooks (ZOOM_FAKE_NOW,
# ZOOM_NO_FLOCK, ZOOM_QUIET, ZOOM_HISTORY_BY, ZOOM_HISTORY_MAX_BYTES, _ZOOM_*) and
# the kit's own variables come from the environment alone, so a stray line in
# .env cannot fake the clock.
zoom_token_file_only=0
zoom_load_env() {
  local k v
  _zoom_env_scan
  for k in $_zfile_keys; do
    v=_zfile_$k
    [ -n "${!k+x}" ] || printf -v "$k" '%s' "${!v}"
  done
  if [ -n "$_zftok" ]; then
    ZOOM_ACCESS_TOKEN=$_zftok
    ZOOM_TOKEN_EXPIRES_AT=$_zfexp
  elif [ "$zoom_token_file_only" != 1 ] && [ -n "${ZOOM_ACCESS_TOKEN:-}" ]; then
    ZOOM_TOKEN_EXPIRES_AT=${ZOOM_TOKEN_EXPIRES_AT:-}
  else
    # No token anywhere (an empty one in the file counts as none).
    ZOOM_ACCESS_TOKEN=''
    ZOOM_TOKEN_EXPIRES_AT=''
  fi
}

# Re-read only the token pair from the file (after taking the lock).
zoom_reload_token() {
  _zoom_env_scan
  if [ -n "$_zftok" ]; then
    ZOOM_ACCESS_TOKEN=$_zftok
    ZOOM_TOKEN_EXPIRES_AT=$_zfexp
  elif [ "$zoom_token_file_only" = 1 ]; then
    ZOOM_ACCESS_TOKEN='' ZOOM_TOKEN_EXPIRES_AT=''
  fi
}

# Read the file, when there is one: the token pair (_zftok, _zfexp; "KEY"
# alone, like "KEY=", holds no token) and, in _zfile_keys, the settings above
# that it sets (each value in _zfile_<KEY>). The last binding of a key wins;
# "KEY" alone unsets it. Bindings python-dotenv skips are skipped.
_zoom_env_scan() {
  local b k
  _zftok='' _zfexp='' _zfile_keys=' '
  [ -e "$ZOOM_ENV_FILE" ] || return 0
  zoom_env_readable
  zoom_env_read "$ZOOM_ENV_FILE"
  for ((b = 0; b < _zbn; b++)); do
    k=${_zbk[b]}
    case ${_zbx[b]}$k in
      0ZOOM_ACCESS_TOKEN) _zftok=${_zbv[b]} ;;
      0ZOOM_TOKEN_EXPIRES_AT) _zfexp=${_zbv[b]} ;;
      0*[!A-Za-z0-9_]*) ;; # not a name ('quoted keys' may hold anything)
      0*)
        case $_ZOOM_FILE_KEYS in *" $k "*) ;; *) continue ;; esac
        _zfile_keys=${_zfile_keys//" $k "/ }
        if [ "${_zbh[b]}" = 1 ]; then
          printf -v "_zfile_$k" '%s' "${_zbv[b]}"
          _zfile_keys="$_zfile_keys$k "
        fi
        ;;
    esac
  done
}

# An existing ZOOM_ENV_FILE we cannot read is a configuration error (exit 2),
# said plainly: `read` from a directory would only crash with "Is a directory".
zoom_env_readable() {
  if [ -d "$ZOOM_ENV_FILE" ]; then
    zoom_die 2 "cannot read $ZOOM_ENV_FILE: it is a directory (ZOOM_ENV_FILE must name a file)"
  fi
  [ -r "$ZOOM_ENV_FILE" ] || zoom_die 2 "cannot read $ZOOM_ENV_FILE; check its owner and mode (chmod 600 $ZOOM_ENV_FILE)"
}

# ----------------------------------------------------------------- masking
zoom_mask() { # zoom_mask TOKEN -> _zmask, the same as token_monitor.mask
  if [ -z "$1" ]; then
    _zmask='(none)'
  elif [ "${#1}" -lt 12 ]; then
    _zmask='****' # too short to show any of it safely
  else
    _zmask="${1:0:4}...${1: -4}"
  fi
}

# ------------------------------------------------------------------- time
# ZOOM_FAKE_NOW (epoch seconds) is a test hook: a fake clock for the threshold
# and display tests, so no test depends on the wall clock ticking.
zoom_now() { # -> _znow
  if [ -n "${ZOOM_FAKE_NOW:-}" ]; then
    _znow=$ZOOM_FAKE_NOW
  elif [ "${BASH_VERSINFO[0]}" -ge 5 ]; then
    _znow=$EPOCHSECONDS
  elif [ "${BASH_VERSINFO[0]}" -eq 4 ] && [ "${BASH_VERSINFO[1]}" -ge 2 ]; then
    printf -v _znow '%(%s)T' -1
  else
    _znow=$(date +%s)
  fi
}

zoom_duration() { # zoom_duration SECONDS -> _zdur: 1h 0m 5s | 57m 29s | 45s
  local s=$1 h m
  [ "$s" -ge 0 ] || s=$((-s))
  h=$((s / 3600))
  m=$((s % 3600 / 60))
  s=$((s % 60))
  if [ "$h" -gt 0 ]; then
    _zdur="${h}h ${m}m ${s}s"
  elif [ "$m" -gt 0 ]; then
    _zdur="${m}m ${s}s"
  else
    _zdur="${s}s"
  fi
}

# Local wall-clock time of an epoch, 12-hour clock without a leading zero
# (1:51:23 PM). bash >= 4.2 formats it itself; bash 3.2 asks date, whose flag
# differs: GNU `date -d @N`, BSD `date -r N` (detected once).
_zoom_date_style=''
zoom_clock() { # zoom_clock EPOCH -> _zclock
  _zoom_strftime '%I:%M:%S %p' "$1"
  _zclock=${_zft#0}
}

# The UTC time stamp of the history's lines (2026-12-01T03:02:11Z).
zoom_utc_stamp() { # zoom_utc_stamp EPOCH -> _zutc
  _zoom_strftime '%Y-%m-%dT%H:%M:%SZ' "$1" utc
  _zutc=$_zft
}

_zoom_strftime() { # _zoom_strftime FORMAT EPOCH [utc] -> _zft
  if [ -z "${_ZOOM_NO_PRINTF_T:-}" ] &&
    { [ "${BASH_VERSINFO[0]}" -ge 5 ] || { [ "${BASH_VERSINFO[0]}" -eq 4 ] && [ "${BASH_VERSINFO[1]}" -ge 2 ]; }; }; then
    if [ -n "${3:-}" ]; then
      TZ=UTC0 printf -v _zft "%($1)T" "$2"
    else
      printf -v _zft "%($1)T" "$2"
    fi
    return 0
  fi
  if [ -z "$_zoom_date_style" ]; then
    # Probe with -r: BSD reads it as seconds; GNU as a file name, and fails
    # (probing -d instead could make an old BSD date try to set the clock).
    if [ "$(date -u -r 0 +%s 2>/dev/null)" = 0 ]; then
      _zoom_date_style=bsd
    else
      _zoom_date_style=gnu
    fi
  fi
  local u=''
  [ -z "${3:-}" ] || u=-u
  if [ "$_zoom_date_style" = gnu ]; then
    _zft=$(date $u -d "@$2" "+$1")
  else
    _zft=$(date $u -r "$2" "+$1")
  fi
}

# ------------------------------------------------------------------ token
# JWT payload's exp claim (base64url, unpadded), or empty. Only a fallback:
# Zoom does not document the claims; ZOOM_TOKEN_EXPIRES_AT comes first.
_ZOOM_EXP_RE='"exp"[[:space:]]*:[[:space:]]*([0-9]+)[^0-9.eE]'
zoom_jwt_exp() { # zoom_jwt_exp TOKEN -> _zexp
  local p json
  _zexp=''
  case $1 in *.*.*) ;; *) return 0 ;; esac
  p=${1#*.}
  p=${p%%.*}
  case $p in '' | *[!A-Za-z0-9_-]*) return 0 ;; esac
  p=${p//_//}
  p=${p//-/+}
  case $((${#p} % 4)) in
    2) p="$p==" ;;
    3) p="$p=" ;;
    1) return 0 ;;
  esac
  json=$(printf '%s' "$p" | base64 -d 2>/dev/null) ||
    json=$(printf '%s' "$p" | base64 -D 2>/dev/null) ||
    json=$(printf '%s' "$p" | openssl base64 -d -A 2>/dev/null) || return 0
  if [[ "$json " =~ $_ZOOM_EXP_RE ]]; then
    _zexp=${BASH_REMATCH[1]}
  fi
}

# The token's expiry (epoch) from ZOOM_TOKEN_EXPIRES_AT, else the JWT's exp;
# empty when there is no token. -> _zexp, _zexp_src
zoom_token_expiry() {
  local v=${ZOOM_TOKEN_EXPIRES_AT:-}
  _zexp='' _zexp_src=''
  [ -n "${ZOOM_ACCESS_TOKEN:-}" ] || return 0
  v=${v#"${v%%[![:space:]]*}"}
  v=${v%"${v##*[![:space:]]}"}
  v=${v#+}
  case $v in
    -[0-9]* | [0-9]*)
      case ${v#-} in *[!0-9]*) ;; *)
        _zexp=$((10#${v#-}))
        case $v in -*) _zexp=$((-_zexp)) ;; esac
        _zexp_src=ZOOM_TOKEN_EXPIRES_AT
        return 0
        ;;
      esac
      ;;
  esac
  zoom_jwt_exp "$ZOOM_ACCESS_TOKEN"
  [ -z "$_zexp" ] || _zexp_src='JWT exp claim'
}

# The status line shared byte for byte with token_monitor.format_status.
# zoom_status EXPIRES_AT|'' NOW -> _zstate, _zleft, _zline
zoom_status() {
  local exp=$1 now=$2 icon
  if [ -z "$exp" ]; then
    _zstate=missing _zleft=''
    _zline='🔑 Token Status: ❌ No token'
    return 0
  fi
  _zleft=$((exp - now))
  zoom_duration "$_zleft"
  if [ "$_zleft" -le 0 ]; then
    _zstate=expired
    _zline="🔑 Token Status: ❌ Expired $_zdur ago"
    return 0
  fi
  if [ "$_zleft" -gt 900 ]; then
    _zstate=fresh icon='✅'
  elif [ "$_zleft" -ge 300 ]; then
    _zstate=expiring icon='📊'
  else
    _zstate=critical icon='⚠️'
  fi
  zoom_clock "$exp"
  _zline="🔑 Token Status: $icon Expires in $_zdur (at $_zclock)"
}

# -------------------------------------------------------- files and cleanup
# ZOOM_EXIT_HOOK: a function the script names, run first at exit with the exit
# status (get_zoom_token.sh logs a failed fetch there, whatever ended it).
ZOOM_CLEANUP=()
ZOOM_EXIT_HOOK=''
zoom_cleanup() {
  local rc=$? f
  [ -z "$ZOOM_EXIT_HOOK" ] || "$ZOOM_EXIT_HOOK" "$rc" || :
  for f in ${ZOOM_CLEANUP[@]+"${ZOOM_CLEANUP[@]}"}; do
    rm -rf -- "$f" 2>/dev/null || :
  done
  zoom_unlock
  _zoom_history_unlock
}
zoom_on_exit() {
  trap zoom_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  trap 'exit 129' HUP
}

# Follow a chain of symlinks to the file a write must go to, so a symlinked
# file stays a symlink (readlink without -f: BSD has no -f).
zoom_resolve_symlink() { # zoom_resolve_symlink PATH -> _zres
  local p=$1 l n=0
  while [ -L "$p" ]; do
    l=$(readlink "$p")
    case $l in
      /*) p=$l ;;
      *) case $p in */*) p=${p%/*}/$l ;; *) p=$l ;; esac ;;
    esac
    n=$((n + 1))
    [ "$n" -lt 40 ] || zoom_die 1 "too many levels of symbolic links: $1"
  done
  _zres=$p
}

zoom_dirname() { # -> _zdir (no fork)
  case $1 in
    */*) _zdir=${1%/*}; _zdir=${_zdir:-/} ;;
    *) _zdir=. ;;
  esac
}

# A temp file beside TARGET (same file system, so mv is an atomic rename),
# mode 0600, removed on exit unless committed. Named .<name>.tmp.<our PID>.XXXXXX
# so that one left by a writer killed with -9 (no trap runs) can be told
# apart and swept later by zoom_tmp_sweep. -> _ztmp
zoom_tmp_beside() {
  zoom_tmp_prefix "$1"
  _ztmp=$(mktemp "$_ztpre$$.XXXXXX" 9>&-) ||
    zoom_die 1 "cannot create a temporary file in $_zdir; $1 unchanged; check that the folder is writable and has free space, then run again"
  ZOOM_CLEANUP+=("$_ztmp") # mktemp creates it 0600 (GNU and BSD alike)
}
zoom_tmp_prefix() { # -> _ztpre (and _zdir): the temp files' path up to the PID
  local base
  zoom_dirname "$1"
  base=${1##*/}
  case $base in .*) ;; *) base=.$base ;; esac
  _ztpre=$_zdir/$base.tmp.
}

# Remove the temp files of TARGET left by writers that are gone (kill -9
# between the write and the rename): each may hold a whole token. Only our own
# pattern, and only when its PID is dead: the lock alone would not do, as two
# paths (symlinks) to one .env take different locks but share this folder.
# A PID reused since is merely a file left for a later run.
zoom_tmp_sweep() { # zoom_tmp_sweep TARGET
  local f pid err
  zoom_tmp_prefix "$1"
  for f in "$_ztpre"*; do
    pid=${f#"$_ztpre"}
    case $pid in *.*) pid=${pid%%.*} ;; *) continue ;; esac # also: no match at all
    zoom_is_uint "$pid" && [ "$pid" != "$$" ] || continue
    kill -0 "$pid" 2>/dev/null && continue
    # kill -0 also fails for a live process of another user (e.g. a sudo run).
    err=$(kill -0 "$pid" 2>&1) || :
    case $err in *[Pp]ermitted*) continue ;; esac
    rm -f -- "$f" 2>/dev/null || :
  done
}

# Atomic replace: the readers see the old file or the new one, never a part.
zoom_commit() { # zoom_commit TMP TARGET
  mv -f -- "$1" "$2" 9>&- || zoom_die 1 "cannot replace $2; $2 unchanged; check the folder's owner and mode, then run again"
}

# Writing a temp file failed (the shell has said why just above: most often a
# full disk). The target was not touched.
zoom_write_failed() { # zoom_write_failed TARGET
  zoom_die 1 "cannot write the new content of $1 (disk full?); $1 unchanged; free some space and run again"
}

# ------------------------------------------------------------------ history
# What the kit did, for `check_zoom_token.sh --history` (lib/history.sh reads
# it): zoom-token.log beside .env, one JSON object per line, {"ts" (ISO 8601
# UTC), "event", "by", then the event's fields}. The server's token monitor
# writes the same file by the same rules (history.py):
# - each line is one write of the whole line in append mode (>>), and well
#   under PIPE_BUF (512 bytes on macOS), so concurrent writers never mix lines;
# - no secret: the client secret and the token are taken out here, before jq
#   sees a value (and values reach jq on its stdin, never its command line);
#   jq takes out any JWT, a bearer or Authorization header and a URL's query;
# - past ZOOM_HISTORY_MAX_BYTES (1 MiB; a test hook, environment only) the log
#   becomes .1 (.1 -> .2 -> .3, the oldest dropped), under <log>.lock;
# - ZOOM_HISTORY=0 turns it off; a log that cannot be written never fails a
#   script: one warning, then silence.
# Who ran the script (ZOOM_HISTORY_BY, set by the monitor, run.sh and the 401
# path) is "by"; a person running it by hand is "script".
_zoom_hist_warned=0
_zoom_hist_lockdir=''

# The jq program that makes the line: fields come on stdin as pairs of lines,
# NAME then VALUE (text), or NAME:= then VALUE (JSON: a number, null, true).
# shellcheck disable=SC2016 # jq's own $variables
_ZOOM_HISTORY_JQ='
def clean:
  gsub("[[:cntrl:]]"; " ")
  | gsub("(?<u>[A-Za-z][A-Za-z0-9+.-]*://[^[:space:]?#]*)[?#][^[:space:]]*"; "\(.u)?...")
  | gsub("(?<a>[Aa]uthorization)[[:space:]]*[:=].*"; "\(.a): ****")
  | gsub("(?<b>[Bb]earer)[[:space:]]+[^[:space:]]+"; "\(.b) ****")
  | gsub("(?<t>eyJ[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*)"; .t[0:4] + "..." + .t[-4:]);
def shorten($n):
  with_entries(if .key == "ts" or .key == "event" or .key == "by"
                  or (.value | type) != "string" or (.value | length) <= $n then .
               else .value |= .[0:$n] + "…" end);
def fit($n):
  if (tojson | utf8bytelength) <= 480 then . elif $n < 8 then shorten(0) else shorten($n) | fit($n / 2 | floor) end;
[inputs] as $l
| reduce range(0; $l | length - 1; 2) as $i ({ts: ($now | todate), event: $event, by: $by};
    ($l[$i]) as $k
    | if ($k | endswith(":=")) then .[$k | rtrimstr(":=")] = ($l[$i + 1] | fromjson)
      else .[$k] = ($l[$i + 1] | clean) end)
| shorten(200) | fit(100)'

zoom_history_on() { # ZOOM_HISTORY: 0, false, no or off turn the history off
  case ${ZOOM_HISTORY:-1} in
    0 | [Ff][Aa][Ll][Ss][Ee] | [Nn][Oo] | [Oo][Ff][Ff]) return 1 ;;
  esac
}

zoom_history_path() { # -> _zhlog, the log beside ZOOM_ENV_FILE
  zoom_dirname "$ZOOM_ENV_FILE"
  _zhlog=$_zdir/zoom-token.log
}

zoom_history_by() { # -> _zby
  case ${ZOOM_HISTORY_BY:-} in
    monitor | run.sh | 401) _zby=$ZOOM_HISTORY_BY ;;
    *) _zby=script ;;
  esac
}

# zoom_history EVENT [NAME=TEXT | NAME:=JSON]...: append one event.
zoom_history() {
  local event=$1 a k v input='' line size max secret=${ZOOM_CLIENT_SECRET:-} tok=${ZOOM_ACCESS_TOKEN:-}
  local _znow _zmask _zdir _zby # the caller's values of these stay as they were
  shift
  zoom_history_on || return 0
  zoom_history_path
  zoom_history_by
  zoom_now
  [ -z "$tok" ] || zoom_mask "$tok"
  for a in "$@"; do
    case $a in
      *:=*) k=${a%%:=*}:= v=${a#*:=} ;;
      *) k=${a%%=*} v=${a#*=}
        [ -z "$secret" ] || v=${v//"$secret"/***}
        [ -z "$tok" ] || v=${v//"$tok"/"$_zmask"}
        v=${v//$'\n'/ }
        v=${v//$'\r'/ }
        ;;
    esac
    input=$input$k$'\n'$v$'\n'
  done
  # Most lines hold plain words and numbers: written here, jq's start-up (~40 ms) is saved on every
  # refresh. Anything else (quotes, non-ASCII, a URL, a token's shape, a long line) goes to jq, which
  # escapes, masks and shortens it; both write the same bytes (tests/test_history.py).
  if ! _zoom_history_plain "$event" "$@" || [ -n "${_ZOOM_HISTORY_JQ_ONLY:-}" ]; then
    if ! line=$(printf '%s' "$input" | jq -ncR --argjson now "$_znow" --arg event "$event" --arg by "$_zby" \
      "$_ZOOM_HISTORY_JQ" 2>/dev/null 9>&-); then
      _zoom_history_warn "jq could not write the line (is jq installed?)"
      return 0
    fi
  fi
  # The log is private whoever creates it, whatever the caller's umask (the scripts set 077).
  [ -e "$_zhlog" ] || (umask 077 && : >>"$_zhlog") 2>/dev/null || :
  if ! { printf '%s\n' "$line" >>"$_zhlog"; } 2>/dev/null; then
    _zoom_history_warn "check that its folder is writable and has free space"
    return 0
  fi
  max=${ZOOM_HISTORY_MAX_BYTES:-1048576}
  zoom_is_uint "$max" || max=1048576
  size=$({ wc -c <"$_zhlog"; } 2>/dev/null) || return 0 # (gone: rotated by another writer)
  size=${size//[!0-9]/}
  [ "${size:-0}" -le "$max" ] || _zoom_history_rotate "$max"
}

# The line as jq would write it, when every value is plain: printable ASCII without a quote or a
# backslash, nothing the jq program scrubs (_ZOOM_NEEDS_SCRUB), texts of 200 characters at most,
# JSON values that are canonical numbers, true, false or null, and the whole under 480 bytes.
# -> line (the caller's local); returns 1 when jq must write it.
# What the jq program's `clean` rewrites (a URL's query, Authorization, a bearer, a JWT), the same patterns:
_ZOOM_NEEDS_SCRUB='[A-Za-z][A-Za-z0-9+.-]*://[^[:space:]?#]*[?#]|[Aa]uthorization[[:space:]]*[:=]|[Bb]earer[[:space:]]+[^[:space:]]|eyJ[A-Za-z0-9_-]+[.][A-Za-z0-9_-]+[.]'
_ZOOM_PLAIN_NUMBER='^-?([1-9][0-9]{0,14}|0|(0|[1-9][0-9]{0,8})[.][0-9]{0,5}[1-9])$'
_zoom_history_plain() { # _zoom_history_plain EVENT [NAME=TEXT | NAME:=JSON]...
  local a k v out
  zoom_utc_stamp "$_znow"
  out="{\"ts\":\"$_zutc\",\"event\":\"$1\",\"by\":\"$_zby\""
  shift
  for a in "$@"; do
    case $a in
      *:=*)
        k=${a%%:=*} v=${a#*:=}
        # numbers jq 1.6 prints as written: no exponent, no trailing zero, no lost digit
        case $v in
          true | false | null) ;;
          *) [[ $v =~ $_ZOOM_PLAIN_NUMBER ]] || return 1
             case $v in *.0000*) return 1 ;; esac ;; # jq writes 0.00001 as 1e-05
        esac
        ;;
      *)
        k=${a%%=*} v=${a#*=}
        [ -z "${ZOOM_CLIENT_SECRET:-}" ] || v=${v//"$ZOOM_CLIENT_SECRET"/***}
        [ -z "${ZOOM_ACCESS_TOKEN:-}" ] || v=${v//"$ZOOM_ACCESS_TOKEN"/"$_zmask"}
        v=${v//$'\n'/ }
        v=${v//$'\r'/ }
        case $v in *[!\ -~]* | *[\"\\]*) return 1 ;; esac
        [[ ! $v =~ $_ZOOM_NEEDS_SCRUB ]] || return 1
        [ "${#v}" -le 200 ] || return 1
        v="\"$v\""
        ;;
    esac
    out="$out,\"$k\":$v"
  done
  out="$out}"
  [ "${#out}" -le 480 ] || return 1
  line=$out
}

_zoom_history_warn() {
  [ "$_zoom_hist_warned" = 0 ] || return 0
  _zoom_hist_warned=1
  zoom_warn "cannot write the refresh history to $_zhlog ($1); going on without it (ZOOM_HISTORY=0 turns it off)"
}

# Under the log's lock, and only if the log is still too big (another writer
# may have rotated it meanwhile). A lock not had within 5 s is left to the next
# writer: the history never holds up a refresh.
_zoom_history_rotate() { # _zoom_history_rotate MAX
  local log=$_zhlog size
  _zoom_lock_on 8 "$log.lock" 5 || return 0
  _zoom_hist_lockdir=$_zld
  size=$({ wc -c <"$log"; } 2>/dev/null) || size=0
  size=${size//[!0-9]/}
  if [ "${size:-0}" -gt "$1" ]; then
    [ ! -e "$log.2" ] || mv -f -- "$log.2" "$log.3" 2>/dev/null || :
    [ ! -e "$log.1" ] || mv -f -- "$log.1" "$log.2" 2>/dev/null || :
    mv -f -- "$log" "$log.1" 2>/dev/null || :
  fi
  _zoom_history_unlock
}
_zoom_history_unlock() {
  if [ -n "$_zoom_hist_lockdir" ]; then
    rm -rf -- "$_zoom_hist_lockdir" 2>/dev/null || :
    _zoom_hist_lockdir=''
  fi
  { exec 8>&-; } 2>/dev/null || :
}

# ------------------------------------------------------------------ locking
# One holder at a time for LOCKFILE. flock(1) where present (released by the
# kernel when the holder dies, even by kill -9). Elsewhere (macOS) a mkdir
# lock holding the owner's PID; a lock whose owner is gone (kill -0 fails) is
# taken over, so it cannot stay stale. ZOOM_NO_FLOCK=1 forces the fallback.
# history.py takes the history's lock by the same protocol, so the two exclude
# each other.
_zoom_lockdir=''
zoom_lock() { # zoom_lock LOCKFILE WAIT_SECONDS; returns 1 on timeout
  local rc=0
  _zoom_lock_on 9 "$1" "$2" || rc=$?
  [ "$rc" != 2 ] || zoom_die 1 "cannot open the lock file $1"
  [ "$rc" = 0 ] || return 1
  _zoom_lockdir=$_zld
}
zoom_unlock() {
  if [ -n "$_zoom_lockdir" ]; then
    rm -rf -- "$_zoom_lockdir" 2>/dev/null || :
    _zoom_lockdir=''
  fi
}

# _zoom_lock_on FD LOCKFILE WAIT_SECONDS: the protocol itself; flock holds the
# lock on descriptor FD (closing it releases the lock). -> _zld, the mkdir
# lock's folder to remove on release ('' under flock). Returns 1 on timeout,
# 2 when the lock file cannot be opened.
_zoom_lock_on() {
  local fd=$1 lock=$2 wait=$3 deadline pid pid2 empty_polls=0
  _zld=''
  if [ -z "${ZOOM_NO_FLOCK:-}" ] && command -v flock >/dev/null 2>&1; then
    { eval "exec $fd>>\"\$lock\""; } 2>/dev/null || return 2
    flock -w "$wait" "$fd" || return 1
    return 0
  fi
  deadline=$((SECONDS + wait))
  while :; do
    if mkdir "$lock.d" 2>/dev/null; then
      printf '%s\n' "$$" >"$lock.d/pid"
      _zld=$lock.d
      return 0
    fi
    pid=''
    { [ -r "$lock.d/pid" ] && IFS= read -r pid 2>/dev/null <"$lock.d/pid"; } || pid=''
    if [ -n "$pid" ]; then
      empty_polls=0
      if ! kill -0 "$pid" 2>/dev/null; then
        # The owner died without unlocking: break the lock, then race for it
        # like everyone else. Re-read first, so that a lock another waiter has
        # just broken and re-taken is left alone.
        pid2=''
        { IFS= read -r pid2 2>/dev/null <"$lock.d/pid"; } || :
        [ "$pid2" != "$pid" ] || rm -rf -- "$lock.d" 2>/dev/null || :
        continue
      fi
    else
      # Created but no PID yet: the owner may have died right after mkdir.
      empty_polls=$((empty_polls + 1))
      if [ "$empty_polls" -ge 40 ]; then
        rm -rf -- "$lock.d" 2>/dev/null || :
        empty_polls=0
        continue
      fi
    fi
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.05
  done
}

# ---------------------------------------------------------------------- OS
zoom_os() { # -> _zos: macos | windows | linux
  local s
  s=$(uname -s 2>/dev/null) || s=unknown
  case $s in
    Darwin) _zos=macos ;;
    MINGW* | MSYS* | CYGWIN* | Windows_NT) _zos=windows ;;
    *) _zos=linux ;;
  esac
}

# Claude Desktop's config by OS. Returns 1 (and _zpath='') when it depends on
# HOME and HOME is not set: the caller says so (set CLAUDE_CONFIG_FILE).
zoom_claude_config_default() { # -> _zpath
  local home=${HOME:-}
  _zpath=''
  zoom_os
  case $_zos in
    macos)
      [ -n "$home" ] || return 1
      _zpath="$home/Library/Application Support/Claude/claude_desktop_config.json"
      ;;
    windows)
      [ -n "${APPDATA:-}" ] || [ -n "$home" ] || return 1
      zoom_unix_path "${APPDATA:-$home/AppData/Roaming}"
      _zpath="$_zpath/Claude/claude_desktop_config.json"
      ;;
    *)
      [ -n "${XDG_CONFIG_HOME:-}" ] || [ -n "$home" ] || return 1
      _zpath="${XDG_CONFIG_HOME:-$home/.config}/Claude/claude_desktop_config.json"
      ;;
  esac
}
