"""The service's storage: its FerretDB collections and its S3 bucket."""
