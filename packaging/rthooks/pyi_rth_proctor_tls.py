"""PyInstaller runtime hook: a CA store for storage uploads where the bundled OpenSSL finds none.

The API client (http.client) trusts certifi's bundle, which the build includes. Storage uploads use
``ssl.create_default_context()``, which trusts OpenSSL's compiled-in system paths: the build
machine's. Those exist on Debian and Ubuntu, but not on Fedora/RHEL (different paths) nor on macOS
(python.org and Homebrew OpenSSL look in their own prefix, which a proctor's Mac does not have),
where every upload would then fail certificate verification. When those paths hold nothing and
the user or IT set neither SSL_CERT_FILE nor SSL_CERT_DIR, point SSL_CERT_FILE at the bundled
certifi file. Windows needs nothing: Python loads the Windows certificate store itself.
"""


def _pyi_rthook() -> None:
    import os
    import ssl
    import sys

    if sys.platform == "win32" or os.environ.get("SSL_CERT_FILE") or os.environ.get("SSL_CERT_DIR"):
        return
    paths = ssl.get_default_verify_paths()  # cafile/capath are None when they do not exist
    if paths.cafile or (paths.capath and os.listdir(paths.capath)):
        return
    bundle = os.path.join(sys._MEIPASS, "certifi", "cacert.pem")  # type: ignore[attr-defined]
    if os.path.isfile(bundle):
        os.environ["SSL_CERT_FILE"] = bundle


_pyi_rthook()
del _pyi_rthook
