#!/usr/bin/env bats
# update_claude_config.sh: jq edits of Claude Desktop's config, safely.

load test_helper

setup() {
  kit_setup
  TOKEN=eyJzdiI6IjAwMDAwMSJ9.new-token-payload.sig-abcdNTMz
  write_env "ZOOM_ACCESS_TOKEN=$TOKEN" "ZOOM_TOKEN_EXPIRES_AT=4000000000"
  CONFIG=$BATS_TEST_TMPDIR/claude/claude_desktop_config.json
  export CLAUDE_CONFIG_FILE=$CONFIG
  mkdir -p "${CONFIG%/*}"
}

# A config with other servers, other keys of our entry and top-level settings.
write_config() {
  cat >"$CONFIG" <<'EOF'
{
  "globalShortcut": "Ctrl+Space",
  "mcpServers": {
    "filesystem": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"], "env": {"A": "1"}},
    "zoom": {
      "command": "/opt/zoom-mcp/run.sh",
      "args": ["--verbose"],
      "env": {"ZOOM_ENV_FILE": "/opt/zoom-mcp/.env", "ZOOM_ACCESS_TOKEN": "eyJzdiI6.old-token.OLD0", "EXTRA": "x"}
    },
    "github": {"command": "gh-mcp", "env": {"GITHUB_TOKEN": "ghp_secretvalue123456"}}
  },
  "theme": {"dark": true, "size": 1.5, "list": [1, 2, 3]}
}
EOF
  chmod 600 "$CONFIG"
}

# Everything but our entry's token, sorted, for an exact comparison.
all_but_token() {
  jq -S 'del(.mcpServers.zoom.env.ZOOM_ACCESS_TOKEN)' "$1"
}

@test "-h and --help print the usage header and exit 0" {
  run "$SCRIPTS/update_claude_config.sh" -h
  assert_success
  assert_line 0 "Usage: update_claude_config.sh [--install] [--remove] [--dry-run]"
  run "$SCRIPTS/update_claude_config.sh" --help
  assert_success
}

@test "an unknown option, or --install with --remove: usage on stderr, exit 2" {
  run --separate-stderr "$SCRIPTS/update_claude_config.sh" --frobnicate
  assert_status 2
  refute_output
  case $stderr in "ERROR: unknown option: --frobnicate"$'\n'"Usage: update_claude_config.sh"*) ;; *) flunk "stderr: $stderr" ;; esac
  run "$SCRIPTS/update_claude_config.sh" --install --remove
  assert_status 2
}

@test "sets the token and changes nothing else: other servers, other keys, top-level settings" {
  write_config
  all_but_token "$CONFIG" >"$BATS_TEST_TMPDIR/before"
  run --separate-stderr "$SCRIPTS/update_claude_config.sh"
  assert_success
  assert_line 0 "✅ Updated ZOOM_ACCESS_TOKEN of the \"zoom\" MCP server in $CONFIG (eyJz...NTMz)"
  assert_line 1 "💾 Previous content kept as $CONFIG.bak"
  assert_equal "$TOKEN" "$(jq -r '.mcpServers.zoom.env.ZOOM_ACCESS_TOKEN' "$CONFIG")"
  all_but_token "$CONFIG" | cmp - "$BATS_TEST_TMPDIR/before"
  # key order kept too
  assert_equal "globalShortcut mcpServers theme" "$(jq -r 'keys_unsorted | join(" ")' "$CONFIG")"
  assert_equal "filesystem zoom github" "$(jq -r '.mcpServers | keys_unsorted | join(" ")' "$CONFIG")"
  refute_output_contains "$TOKEN"
  case $stderr in *"$TOKEN"*) flunk "token on stderr" ;; esac
}

@test "the previous content is kept as <file>.bak, mode 0600" {
  write_config
  cp "$CONFIG" "$BATS_TEST_TMPDIR/original"
  run "$SCRIPTS/update_claude_config.sh"
  assert_success
  cmp "$CONFIG.bak" "$BATS_TEST_TMPDIR/original"
  assert_equal 600 "$(file_mode "$CONFIG.bak")"
}

@test "the write keeps the file's mode" {
  write_config
  chmod 644 "$CONFIG"
  run "$SCRIPTS/update_claude_config.sh"
  assert_success
  assert_equal 644 "$(file_mode "$CONFIG")"
  assert_equal 600 "$(file_mode "$CONFIG.bak")"
}

@test "a config that is not valid JSON is refused: exit 1, untouched, jq's message shown" {
  printf '{"mcpServers": {"zoom": {"env": {}}},,}\n' >"$CONFIG"
  cp "$CONFIG" "$BATS_TEST_TMPDIR/original"
  for args in "" --install --remove "--install --dry-run"; do
    # shellcheck disable=SC2086 # the options are words on purpose
    run --separate-stderr "$SCRIPTS/update_claude_config.sh" $args
    assert_status 1
    case $stderr in
      "ERROR: $CONFIG is not valid JSON; left untouched:"$'\n'*"parse error"*) ;;
      *) flunk "stderr: $stderr" ;;
    esac
    cmp "$CONFIG" "$BATS_TEST_TMPDIR/original"
    [ ! -e "$CONFIG.bak" ]
  done
  printf '[1, 2]\n' >"$CONFIG"
  run "$SCRIPTS/update_claude_config.sh" --install
  assert_status 1
  assert_output_contains "not a JSON object"
}

@test "no config file, or no entry: nothing to update, exit 0, nothing written" {
  run "$SCRIPTS/update_claude_config.sh"
  assert_success "Nothing to update: $CONFIG does not exist (use --install to add the zoom server)"
  [ ! -e "$CONFIG" ]
  printf '{"mcpServers": {"other": {"command": "x"}}}\n' >"$CONFIG"
  cp "$CONFIG" "$BATS_TEST_TMPDIR/original"
  run "$SCRIPTS/update_claude_config.sh"
  assert_success "Nothing to update: no \"zoom\" entry in mcpServers of $CONFIG (use --install to add it)"
  cmp "$CONFIG" "$BATS_TEST_TMPDIR/original"
  run "$SCRIPTS/update_claude_config.sh" --remove
  assert_success
  cmp "$CONFIG" "$BATS_TEST_TMPDIR/original"
}

@test "no token in .env: exit 2 (configuration error)" {
  write_config
  write_env "ZOOM_ACCESS_TOKEN="
  run "$SCRIPTS/update_claude_config.sh"
  assert_status 2
  assert_output_contains "ERROR: no ZOOM_ACCESS_TOKEN in $ENV_FILE"
}

@test "--install creates the file and its folder: command is run.sh, env has ZOOM_ENV_FILE and the token" {
  rm -rf "${CONFIG%/*}"
  run "$SCRIPTS/update_claude_config.sh" --install
  assert_success
  root=$(cd "$PROJECT" && pwd -P)
  assert_line 0 "✅ Installed the \"zoom\" MCP server in $CONFIG (command: $root/run.sh)"
  assert_equal "$root/run.sh" "$(jq -r '.mcpServers.zoom.command' "$CONFIG")"
  assert_equal "$root/.env" "$(jq -r '.mcpServers.zoom.env.ZOOM_ENV_FILE' "$CONFIG")"
  assert_equal "$TOKEN" "$(jq -r '.mcpServers.zoom.env.ZOOM_ACCESS_TOKEN' "$CONFIG")"
  assert_equal 600 "$(file_mode "$CONFIG")"
  refute_output_contains "$TOKEN"
  [ ! -e "$CONFIG.bak" ]
}

@test "--install replaces our entry only; other servers and settings kept" {
  write_config
  jq -S 'del(.mcpServers.zoom)' "$CONFIG" >"$BATS_TEST_TMPDIR/others"
  run "$SCRIPTS/update_claude_config.sh" --install
  assert_success
  jq -S 'del(.mcpServers.zoom)' "$CONFIG" | cmp - "$BATS_TEST_TMPDIR/others"
  root=$(cd "$PROJECT" && pwd -P)
  assert_equal "{\"command\":\"$root/run.sh\",\"args\":[],\"env\":{\"ZOOM_ENV_FILE\":\"$root/.env\",\"ZOOM_ACCESS_TOKEN\":\"$TOKEN\"}}" \
    "$(jq -c '.mcpServers.zoom' "$CONFIG")"
  # and again: already up to date, nothing written
  cp "$CONFIG" "$BATS_TEST_TMPDIR/after"
  rm "$CONFIG.bak"
  run "$SCRIPTS/update_claude_config.sh" --install
  assert_success
  assert_output_contains "already up to date"
  cmp "$CONFIG" "$BATS_TEST_TMPDIR/after"
  [ ! -e "$CONFIG.bak" ]
}

@test "--remove deletes our entry only" {
  write_config
  jq -S 'del(.mcpServers.zoom)' "$CONFIG" >"$BATS_TEST_TMPDIR/expected"
  run "$SCRIPTS/update_claude_config.sh" --remove
  assert_success "✅ Removed the \"zoom\" MCP server from $CONFIG
💾 Previous content kept as $CONFIG.bak"
  jq -S . "$CONFIG" | cmp - "$BATS_TEST_TMPDIR/expected"
}

@test "CLAUDE_MCP_SERVER_NAME names the entry" {
  write_config
  CLAUDE_MCP_SERVER_NAME=filesystem run "$SCRIPTS/update_claude_config.sh"
  assert_success
  assert_equal "$TOKEN" "$(jq -r '.mcpServers.filesystem.env.ZOOM_ACCESS_TOKEN' "$CONFIG")"
  assert_equal "1" "$(jq -r '.mcpServers.filesystem.env.A' "$CONFIG")"
  assert_equal "eyJzdiI6.old-token.OLD0" "$(jq -r '.mcpServers.zoom.env.ZOOM_ACCESS_TOKEN' "$CONFIG")"
}

@test "--dry-run prints the result with secrets masked and writes nothing" {
  write_config
  cp "$CONFIG" "$BATS_TEST_TMPDIR/original"
  for args in "--dry-run" "--install --dry-run" "--remove --dry-run"; do
    # shellcheck disable=SC2086
    run --separate-stderr "$SCRIPTS/update_claude_config.sh" $args
    assert_success
    printf '%s' "$output" | jq -e . >/dev/null
    refute_output_contains "$TOKEN"
    refute_output_contains "ghp_secretvalue123456"
    assert_equal "Dry run: $CONFIG not changed" "$stderr"
    cmp "$CONFIG" "$BATS_TEST_TMPDIR/original"
    [ ! -e "$CONFIG.bak" ]
  done
  run "$SCRIPTS/update_claude_config.sh" --dry-run
  assert_equal "eyJz...NTMz" "$(printf '%s' "$output" | jq -r '.mcpServers.zoom.env.ZOOM_ACCESS_TOKEN')"
  assert_equal "x" "$(printf '%s' "$output" | jq -r '.mcpServers.zoom.env.EXTRA')"
}

@test "--dry-run masks the token wherever it is, one holding & \\ or \" too (bash 5.2's patsub_replacement)" {
  # An unquoted ${x//"$token"/$masked} turns each & of the masked token into the whole token in
  # bash 5.2, and text-level replacement misses a token that JSON escapes (\ and ").
  for tok in '&&a&-middle-of-the-token-&b&&' '\&"x-middle-of-the-token-x"&\'; do
    masked="${tok:0:4}...${tok: -4}"
    write_env "ZOOM_ACCESS_TOKEN=$tok"
    jq -n --arg t "$tok" '{mcpServers: {zoom: {command: "/x/run.sh", args: ["--token", $t, ("Bearer " + $t)],
      env: {ZOOM_ACCESS_TOKEN: "old-token-123456", NOTE: $t}}}}' >"$CONFIG"
    run --separate-stderr "$SCRIPTS/update_claude_config.sh" --dry-run
    assert_success
    ! printf '%s' "$output" | jq -r '.. | strings' | grep -qF -- "$tok" || flunk "the token was shown: $output"
    refute_output_contains "$tok"
    assert_equal "$(jq -cn --arg m "$masked" '["--token", $m, ("Bearer " + $m)]')" \
      "$(printf '%s' "$output" | jq -c '.mcpServers.zoom.args')"
    assert_equal "$masked" "$(printf '%s' "$output" | jq -r '.mcpServers.zoom.env.ZOOM_ACCESS_TOKEN')"
    assert_equal "$masked" "$(printf '%s' "$output" | jq -r '.mcpServers.zoom.env.NOTE')"
  done
}

@test "a symlinked config stays a symlink; its target is written" {
  write_config
  mkdir -p "$BATS_TEST_TMPDIR/dotfiles"
  mv "$CONFIG" "$BATS_TEST_TMPDIR/dotfiles/claude.json"
  ln -s ../dotfiles/claude.json "$CONFIG"
  run "$SCRIPTS/update_claude_config.sh"
  assert_success
  [ -L "$CONFIG" ]
  assert_equal "$TOKEN" "$(jq -r '.mcpServers.zoom.env.ZOOM_ACCESS_TOKEN' "$BATS_TEST_TMPDIR/dotfiles/claude.json")"
  assert_equal 600 "$(file_mode "$CONFIG.bak")"
}

@test "the token is never on jq's command line" {
  write_config
  real_jq=$(command -v jq)
  stub jq "exec $real_jq \"\$@\""
  run "$SCRIPTS/update_claude_config.sh"
  assert_success
  run "$SCRIPTS/update_claude_config.sh" --install
  assert_success
  grep -q '^jq ' "$STUB_LOG"
  ! grep -qF -- "$TOKEN" "$STUB_LOG" || flunk "the token was on jq's command line"
}

@test "an empty config file counts as {}" {
  : >"$CONFIG"
  run "$SCRIPTS/update_claude_config.sh"
  assert_success
  assert_output_contains "Nothing to update: no \"zoom\" entry"
  run "$SCRIPTS/update_claude_config.sh" --install
  assert_success
  assert_equal "$TOKEN" "$(jq -r '.mcpServers.zoom.env.ZOOM_ACCESS_TOKEN' "$CONFIG")"
}

@test "the default config path by OS (uname stubbed): macOS, Windows, Linux" {
  unset CLAUDE_CONFIG_FILE
  stub uname 'echo Darwin'
  run "$SCRIPTS/update_claude_config.sh" --install
  assert_success
  [ -f "$HOME/Library/Application Support/Claude/claude_desktop_config.json" ]

  stub_windows
  APPDATA=$HOME/AppData/Roaming run "$SCRIPTS/update_claude_config.sh" --install
  assert_success
  [ -f "$HOME/AppData/Roaming/Claude/claude_desktop_config.json" ]

  stub uname 'echo Linux'
  run "$SCRIPTS/update_claude_config.sh" --install
  assert_success
  [ -f "$HOME/.config/Claude/claude_desktop_config.json" ]
  XDG_CONFIG_HOME=$HOME/xdg run "$SCRIPTS/update_claude_config.sh" --install
  assert_success
  [ -f "$HOME/xdg/Claude/claude_desktop_config.json" ]
}

@test "run from / in a minimal environment, it finds the project's .env" {
  write_config
  cd /
  run env -i HOME="$HOME" PATH="$(minimal_path)" CLAUDE_CONFIG_FILE="$CONFIG" "$SCRIPTS/update_claude_config.sh"
  assert_success
  assert_equal "$TOKEN" "$(jq -r '.mcpServers.zoom.env.ZOOM_ACCESS_TOKEN' "$CONFIG")"
}

@test "temp files of a writer killed with -9 (they hold a token) are swept; a live writer's are not" {
  write_config
  dead=$(sh -c 'echo $$') # that process has exited
  for f in ".claude_desktop_config.json.tmp.$dead.AbCdEf" ".claude_desktop_config.json.bak.tmp.$dead.GhIjKl" \
    ".claude_desktop_config.json.tmp.$$.MnOpQr"; do
    printf '{"token":"%s"}\n' "$TOKEN" >"${CONFIG%/*}/$f"
  done
  run "$SCRIPTS/update_claude_config.sh"
  assert_success
  # (the lock file, where flock made one, is not a temp file)
  assert_equal "$(printf '%s\n' .claude_desktop_config.json.tmp.$$.MnOpQr claude_desktop_config.json \
    claude_desktop_config.json.bak)" "$(ls -A "${CONFIG%/*}" | grep -vx 'claude_desktop_config\.json\.lock' | LC_ALL=C sort)"
}

# --- review fixes -----------------------------------------------------------------

@test "a config holding several JSON documents is refused: exit 1, untouched, for every mode" {
  for content in '{"a":1}{"b":2}' $'{"mcpServers":{"zoom":{"env":{}}}}\n{}\n' '{} []'; do
    printf '%s' "$content" >"$CONFIG"
    cp "$CONFIG" "$BATS_TEST_TMPDIR/original"
    for args in "" --install --remove; do
      # shellcheck disable=SC2086 # the options are words on purpose
      run --separate-stderr "$SCRIPTS/update_claude_config.sh" $args
      assert_status 1
      case $stderr in
        "ERROR: $CONFIG is not valid JSON; left untouched:"$'\n'"it holds 2 JSON documents one after another, not one object") ;;
        *) flunk "$args: stderr: $stderr" ;;
      esac
      cmp "$CONFIG" "$BATS_TEST_TMPDIR/original"
      [ ! -e "$CONFIG.bak" ]
    done
  done
  # blanks only: still no document, an empty object
  printf ' \n\t\n' >"$CONFIG"
  run "$SCRIPTS/update_claude_config.sh" --install
  assert_success
}

@test "without --install, no config or no entry is nothing to do even without a token (exit 0)" {
  write_env "ZOOM_ACCESS_TOKEN="
  run "$SCRIPTS/update_claude_config.sh"
  assert_success "Nothing to update: $CONFIG does not exist (use --install to add the zoom server)"
  printf '{"mcpServers": {"other": {"command": "x"}}}\n' >"$CONFIG"
  cp "$CONFIG" "$BATS_TEST_TMPDIR/original"
  run "$SCRIPTS/update_claude_config.sh"
  assert_success "Nothing to update: no \"zoom\" entry in mcpServers of $CONFIG (use --install to add it)"
  cmp "$CONFIG" "$BATS_TEST_TMPDIR/original"
}

@test "--install with an mcpServers that is not an object is refused: exit 1, untouched" {
  for servers in '[{"command": "x"}]' '"zoom"' '42'; do
    printf '{"theme": "dark", "mcpServers": %s}\n' "$servers" >"$CONFIG"
    cp "$CONFIG" "$BATS_TEST_TMPDIR/original"
    run --separate-stderr "$SCRIPTS/update_claude_config.sh" --install
    assert_status 1
    type=$(jq -r '.mcpServers | type' "$CONFIG")
    assert_equal "ERROR: mcpServers in $CONFIG is $type, not an object; left untouched (make it an object, e.g. {}, by hand, then run again)" "$stderr"
    cmp "$CONFIG" "$BATS_TEST_TMPDIR/original"
    [ ! -e "$CONFIG.bak" ]
  done
  # null (or none at all) holds nothing to lose: --install makes the object
  printf '{"theme": "dark", "mcpServers": null}\n' >"$CONFIG"
  run "$SCRIPTS/update_claude_config.sh" --install
  assert_success
  assert_equal "$TOKEN" "$(jq -r '.mcpServers.zoom.env.ZOOM_ACCESS_TOKEN' "$CONFIG")"
  assert_equal dark "$(jq -r '.theme' "$CONFIG")"
}

@test "a config without any write bit is read-only by intent, even for root: exit 1, untouched" {
  write_config
  chmod 444 "$CONFIG"
  cp -p "$CONFIG" "$BATS_TEST_TMPDIR/original"
  for args in "" --install --remove; do
    # shellcheck disable=SC2086
    run --separate-stderr "$SCRIPTS/update_claude_config.sh" $args
    assert_status 1
    assert_equal "ERROR: $CONFIG is read-only; chmod u+w it, then run again" "$stderr"
    cmp "$CONFIG" "$BATS_TEST_TMPDIR/original"
    assert_equal 444 "$(file_mode "$CONFIG")"
    [ ! -e "$CONFIG.bak" ]
  done
  assert_equal claude_desktop_config.json "$(ls -A "${CONFIG%/*}")"
  # --dry-run writes nothing, so it still shows the result
  run "$SCRIPTS/update_claude_config.sh" --dry-run
  assert_success
  chmod 644 "$CONFIG"
  chmod 555 "${CONFIG%/*}"
  run --separate-stderr "$SCRIPTS/update_claude_config.sh"
  chmod 755 "${CONFIG%/*}"
  assert_status 1
  assert_equal "ERROR: the folder ${CONFIG%/*} is read-only; chmod u+w it, then run again ($CONFIG left untouched)" "$stderr"
  cmp "$CONFIG" "$BATS_TEST_TMPDIR/original"
}

@test "HOME unset and no CLAUDE_CONFIG_FILE: a configuration error that says what to set (exit 2)" {
  unset CLAUDE_CONFIG_FILE
  for os in Linux Darwin MINGW64_NT-10.0; do
    stub uname "echo $os"
    run --separate-stderr env -u HOME "$SCRIPTS/update_claude_config.sh"
    assert_status 2
    assert_equal "ERROR: HOME is not set; set CLAUDE_CONFIG_FILE (the path of claude_desktop_config.json)" "$stderr"
  done
  # CLAUDE_CONFIG_FILE is enough
  write_config
  run env -u HOME CLAUDE_CONFIG_FILE="$CONFIG" "$SCRIPTS/update_claude_config.sh"
  assert_success
}

@test "combined short flags and -- are accepted" {
  write_config
  cp "$CONFIG" "$BATS_TEST_TMPDIR/original"
  run --separate-stderr "$SCRIPTS/update_claude_config.sh" -n --
  assert_success
  assert_equal "Dry run: $CONFIG not changed" "$stderr"
  cmp "$CONFIG" "$BATS_TEST_TMPDIR/original"
  run --separate-stderr "$SCRIPTS/update_claude_config.sh" -- --install
  assert_status 2
  case $stderr in "ERROR: unexpected argument: --install"$'\n'"Usage: update_claude_config.sh"*) ;; *) flunk "stderr: $stderr" ;; esac
  cmp "$CONFIG" "$BATS_TEST_TMPDIR/original"
}

# --- one writer at a time (issue 10, item 6) ---------------------------------------

# Start 20 --install runs at once, each with its own server name, on one config; all must
# succeed and all 20 entries, and what was there before, must be in the result.
twenty_installs() {
  local i pids='' failed=''
  write_config
  export ZOOM_LOCK_TIMEOUT=600 # only bounds a hang: the runs take turns, slowly on a busy machine
  for i in $(seq 1 20); do
    CLAUDE_MCP_SERVER_NAME=server$i "$SCRIPTS/update_claude_config.sh" --install \
      >"$BATS_TEST_TMPDIR/out.$i" 2>&1 3>&- &
    pids="$pids $!"
  done
  i=0
  for pid in $pids; do
    i=$((i + 1))
    wait "$pid" || failed="$failed server$i: $(cat "$BATS_TEST_TMPDIR/out.$i")"
  done
  [ -z "$failed" ] || flunk "runs failed:$failed"
  jq -e 'type == "object"' "$CONFIG" >/dev/null || flunk "not one JSON object: $(cat "$CONFIG")"
  assert_equal "$(seq 1 20 | sed 's/^/server/' | LC_ALL=C sort)" \
    "$(jq -r '.mcpServers | keys[] | select(startswith("server"))' "$CONFIG" | LC_ALL=C sort)"
  assert_equal "filesystem zoom github" \
    "$(jq -r '[.mcpServers | keys_unsorted[] | select(startswith("server") | not)] | join(" ")' "$CONFIG")"
  assert_equal "eyJzdiI6.old-token.OLD0" "$(jq -r '.mcpServers.zoom.env.ZOOM_ACCESS_TOKEN' "$CONFIG")"
  assert_equal 600 "$(file_mode "$CONFIG")"
}

@test "20 concurrent --install runs, each its own server name, on one config: all 20 entries survive" {
  twenty_installs
}

@test "20 concurrent --install runs with the portable lock (no flock, as on macOS): all 20 entries survive" {
  export ZOOM_NO_FLOCK=1
  twenty_installs
  [ ! -e "$CONFIG.lock.d" ] || flunk "the lock was left behind"
}

@test "a config lock held past ZOOM_LOCK_TIMEOUT: exit 1, the config unchanged" {
  write_config
  cp "$CONFIG" "$BATS_TEST_TMPDIR/original"
  # the portable lock, held by a live process (this test's shell)
  mkdir "$CONFIG.lock.d"
  printf '%s\n' "$$" >"$CONFIG.lock.d/pid"
  ZOOM_NO_FLOCK=1 ZOOM_LOCK_TIMEOUT=1 run --separate-stderr "$SCRIPTS/update_claude_config.sh"
  assert_status 1
  assert_equal "ERROR: another update of $CONFIG still holds $CONFIG.lock after 1s; $CONFIG unchanged; try again once it has finished (or raise ZOOM_LOCK_TIMEOUT)" "$stderr"
  cmp "$CONFIG" "$BATS_TEST_TMPDIR/original"
  [ ! -e "$CONFIG.bak" ]
}

# --- Windows through Git Bash (issue 14), with uname and cygpath stubbed -------------

@test "Windows (Git Bash): --install writes bash.exe as the command and run.sh, ZOOM_ENV_FILE as Windows paths" {
  stub_windows
  unset CLAUDE_CONFIG_FILE
  export APPDATA='C:\Users\me\AppData\Roaming' # as Windows sets it
  CONFIG=$WIN_C/Users/me/AppData/Roaming/Claude/claude_desktop_config.json
  run "$SCRIPTS/update_claude_config.sh" --install
  assert_success
  bash_exe="$(windows_path "$(command -v bash)").exe"
  assert_line 0 "✅ Installed the \"zoom\" MCP server in $CONFIG (command: $bash_exe C:\\project\\run.sh)"
  assert_equal "$(jq -cn --arg b "$bash_exe" --arg t "$TOKEN" '{command: $b, args: ["C:\\project\\run.sh"],
    env: {ZOOM_ENV_FILE: "C:\\project\\.env", ZOOM_ACCESS_TOKEN: $t}}')" "$(jq -c '.mcpServers.zoom' "$CONFIG")"
  # the scripts read that ZOOM_ENV_FILE back (through cygpath -u): the token in the project's .env
  envfile=$(jq -r '.mcpServers.zoom.env.ZOOM_ENV_FILE' "$CONFIG")
  ZOOM_ENV_FILE=$envfile ZOOM_FAKE_NOW=1900000000 run "$SCRIPTS/check_zoom_token.sh" -v
  assert_success
  assert_line "   Env file:   $ENV_FILE"
  assert_line "   Token:      eyJz...NTMz"
  # and an update through it finds the entry again: nothing to change
  ZOOM_ENV_FILE=$envfile run "$SCRIPTS/update_claude_config.sh"
  assert_success "✅ \"zoom\" in $CONFIG already has the current token (eyJz...NTMz); nothing to change"
}

@test "Windows (Git Bash): --install without cygpath is a configuration error naming it (exit 2)" {
  stub uname 'echo MINGW64_NT-10.0-19045'
  run --separate-stderr env PATH="$STUB_BIN:$(minimal_path)" "$SCRIPTS/update_claude_config.sh" --install
  assert_status 2
  case $stderr in "ERROR: required command(s) not found: cygpath"*) ;; *) flunk "stderr: $stderr" ;; esac
  [ ! -e "$CONFIG" ]
}

# --- the refresh history (issue 15) -----------------------------------------------------------

# The history's events, one "event by mode why/reason" line each (fields that are absent left out).
history_events() {
  [ ! -e "$PROJECT/zoom-token.log" ] ||
    jq -r '[.event, .by, .mode, .why, (.exit | values | tostring), .reason, .token] | map(values) | join(" | ")' \
      "$PROJECT/zoom-token.log"
}

@test "history: updated, unchanged, installed, removed, failed; nothing for a dry run or a usage error" {
  export ZOOM_FAKE_NOW=1800000000
  rm -f "$CONFIG"
  run "$SCRIPTS/update_claude_config.sh" # no config: nothing to update
  write_config
  ZOOM_HISTORY_BY=monitor run "$SCRIPTS/update_claude_config.sh"
  ZOOM_HISTORY_BY=monitor run "$SCRIPTS/update_claude_config.sh"
  run "$SCRIPTS/update_claude_config.sh" --dry-run
  run "$SCRIPTS/update_claude_config.sh" --remove
  run "$SCRIPTS/update_claude_config.sh" # no entry now
  run "$SCRIPTS/update_claude_config.sh" --install
  run "$SCRIPTS/update_claude_config.sh" --bogus
  printf '{"mcpServers": ' >"$CONFIG" # broken JSON
  ZOOM_HISTORY_BY=401 run "$SCRIPTS/update_claude_config.sh"
  assert_status 1
  assert_equal "config_unchanged | script | no Claude Desktop config
config_updated | monitor | update | eyJz...NTMz
config_unchanged | monitor | update | already up to date
config_updated | script | remove
config_unchanged | script | no \"zoom\" server in the Claude Desktop config
config_updated | script | install | eyJz...NTMz
config_failed | 401 | 1 | $CONFIG is not valid JSON; left untouched:" "$(history_events)"
  case $(cat "$PROJECT/zoom-token.log") in *"$TOKEN"* | *ghp_secretvalue*) flunk "a secret in the history" ;; esac
  assert_equal 2027-01-15T08:00:00Z "$(jq -r .ts "$PROJECT/zoom-token.log" | sort -u)" # the fake clock's time
  assert_equal 600 "$(file_mode "$PROJECT/zoom-token.log")"
}
