# shellcheck shell=bash
# SC2016: the jq programs' $variables are jq's, single-quoted on purpose.
# SC2154: _zhlog and _znow are set by common.sh's helpers this file calls.
# shellcheck disable=SC2016,SC2154
# scripts/lib/history.sh — reads the refresh history that zoom_history (common.sh)
# and the token monitor (history.py) write. Sourced after common.sh by
# check_zoom_token.sh (--history) and doctor.sh; jq 1.6 does the work, local
# times included (strflocaltime, as TZ says), so no date(1) flavour matters.

# The newest lines first come from the log, then from its last rotated copy
# (.1) when the log holds fewer: N lines on stdout, oldest first.
zoom_history_lines() { # zoom_history_lines N
  zoom_history_path
  if [ -f "$_zhlog.1" ]; then
    cat -- "$_zhlog.1" "$_zhlog" 2>/dev/null | tail -n "$1"
  else
    tail -n "$1" -- "$_zhlog" 2>/dev/null
  fi
}

# One line per event, in words, at local time: `03:02:11  ✅ refreshed by
# monitor in 0.14 s, expires 04:02:11`. A line with the day comes first and
# wherever the day changes. Lines that are not an event are skipped.
_ZOOM_HISTORY_SHOW='
def dur: (if . < 0 then -. else . end) as $s
  | if $s >= 3600 then "\($s / 3600 | floor)h \($s % 3600 / 60 | floor)m"
    elif $s >= 60 then "\($s / 60 | floor)m" else "\($s | floor)s" end;
def clock: strflocaltime("%H:%M:%S");
def secs: if . < 0.005 then "<0.01"
  else ((. * 100 + 0.5) | floor) as $c
    | "\($c / 100 | floor).\($c % 100 | if . < 10 then "0\(.)" else tostring end)" end;
def who: {"monitor": "by monitor", "script": "by hand", "run.sh": "by run.sh", "401": "after a 401"}[.by]
  // "by \(.by)";
def left($old): .token_left_s as $l
  | if $l == null then "no token" elif $l > 0 then "\($old)token valid for \($l | dur)"
    else "\($old)token expired \($l | dur) ago" end;
def why: if .exit == null then .reason // "?" else "exit \(.exit): \(.reason // "?")" end;
def text:
  if .event == "fetch_started" then
    "⏳ fetch started \(who) (\(if .forced then "forced; " else "" end)\(left("")))"
  elif .event == "fetch_succeeded" then
    "✅ refreshed \(who)\(if .duration_s then " in \(.duration_s | secs) s" else "" end)"
    + "\(if .expires_at then ", expires \(.expires_at | clock)" else "" end)"
  elif .event == "fetch_failed" then "❌ fetch failed (\(why)); \(left("old "))"
  elif .event == "reload_failed" then "❌ no valid token in .env after the fetch; \(left("old "))"
  elif .event == "token_valid" then "💤 token still valid for \(.token_left_s | dur); no request (\(who))"
  elif .event == "auto_refresh_disabled" then
    "⛔ auto-refresh disabled after \(.failures) failures; recover: \(.recover)"
  elif .event == "auto_refresh_enabled" then
    "🔁 auto-refresh re-enabled: \(if .how == "env_token" then "a fresh token found in .env" else .how end)"
  elif .event == "config_updated" then
    ({"install": "📝 zoom server installed in the Claude Desktop config",
      "remove": "📝 zoom server removed from the Claude Desktop config"}[.mode]
     // "📝 Claude Desktop config updated") + " (\(who))"
  elif .event == "config_unchanged" then "📝 Claude Desktop config unchanged: \(.why) (\(who))"
  elif .event == "config_skipped" then
    "📝 Claude Desktop config not updated: \(if .why == "extension" then "runs as an extension" else .why end)"
  elif .event == "config_failed" then "⚠️  Claude Desktop config update failed (\(why)) (\(who))"
  elif .event == "restart_done" then
    "🚀 Claude Desktop \(if .was_running then "restarted" else "started" end) (\(who))"
  elif .event == "restart_skipped" then
    "🚀 Claude Desktop restart skipped: \(if .why == "extension" then "runs as an extension" else .why end)"
    + " (\(who))"
  elif .event == "restart_failed" then "⚠️  Claude Desktop restart failed (\(why)) (\(who))"
  elif .event == "unauthorized" then
    "🔒 Zoom answered 401: " + ({"refresh": "fetching a new token",
      "env_token": "using the newer token in .env", "disabled": "auto-refresh is disabled; no request",
      "cooldown": "no request before \(.retry_at // 0 | clock) (cooldown)"}[.followed] // .followed)
  else "• \(.event) (\(who))" end;
foreach (inputs | fromjson? | select(type == "object" and (.ts | type) == "string")
         | . + {t: (.ts | fromdateiso8601? // null)} | select(.t != null)) as $e
  ({day: null, out: []};
   ($e.t | strflocaltime("%a %d %b %Y")) as $d
   | .out = (if $d != .day then ["── \($d) ──"] else [] end) + ["\($e.t | clock)  \($e | text)"]
   | .day = $d;
   .out[])'

zoom_history_show() { # zoom_history_show N
  zoom_history_lines "$1" | jq -nrR "$_ZOOM_HISTORY_SHOW"
}

# Failed token fetches in the 24 h before now: -> _zhfail (how many), _zhlast
# (the last one's local time and reason, "03:33:10: timeout after 15 s").
# Reads the last 128 KiB only (of .1 and the log).
zoom_history_failures() {
  local out
  _zhfail=0 _zhlast=''
  zoom_history_path
  zoom_now
  out=$({ cat -- "$_zhlog.1" 2>/dev/null || :; cat -- "$_zhlog" 2>/dev/null || :; } | tail -c 131072 |
    jq -nrR --argjson now "$_znow" '
      [inputs | fromjson? | select(type == "object")
       | select(.event == "fetch_failed" or .event == "reload_failed")
       | select((.ts | fromdateiso8601? // 0) > $now - 86400)]
      | "\(length)\t\(if length > 0 then (.[-1] | "\(.ts | fromdateiso8601 | strflocaltime("%H:%M:%S")): \(.reason // "?")")
                     else "" end | gsub("[[:cntrl:]]"; " "))"') || return 1
  _zhfail=${out%%$'\t'*}
  _zhlast=${out#*$'\t'}
}
