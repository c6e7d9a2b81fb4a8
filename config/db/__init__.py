"""Database backends: the stock ones with what the request path does not need taken out."""
