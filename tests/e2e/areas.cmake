# One add_test per end-to-end script.
