"""Value classifiers shared by lint and audit: URI kinds, credentials, token formats, redaction."""
