# shellcheck shell=bash
# scripts/lib/dotenv.sh — the .env reader, sourced by common.sh (the writer,
# which only get_zoom_token.sh needs, is dotenv_write.sh: less for the status
# check to load).
#
# The token monitor reads .env with python-dotenv's dotenv_values(interpolate=False);
# the scripts must read the very same values, and a rewrite must change only the
# keys it sets. So this is python-dotenv 1.x's grammar (dotenv/parser.py), step
# by step, over the file's lines:
#   - the file is UTF-8 text read with universal newlines: \r\n, \r and \n all
#     end a line; a BOM is dropped at the very start only;
#   - a binding is [blanks][export<blanks>]KEY[blanks][=[blanks]VALUE][blanks][#...];
#     KEY is 'quoted' or runs up to "=", "#" or a blank; "KEY" alone (no "=")
#     binds no value (None: the key is in the file but unset);
#   - a 'single' or "double" quoted VALUE may span lines; "double" undoes
#     \\ \' \" \a \b \f \n \r \t \v, 'single' undoes \\ and \'; any other
#     backslash stays; after the closing quote only blanks and a #comment;
#   - an unquoted VALUE is the rest of the line, cut at the first "#" that
#     follows a blank, right-trimmed; "KEY= #x" (blank, then #) is empty;
#   - "blank" is Python's whitespace, Unicode included (NBSP, U+3000, \x1c...);
#   - a line that breaks these rules (an unclosed quote, text after a closing
#     quote, a line starting with "=") is skipped from the point of the error to
#     the end of that line, and parsing goes on with the next line.
# Not representable here: NUL bytes (bash cannot hold them; the writer refuses
# such a file) and text that is not UTF-8 (python-dotenv cannot read it at all).
#
# Portable to bash 3.2 (no mapfile, no namerefs) and fork-free: the status
# check (check_zoom_token.sh) reads .env on every call. Results come back in
# globals (_z*) as in common.sh.

# Python's whitespace that can sit inside a line (str.isspace(), minus \r and
# \n): the ASCII ones as one glob bracket, the UTF-8 ones spelled out below.
_ZOOM_WS=$' \t\v\f\x1c\x1d\x1e\x1f'

# _zoom_ws_at TEXT -> _zwl: the length in bytes of the whitespace character
# TEXT starts with; 0 when it starts with none.
_zoom_ws_at() {
  case $1 in
    ["$_ZOOM_WS"]*) _zwl=1 ;;
    $'\xc2\x85'* | $'\xc2\xa0'*) _zwl=2 ;;
    $'\xe1\x9a\x80'* | $'\xe2\x81\x9f'* | $'\xe3\x80\x80'* | \
      $'\xe2\x80'[$'\x80\x81\x82\x83\x84\x85\x86\x87\x88\x89\x8a\xa8\xa9\xaf']*) _zwl=3 ;;
    *) _zwl=0 ;;
  esac
}

# _zoom_lstrip TEXT -> _zls: TEXT without the whitespace it starts with.
_zoom_lstrip() {
  _zls=$1
  while :; do
    case $_zls in
      ["$_ZOOM_WS"]*) _zls=${_zls#?} ;;
      [$'\xc2\xe1\xe2\xe3']*)
        _zoom_ws_at "$_zls"
        [ "$_zwl" != 0 ] || return 0
        _zls=${_zls:_zwl}
        ;;
      *) return 0 ;;
    esac
  done
}

# _zoom_rstrip TEXT -> _zrs: TEXT without the whitespace it ends with. Looks
# at the last bytes only (a glob such as *[ ] would try every position).
_zoom_rstrip() {
  _zrs=$1
  while :; do
    case ${_zrs: -1} in
      '') return 0 ;;
      ["$_ZOOM_WS"]) _zrs=${_zrs%?} ;;
      [$'\x80\x81\x82\x83\x84\x85\x86\x87\x88\x89\x8a\x9f\xa0\xa8\xa9\xaf']) # the last byte of a UTF-8 blank?
        case ${_zrs: -2} in
          $'\xc2\x85' | $'\xc2\xa0') _zrs=${_zrs%??} && continue ;;
        esac
        case ${_zrs: -3} in
          $'\xe1\x9a\x80' | $'\xe2\x81\x9f' | $'\xe3\x80\x80' | \
            $'\xe2\x80'[$'\x80\x81\x82\x83\x84\x85\x86\x87\x88\x89\x8a\xa8\xa9\xaf']) _zrs=${_zrs%???} ;;
          *) return 0 ;;
        esac
        ;;
      *) return 0 ;;
    esac
  done
}

# _zoom_key_end TEXT -> _zkey: TEXT up to its first "=", "#" or whitespace.
_zoom_key_end() {
  local rest p pre=''
  _zkey=${1%%[=#"$_ZOOM_WS"]*}
  case $_zkey in *[$'\xc2\xe1\xe2\xe3']*) ;; *) return 0 ;; esac
  # A non-ASCII byte: cut at the first UTF-8 whitespace character, if any.
  rest=$_zkey
  while :; do
    case $rest in *[$'\xc2\xe1\xe2\xe3']*) ;; *) return 0 ;; esac
    p=${rest%%[$'\xc2\xe1\xe2\xe3']*}
    pre=$pre$p rest=${rest:${#p}}
    _zoom_ws_at "$rest"
    if [ "$_zwl" != 0 ]; then
      _zkey=$pre
      return 0
    fi
    pre=$pre${rest:0:1} rest=${rest:1}
  done
}

# _zoom_unquoted TEXT -> _zv (the value), _zt (what follows it: blanks and a
# comment). python-dotenv: re.sub(r"\s+#.*", "", TEXT).rstrip().
_zoom_unquoted() {
  local rest=$1 cut=''
  while :; do
    case $rest in *'#'*) ;; *) cut=$1 && break ;; esac
    cut=$cut${rest%%#*}
    rest=${rest#*#}
    _zoom_rstrip "$cut"
    [ "${#_zrs}" = "${#cut}" ] || break # a blank before this "#": the comment starts here
    cut=$cut'#'
  done
  _zoom_rstrip "$cut"
  _zv=$_zrs
  _zt=${1:${#_zv}}
}

# _zoom_quoted QUOTE TEXT LINE: TEXT (on line LINE, after an opening QUOTE)
# up to the closing QUOTE, across lines if need be; a backslash takes the next
# character, a line break included. -> _zraw (between the quotes, lines joined
# by \n), _zrest (the rest of the closing line), _zend (that line). Returns 1
# when the file ends first.
_zoom_quoted() {
  local q=$1 t=$2 j=$3 raw='' pfx
  while :; do
    if [ "$q" = '"' ]; then
      case $t in *[\\\"]*) pfx=${t%%[\\\"]*} ;; *) pfx=$t ;; esac
    else
      case $t in *[\\\']*) pfx=${t%%[\\\']*} ;; *) pfx=$t ;; esac
    fi
    raw=$raw$pfx
    t=${t:${#pfx}}
    case $t in
      '')
        j=$((j + 1))
        [ "$j" -lt "$_zln" ] || return 1
        raw=$raw$'\n'
        t=${_zl[j]}
        ;;
      "$q"*)
        _zraw=$raw _zrest=${t:1} _zend=$j
        return 0
        ;;
      ?)
        j=$((j + 1)) # a backslash at the end of the line takes the line break
        [ "$j" -lt "$_zln" ] || return 1
        raw=$raw$'\\\n'
        t=${_zl[j]}
        ;;
      *)
        raw=$raw${t:0:2}
        t=${t:2}
        ;;
    esac
  done
}

# Undo the escapes python-dotenv undoes inside QUOTE (see the top), one
# backslash at a time with parameter expansion. -> _zv
_zoom_unescape() { # _zoom_unescape QUOTE TEXT
  local q=$1 rest=$2 out='' c
  while :; do
    case $rest in *\\*) ;; *) break ;; esac
    out=$out${rest%%\\*}
    rest=${rest#*\\}
    c=${rest:0:1}
    rest=${rest:1}
    case $q$c in
      ?\\ | ?\' | \"\") out=$out$c ;;
      \"n) out=$out$'\n' ;;
      \"t) out=$out$'\t' ;;
      \"r) out=$out$'\r' ;;
      \"a) out=$out$'\a' ;;
      \"b) out=$out$'\b' ;;
      \"f) out=$out$'\f' ;;
      \"v) out=$out$'\v' ;;
      *) out=$out\\$c ;; # not an escape there: the backslash stays
    esac
  done
  _zv=$out$rest
}

# zoom_env_read FILE: read FILE and parse it.
#   _zl[i], _ze[i]   the lines (i from 0 to _zln - 1) and what ended each
#                    (\n, \r\n, \r, or nothing for a last line without one)
#   _zbom            the BOM the file started with, if any (not in _zl[0])
#   _zbn             the number of bindings, in file order; binding b is
#   _zbk[b]          its key (a line broken before its key is no binding)
#   _zbv[b] _zbh[b]  its value, and 1 when it has one (0: "KEY" alone, None)
#   _zbx[b]          1 when python-dotenv skips it (a broken line): only a
#                    rewrite looks at these, to replace a broken line of its key
#   _zbf[b] _zbl[b]  its first and last line
#   _zbp[b] _zbq[b]  the text before its value (blanks, export, key, "=") and
#   _zbt[b]          the value's quote; what follows the value on its last line
# Comment and blank lines are no bindings.
zoom_env_read() {
  local line='' n=0 bom=$'\xef\xbb\xbf'
  _zl=() _ze=() _zbom=''
  while IFS= read -r line; do # (few commands per line: the status check runs this)
    case $line in
      *$'\r'*) _zoom_env_cr "$line" $'\n' ;;
      *) _zl[n]=$line _ze[n]=$'\n' n=$((n + 1)) ;;
    esac
  done <"$1"
  [ -z "$line" ] || _zoom_env_cr "$line" '' # a last line without a line break
  _zln=$n
  case ${_zl[0]-} in "$bom"*) _zbom=$bom _zl[0]=${_zl[0]#"$bom"} ;; esac
  _zoom_env_parse
}

# A line holding a \r: \r\n ends it as \n does, and a lone \r ends a line too
# (universal newlines). _zoom_env_cr LINE ENDING, with the caller's n.
_zoom_env_cr() {
  local line=$1 e=$2
  case $line in *$'\r') line=${line%$'\r'} e=$'\r'$e ;; esac
  while :; do
    case $line in *$'\r'*) ;; *) break ;; esac
    _zl[n]=${line%%$'\r'*} _ze[n]=$'\r' n=$((n + 1))
    line=${line#*$'\r'}
  done
  _zl[n]=$line _ze[n]=$e n=$((n + 1))
}

# python-dotenv's parse_binding, once per binding, over _zl: each binding
# starts on a line of its own and ends at the end of a line (its last, when a
# quoted key or value spans several).
_zoom_env_parse() {
  local i=0 b=0 s r k pre sep j
  _zbk=() _zbv=() _zbh=() _zbx=() _zbf=() _zbl=() _zbp=() _zbq=() _zbt=()
  while [ "$i" -lt "$_zln" ]; do
    s=${_zl[i]}
    # Most lines are NAME=VALUE, VALUE unquoted and without "#": its value is
    # VALUE right-trimmed. Checked with globs that need not scan VALUE (a regex
    # would be compiled anew on every line).
    case $s in
      [A-Za-z_]*=*)
        r=${s#*=}
        k=${s:0:${#s}-${#r}-1}
        case $k in *[!A-Za-z0-9_]*) ;; *)
          case $r in [\"\'"$_ZOOM_WS"]* | [$'\xc2\xe1\xe2\xe3']* | *'#'*) ;; *)
            case ${r: -1} in
              [!"$_ZOOM_WS"$'\x80\x81\x82\x83\x84\x85\x86\x87\x88\x89\x8a\x9f\xa0\xa8\xa9\xaf']) _zrs=$r ;;
              *) _zoom_rstrip "$r" ;;
            esac
            _zbk[b]=$k _zbv[b]=$_zrs _zbh[b]=1 _zbx[b]=0 _zbf[b]=$i _zbl[b]=$i _zbp[b]=$k= _zbq[b]='' \
              _zbt[b]=${r:${#_zrs}} b=$((b + 1)) i=$((i + 1))
            continue
            ;;
          esac
          ;;
        esac
        ;;
    esac
    _zoom_lstrip "$s"
    s=$_zls
    case $s in
      '' | '#'* | =*) i=$((i + 1)) && continue ;; # blank, comment, or no key (skipped)
      export*)
        _zoom_lstrip "${s#export}"
        if [ "${#_zls}" -lt $((${#s} - 6)) ]; then # "export" and blanks: a prefix
          s=$_zls
          case $s in '' | '#'* | =*) i=$((i + 1)) && continue ;; esac
        fi
        ;;
    esac
    pre=${_zl[i]:0:${#_zl[i]}-${#s}}
    j=$i
    case $s in
      \'*)
        _zoom_quoted_key "$i" "${s#\'}" || { i=$((i + 1)) && continue; }
        k=$_zkey r=$_zrest j=$_zend
        pre=$pre\'$k\'
        ;;
      *)
        _zoom_key_end "$s"
        k=$_zkey r=${s:${#_zkey}}
        pre=$pre$k
        ;;
    esac
    _zoom_lstrip "$r"
    sep=${r:0:${#r}-${#_zls}}
    r=$_zls
    _zbk[b]=$k _zbv[b]='' _zbh[b]=1 _zbx[b]=0 _zbf[b]=$i _zbq[b]='' _zbt[b]=''
    case $r in
      =*)
        _zoom_lstrip "${r#=}"
        sep=$sep${r:0:${#r}-${#_zls}}
        _zend=$j
        case $((${#r} - ${#_zls})):$_zls in
          1:* | *:[!#]* | *:) _zoom_value "$b" "$_zls" "$j" ;;
          *) _zbt[b]=$_zls ;; # "KEY= #x": blanks after "=", then "#": empty, a comment
        esac
        j=$_zend
        ;;
      *) # "KEY" alone: no value; only blanks and a comment may follow
        _zbh[b]=0 _zbt[b]=$sep$r sep=''
        case $r in '' | '#'*) ;; *) _zbx[b]=1 ;; esac
        ;;
    esac
    _zbp[b]=$pre$sep _zbl[b]=$j
    b=$((b + 1))
    i=$((j + 1))
  done
  _zbn=$b
}

# _zoom_value B TEXT LINE: binding B's value from TEXT (after "=" and its
# blanks, on line LINE). -> _zbv[B] _zbq[B] _zbt[B] _zbx[B], _zend
_zoom_value() {
  local b=$1 q
  _zend=$3
  case $2 in
    \"* | \'*)
      q=${2:0:1}
      _zbq[b]=$q
      if _zoom_quoted "$q" "${2:1}" "$3"; then
        case $_zraw in *\\*) _zoom_unescape "$q" "$_zraw" ;; *) _zv=$_zraw ;; esac
        _zbv[b]=$_zv
        _zoom_lstrip "$_zrest"
        case $_zls in '' | '#'*) _zbt[b]=$_zrest ;; *) _zbx[b]=1 ;; esac # else: text after the quote
      else
        _zbx[b]=1 _zend=$3 # never closed: only this line is skipped
      fi
      ;;
    *)
      _zoom_unquoted "$2"
      _zbv[b]=$_zv _zbt[b]=$_zt
      ;;
  esac
}

# _zoom_quoted_key LINE TEXT: a 'quoted key' from TEXT (after the opening
# quote, on line LINE): one character or more, up to the next quote, across
# lines if need be. -> _zkey, _zrest, _zend; returns 1 when there is none.
_zoom_quoted_key() {
  local j=$1 t=$2 key=''
  while :; do
    case $t in *\'*) break ;; esac
    j=$((j + 1))
    [ "$j" -lt "$_zln" ] || return 1
    key=$key$t$'\n'
    t=${_zl[j]}
  done
  key=$key${t%%\'*}
  [ -n "$key" ] || return 1
  _zkey=$key _zrest=${t#*\'} _zend=$j
}

# zoom_env_value FILE KEY: print KEY's value as python-dotenv reads it (the
# last binding wins); return 1, printing nothing, when FILE gives it none.
zoom_env_value() {
  local b v='' has=0
  zoom_env_read "$1"
  for ((b = 0; b < _zbn; b++)); do
    if [ "${_zbk[b]}" = "$2" ] && [ "${_zbx[b]}" = 0 ]; then
      has=${_zbh[b]} v=${_zbv[b]}
    fi
  done
  [ "$has" = 1 ] || return 1
  printf '%s' "$v"
}
