"""The static engine: discover files, build located documents, run the TC0xx/TC1xx rules."""
