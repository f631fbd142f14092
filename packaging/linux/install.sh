#!/bin/sh
# Install Proctor Uploader from this one-folder build for every user of this computer, with the
# menu entry and icon, and optionally an IT preset (server address, locked or not).
#   sudo ./install.sh [--server-url URL [--lock]] [--prefix DIR] [--root DIR]
#   sudo ./install.sh --uninstall [--prefix DIR] [--root DIR]
# --prefix  where the app goes (default /opt/proctor-uploader)
# --root    stage everything under DIR instead of / (building a .deb/.rpm, tests)
# The preset is /etc/proctor-uploader/config.toml; see docs/packaging.md for every key.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
NAME=proctor-uploader
PREFIX=/opt/$NAME
ROOT=
SERVER_URL=
LOCK=false
UNINSTALL=0

die() { echo "install.sh: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
  case "$1" in
    --server-url) [ $# -ge 2 ] || die "--server-url needs a value"; SERVER_URL=$2; shift ;;
    --lock) LOCK=true ;;
    --prefix) [ $# -ge 2 ] || die "--prefix needs a value"; PREFIX=$2; shift ;;
    --root) [ $# -ge 2 ] || die "--root needs a value"; ROOT=$2; shift ;;
    --uninstall) UNINSTALL=1 ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
  shift
done

case "$PREFIX" in /*) ;; *) die "--prefix must be an absolute path" ;; esac
if [ "$LOCK" = true ] && [ -z "$SERVER_URL" ]; then die "--lock needs --server-url"; fi
case "$SERVER_URL" in
  *'"'*|*'\'*|*'
'*) die "the server address may not contain quotes, backslashes or line breaks" ;;
  ''|https://*|http://127.0.0.1*|http://localhost*|http://\[::1\]*) ;;
  *) die "the server address must start with https:// (got $SERVER_URL)" ;;
esac

APP=$ROOT$PREFIX
BIN=$ROOT/usr/local/bin/$NAME
DESKTOP=$ROOT/usr/share/applications/$NAME.desktop
ICONS=$ROOT/usr/share/icons/hicolor
PRESET=$ROOT/etc/$NAME/config.toml

refresh_menus() {
  [ -z "$ROOT" ] || return 0
  command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q /usr/share/applications || true
  command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$ICONS" || true
}

if [ "$UNINSTALL" = 1 ]; then
  rm -rf "$APP"
  rm -f "$BIN" "$DESKTOP" "$ICONS/scalable/apps/$NAME.svg" "$ICONS"/*/apps/$NAME.png
  refresh_menus
  echo "Removed $NAME. The IT preset ($PRESET) and each user's uploads and settings are kept."
  exit 0
fi

[ -x "$HERE/$NAME" ] && [ -d "$HERE/_internal" ] || die "run me from the built $NAME folder"

# Copy next to the old version, then swap, so a failed copy never leaves a half-installed app.
mkdir -p "$(dirname "$APP")"
rm -rf "$APP.new"
mkdir -p "$APP.new"
cp -R "$HERE/$NAME" "$HERE/_internal" "$APP.new/"
chmod -R a+rX,go-w "$APP.new"
rm -rf "$APP.old"
[ -e "$APP" ] && mv "$APP" "$APP.old"
mv "$APP.new" "$APP"
rm -rf "$APP.old"

mkdir -p "$(dirname "$BIN")"
ln -sfn "$PREFIX/$NAME" "$BIN"
mkdir -p "$(dirname "$DESKTOP")" "$ICONS/scalable/apps"
cp "$HERE/$NAME.desktop" "$DESKTOP"
cp "$HERE/$NAME.svg" "$ICONS/scalable/apps/$NAME.svg"
for png in "$HERE"/icons/$NAME-*.png; do
  [ -e "$png" ] || continue
  size=${png##*-}; size=${size%.png}
  mkdir -p "$ICONS/${size}x$size/apps"
  cp "$png" "$ICONS/${size}x$size/apps/$NAME.png"
done
chmod 644 "$DESKTOP" "$ICONS"/*/apps/$NAME.*

if [ -n "$SERVER_URL" ]; then
  mkdir -p "$(dirname "$PRESET")"
  [ -e "$PRESET" ] && cp "$PRESET" "$PRESET.bak"
  {
    echo "# Written by install.sh; docs/packaging.md lists every key."
    echo "server_url = \"$SERVER_URL\""
    echo "lock_server_url = $LOCK"
  } > "$PRESET"
  chmod 644 "$PRESET"
fi

refresh_menus
echo "Installed $NAME in $APP (command: $NAME, menu: Proctor Uploader)."
[ -z "$SERVER_URL" ] || echo "Server preset: $SERVER_URL (locked: $LOCK) in $PRESET"
