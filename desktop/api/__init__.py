"""The backend's HTTP API: the client and the values it returns. Qt-free."""
