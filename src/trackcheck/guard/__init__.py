"""The write-time guard: registry writes judged by the policy before MLflow performs them."""
