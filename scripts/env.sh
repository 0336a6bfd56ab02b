# Sourced by the scripts after scripts/setup.sh: puts cargo and (when the system's is too
# old) the Node.js that setup fetched on PATH, and names the shared caches.
export PATH="$HOME/.cargo/bin:$PATH"
TERN_CACHE_DIR=${TERN_CACHE_DIR:-$HOME/.cache/tern}
if [ -x "$TERN_CACHE_DIR/node/node_modules/node/bin/node" ]; then
  export PATH="$TERN_CACHE_DIR/node/node_modules/node/bin:$PATH"
fi
export TERN_E2E_VENV=${TERN_E2E_VENV:-$TERN_CACHE_DIR/e2e-venv}
