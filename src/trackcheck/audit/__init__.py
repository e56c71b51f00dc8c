"""The live engine: read the MLflow Model Registry into plain records and run the TC2xx rules."""
