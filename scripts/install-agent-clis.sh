#!/bin/sh
# Installs the real agent CLIs the end-to-end agent tests run (pinned: the versions the presets were checked
# against) into .agent-clis/ of this checkout. Only the model behind them is faked in the tests.
#   Claude Code 2.1.197 (@anthropic-ai/claude-code), Codex CLI 0.171.0 (@openai/codex), Gemini CLI 0.61.0
#   (@google/gemini-cli). Aider lives on PyPI and is not installed here.
set -eu
cd "$(dirname "$0")/.."
DIR=.agent-clis
if [ -x "$DIR/node_modules/.bin/claude" ] && [ -x "$DIR/node_modules/.bin/codex" ] && [ -x "$DIR/node_modules/.bin/gemini" ]; then
  echo "install-agent-clis: already installed in $DIR"
  exit 0
fi
mkdir -p "$DIR"
[ -f "$DIR/package.json" ] || echo '{"name":"agent-hive-test-clis","private":true}' > "$DIR/package.json"
npm install --prefix "$DIR" --no-audit --no-fund --no-save \
  @anthropic-ai/claude-code@2.1.197 @openai/codex@0.171.0 @google/gemini-cli@0.61.0
"$DIR/node_modules/.bin/claude" --version
"$DIR/node_modules/.bin/codex" --version
"$DIR/node_modules/.bin/gemini" --version
