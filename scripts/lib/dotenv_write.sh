# shellcheck shell=bash
# SC2154: _zl, _zb* (dotenv.sh's reader) and _zres, _ztmp (common.sh's helpers)
# are set by the functions this file calls.
# shellcheck disable=SC2154
# scripts/lib/dotenv_write.sh — the .env writer, sourced after common.sh by the
# scripts that write .env (get_zoom_token.sh). It relies on the reader in
# dotenv.sh, which parses the file exactly as python-dotenv does.

# zoom_env_rewrite FILE KEY VALUE [KEY VALUE...]: set each KEY to VALUE in the
# env file. Each binding of KEY (a broken one too: python-dotenv skips those)
# is replaced in place, all its lines by one, keeping its indent, `export `,
# quote style, inline comment and line ending; a KEY not bound yet is appended.
# Every other byte stays, so every other key keeps its value (a line such as
# ZOOM_ACCESS_TOKEN=... inside another key's multi-line value is that value,
# not a binding). VALUEs are plain (token characters, digits): nothing to quote.
# Atomic, mode 0600.
zoom_env_rewrite() {
  local file=$1 target out='' i n b l e q pre tail
  local -a keys vals found at span
  shift
  n=0
  while [ "$#" -ge 2 ]; do
    case $2 in *[!A-Za-z0-9._~+/=-]*)
      zoom_die 1 "refusing to write $1 to $file: its value holds characters .env would need quoted" ;;
    esac
    keys[n]=$1 vals[n]=$2 found[n]=0
    n=$((n + 1))
    shift 2
  done
  zoom_resolve_symlink "$file"
  target=$_zres
  _zl=() _ze=() _zln=0 _zbn=0 _zbom=''
  if [ -e "$target" ]; then
    [ ! -d "$target" ] && [ -r "$target" ] || zoom_die 1 "cannot read $target; check its owner and mode (chmod 600 $target)"
    zoom_env_refuse_nul "$target"
    zoom_env_read "$target"
  fi
  # at[line]: 1 + the binding to write there; span[line]: 1 inside a replaced
  # binding's further lines (dropped).
  b=0
  while [ "$b" -lt "$_zbn" ]; do
    i=0
    while [ "$i" -lt "$n" ]; do
      if [ "${_zbk[b]}" = "${keys[i]}" ]; then
        at[_zbf[b]]=$((b + 1))
        l=$((_zbf[b] + 1))
        while [ "$l" -le "${_zbl[b]}" ]; do
          span[l]=1
          l=$((l + 1))
        done
      fi
      i=$((i + 1))
    done
    b=$((b + 1))
  done
  out=$_zbom
  l=0
  while [ "$l" -lt "$_zln" ]; do
    if [ -n "${at[l]:-}" ]; then
      b=$((at[l] - 1))
      i=0
      while [ "${keys[i]}" != "${_zbk[b]}" ]; do i=$((i + 1)); done
      pre=${_zbp[b]} q=${_zbq[b]} tail=${_zbt[b]}
      [ "${_zbx[b]}" = 0 ] || tail='' # what made it broken goes
      [ "${_zbh[b]}" = 1 ] || pre=$pre=
      # An unquoted value needs a blank before its comment's "#".
      case $q$tail in \#*) tail=" $tail" ;; esac
      out=$out$pre$q${vals[i]}$q$tail${_ze[_zbl[b]]}
      found[i]=1
    elif [ -z "${span[l]:-}" ]; then
      out=$out${_zl[l]}${_ze[l]}
    fi
    l=$((l + 1))
  done
  e=$'\n'
  [ "$_zln" = 0 ] || [ -z "${_ze[0]}" ] || e=${_ze[0]} # new lines end as the first one does
  i=0
  while [ "$i" -lt "$n" ]; do
    if [ "${found[i]}" = 0 ]; then
      # Appending after a last line without a line break: end that line first.
      if [ "$_zln" != 0 ] && [ -z "${_ze[_zln - 1]}" ]; then
        out=$out$e
        _ze[_zln - 1]=$e
      fi
      out=$out${keys[i]}=${vals[i]}$e
    fi
    i=$((i + 1))
  done
  zoom_tmp_beside "$target"
  printf '%s' "$out" >"$_ztmp" || zoom_write_failed "$target"
  zoom_commit "$_ztmp" "$target"
}

# bash cannot hold a NUL byte (bash 5 drops it, 3.2 cuts the line there), so a
# rewrite would silently change that line: a file holding one is a
# configuration error (exit 2), named with its line, and left alone.
zoom_env_refuse_nul() { # zoom_env_refuse_nul FILE
  local head nl
  IFS= read -r -d '' head <"$1" || return 0 # read to the end: no NUL
  nl=${head//[!$'\n']/}
  zoom_die 2 "$1 holds a NUL byte on line $((${#nl} + 1)); the scripts cannot keep it, so it is left unchanged: remove that byte, then run again"
}
