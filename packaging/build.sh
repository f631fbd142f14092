#!/usr/bin/env bash
# Build Proctor Uploader with PyInstaller (build.spec), then prove the result works: --version,
# the CLI, and --self-test once plainly and once inside a private real Secret Service.
#   packaging/build.sh [--onefile] [--debug] [--no-check] [--no-secret-service]
#                      [--dist DIR] [--work DIR]
# Defaults: one-folder app in dist/proctor-uploader/, scratch files in build/pyinstaller/.
# Uses .venv/bin/python (./dev setup makes it), or $PYTHON. Prints build time and size.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=${PYTHON:-$ROOT/.venv/bin/python}
DIST=$ROOT/dist
WORK=$ROOT/build/pyinstaller
ONEFILE=0
CHECK=1
CHECK_ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --onefile) ONEFILE=1 ;;
    --debug) export PROCTOR_UPLOADER_PYI_DEBUG=1 ;;
    --no-check) CHECK=0 ;;
    --no-secret-service) CHECK_ARGS+=(--no-secret-service) ;;
    --dist) DIST=$2; shift ;;
    --work) WORK=$2; shift ;;
    -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

NAME=$("$PY" -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb"))["project"]["name"])' \
  "$ROOT/pyproject.toml")
SPEC_ARGS=()
[ "$ONEFILE" = 1 ] && SPEC_ARGS=(-- --onefile)

start=$(date +%s)
# ${arr[@]+...}: bash < 4.4 treats an empty array as unset under `set -u`.
"$PY" -m PyInstaller --noconfirm --log-level WARN --distpath "$DIST" --workpath "$WORK" \
  "$ROOT/build.spec" ${SPEC_ARGS[@]+"${SPEC_ARGS[@]}"}
seconds=$(( $(date +%s) - start ))

if [ "$ONEFILE" = 1 ]; then
  BUILT=$DIST/$NAME
  [ -f "$BUILT.exe" ] && BUILT=$BUILT.exe
else
  BUILT=$DIST/$NAME
  [ -d "$DIST/Proctor Uploader.app" ] && BUILT="$DIST/Proctor Uploader.app"
fi
# Linux one-folder builds carry their installer: install.sh, the menu entry and the icons.
if [ "$ONEFILE" = 0 ] && [ "$(uname -s)" = Linux ]; then
  cp "$ROOT/packaging/linux/install.sh" "$ROOT/packaging/linux/$NAME.desktop" "$BUILT/"
  cp "$ROOT/resources/icons/app.svg" "$BUILT/$NAME.svg"
  "$PY" "$ROOT/packaging/icons.py" "$WORK/icons" >/dev/null
  mkdir -p "$BUILT/icons"
  cp "$WORK"/icons/$NAME-*.png "$BUILT/icons/"
fi

# Apparent size of regular files (symlinks inside the bundle are not counted twice).
bytes=$( (find "$BUILT" -type f -printf '%s\n' 2>/dev/null || true) | awk '{s+=$1} END {print s+0}')
[ "$bytes" = 0 ] && bytes=$(du -sk "$BUILT" | awk '{print $1 * 1024}')
echo "build.sh: built $BUILT in ${seconds} s; size $(( bytes / 1000000 )) MB ($(( bytes / 1048576 )) MiB)"

if [ "$CHECK" = 1 ]; then
  "$PY" "$ROOT/packaging/check_build.py" "$BUILT" ${CHECK_ARGS[@]+"${CHECK_ARGS[@]}"}
fi
